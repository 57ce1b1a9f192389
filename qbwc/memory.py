"""Giving memory freed by a large Web Connector call back to the operating system, at once.

The body of a large answer arrives in pieces of a few hundred KiB. glibc's ``malloc`` keeps pieces of
that size in the process's heap when they are freed, for reuse, so the pieces the guard has parsed and
dropped still count in the process's resident memory while the tree, the ``response`` string and the
database driver's copies of it are made: measured, one more copy of the answer at the peak
(docs/performance.md, "A large answer"). ``malloc_trim`` returns the free parts of the heap to the
system. It walks the heap, which costs a few milliseconds, so it is only called around large calls.
Where there is no glibc it does nothing.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable


def _libc_function(name: str) -> Callable[..., int] | None:
    try:
        return getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None


_TRIM = _libc_function("malloc_trim")


def release_free_memory() -> None:
    """Return the free parts of the heap to the operating system (glibc only)."""
    if _TRIM is not None:
        _TRIM(0)
