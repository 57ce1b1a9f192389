"""mypy: a request field declared by its name and type alone may be left out of the constructor.

:func:`requests_builder.model.qbxml` gives every element field its default at run time (None, or a new
list), so a declaration is ``po_number: Ident`` with nothing after it; and it refuses a plain field that
has no default of its own. mypy's support for ``dataclass_transform`` cannot know that: it takes a field
with no value in the class body for a required argument. This plugin runs mypy's own dataclass
transform for ``@qbxml`` classes and then marks every field as having a default, so the constructors are
still checked (names and types of the arguments) and a request may be built from the fields it needs.

Configured in ``[tool.mypy]`` of pyproject.toml. It leans on how mypy's dataclasses plugin records a
class (``metadata["dataclass"]`` and the generated ``__init__``); should a mypy release change that,
every ``@qbxml`` constructor call that leaves a field out fails the type check, so it shows at once.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import ARG_NAMED, ARG_NAMED_OPT, ARG_OPT, ARG_POS, ArgKind, FuncDef
from mypy.plugin import ClassDefContext, Plugin
from mypy.plugins.dataclasses import dataclass_class_maker_callback
from mypy.types import CallableType

_DECORATOR = "requests_builder.model.qbxml"
# An argument the generated constructor requires, and the same argument with a default.
_WITH_DEFAULT = {ARG_NAMED: ARG_NAMED_OPT, ARG_POS: ARG_OPT}


def _qbxml_class(ctx: ClassDefContext) -> bool:
    """mypy's own dataclass transform of the class, then each field marked as having a default: in the
    attributes subclasses take over, and in the constructor made from them."""
    if not dataclass_class_maker_callback(ctx):
        return False  # not every type is known yet: mypy calls again
    info = ctx.cls.info
    for attribute in info.metadata["dataclass"]["attributes"]:
        attribute["has_default"] = True
    init = info.names.get("__init__")
    if init is not None and init.plugin_generated and isinstance(init.node, FuncDef):
        func = init.node
        kinds: list[ArgKind] = [func.arg_kinds[0]] + [_WITH_DEFAULT.get(k, k) for k in func.arg_kinds[1:]]
        for argument, kind in zip(func.arguments, kinds, strict=True):
            argument.kind = kind
        func.arg_kinds = kinds
        if isinstance(func.type, CallableType):
            func.type = func.type.copy_modified(arg_kinds=kinds)
    return True


class QbxmlPlugin(Plugin):
    def get_class_decorator_hook_2(self, fullname: str) -> Callable[[ClassDefContext], bool] | None:
        return _qbxml_class if fullname == _DECORATOR else None


def plugin(version: str) -> type[Plugin]:
    return QbxmlPlugin
