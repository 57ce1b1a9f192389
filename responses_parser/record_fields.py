"""How a record field is declared: by its name and a type that also says how the element is read.

``txn_date: Day`` is a date read from ``<TxnDate>``; ``customer: Ref`` a reference read from
``<CustomerRef>``. The element is the field's name in QuickBooks' spelling (:func:`element_of`, by the
rule requests share, :mod:`responses_parser.element_names`); a field whose element is named otherwise
says so with :func:`x`. :func:`record` turns the declarations into the frozen, slotted dataclass fields
(tag, reader, repeated) that :mod:`responses_parser.record_reader` compiles its readers from, so the
declarations stay one line of a name and a type each.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeAlias, TypeVar, dataclass_transform

from responses_parser.element_names import element_name

# The field types. Each is also how the field is read (see _READS), so it is written by its alias name.
Text: TypeAlias = str | None
Number: TypeAlias = Decimal | str | None
Whole: TypeAlias = int | str | None
Flag: TypeAlias = bool | str | None
Day: TypeAlias = dt.date | str | None
Moment: TypeAlias = dt.datetime | str | None
Texts: TypeAlias = tuple[str, ...]
# A marker: the aggregate's children are read into the record's own fields, so the field stays None.
Merged: TypeAlias = None
# The elements a record does not model, as (tag, plain value) pairs.
Extra: TypeAlias = tuple[tuple[str, Any], ...]

# How a field of each type is read: its reader (a name in record_reader._READERS), whether the element
# repeats (the field is then a tuple), and the element when it does not follow from the field's name
# ("*line": any of LINE_TAGS).
_READS: dict[str, tuple[str, bool, str | None]] = {
    "Text": ("str", False, None),
    "Number": ("decimal", False, None),
    "Whole": ("int", False, None),
    "Flag": ("bool", False, None),
    "Day": ("date", False, None),
    "Moment": ("datetime", False, None),
    "Texts": ("str", True, None),
    "Ref": ("ref", False, None),
    "Address": ("address", False, None),
    "Unit": ("unit", False, None),
    "Units": ("unit", True, None),
    "LinkedTxns": ("linked", True, "LinkedTxn"),
    "Lines": ("line", True, "*line"),
    "DataExts": ("dataext", True, "DataExtRet"),
    "Merged": ("merge", False, None),
}


class _Element(str):
    """The element of a field whose element does not follow from its name (see :func:`x`)."""

    __slots__ = ()


def x(tag: str) -> Any:
    """Read the field from child ``tag`` instead of the element its name gives."""
    return _Element(tag)


def element_of(name: str, type_name: str) -> str:
    """The element a field ``name`` of type ``type_name`` is read from when no :func:`x` says otherwise."""
    fixed = _READS[type_name][2]
    if fixed is not None:
        return fixed
    return element_name(name, ref=type_name == "Ref")


_T = TypeVar("_T")


@dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(dataclasses.field,))
def record(cls: type[_T]) -> type[_T]:
    """Make ``cls`` a frozen, slotted record dataclass whose fields are read as their types say.

    Every field gets its default here (None, or () for a repeated one and ``extra``) rather than in the
    class body, so that a declaration is its name and type alone; a field with a default of its own
    (``kind: str = ""``) is a plain field no element fills. Keyword-only, as every record is built by
    name (the reader fills the slots directly)."""
    for name, type_name in inspect.get_annotations(cls).items():
        given = cls.__dict__.get(name, dataclasses.MISSING)
        if type_name == "Extra":
            setattr(cls, name, dataclasses.field(default=()))
        elif type_name in _READS:
            read, many, _fixed = _READS[type_name]
            tag = given if isinstance(given, _Element) else element_of(name, type_name)
            meta = {"tag": str(tag), "read": read, "many": many}
            setattr(cls, name, dataclasses.field(default=() if many else None, metadata=meta))
        elif given is dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{name}: a record field needs a type of _READS or a default")
    return dataclass(frozen=True, slots=True, kw_only=True)(cls)
