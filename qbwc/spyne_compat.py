"""Lets Spyne 2.14 import on Python 3.12 and newer.

Spyne ships its own copy of ``six`` as ``spyne.util.six``, older than Python 3.12: its ``moves``
importer implements only ``find_module``/``load_module``, which 3.12 no longer calls, so
``from spyne.util.six.moves.… import …`` fails. On those Pythons this module puts a finder first on
``sys.meta_path`` that answers every ``spyne.util.six.moves[.…]`` import with the same module of the
current ``six`` release (a dependency there), whose importer speaks the new protocol. The rest of
Spyne's copy (which has helpers ``six`` lacks) and Spyne itself are unchanged. (Python 3.13 also
removed ``cgi``, which Spyne imports; the ``legacy-cgi`` package, a dependency there, provides it.)

Import this module before anything imports ``spyne``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

VENDORED_MOVES = "spyne.util.six.moves"


class SixAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``spyne.util.six.moves`` and its submodules, answered by ``six.moves`` and the same submodules."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != VENDORED_MOVES and not fullname.startswith(VENDORED_MOVES + "."):
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module("six.moves" + spec.name[len(VENDORED_MOVES) :])

    def exec_module(self, module: ModuleType) -> None:
        # The module was imported (and executed) under its own name already.
        return None


def install() -> bool:
    """Install the alias where it is needed (Python 3.12+); True when it was installed now."""
    if sys.version_info < (3, 12) or VENDORED_MOVES in sys.modules:
        return False
    if any(isinstance(finder, SixAlias) for finder in sys.meta_path):
        return False
    sys.meta_path.insert(0, SixAlias())
    return True


install()
