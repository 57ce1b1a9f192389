"""How a request field is declared: by its name and a type that also says how the element is written.

``txn_date: Day`` is a date written as ``<TxnDate>``; ``po_number: Ident`` identifying text written as
``<PONumber>``; ``customer: Ref | None`` a reference written as ``<CustomerRef>``; ``ship_address:
Address | None`` an aggregate and ``data_ext: list[LineDataExt]`` a repeated one, each written with its
class's own fields. The element is the field's name in QuickBooks' spelling
(:func:`responses_parser.element_names.element_name`, the rule records are read by too), a repeated
field's name being its plural (``txn_ids``: ``<TxnID>``, ``<TxnID>``...). A field whose element is named
otherwise, that QuickBooks requires, or whose length limit the schema table does not give says so with
:func:`el`: ``lines: list[SalesOrderLine] = el("SalesOrderLineAdd")``, ``customer: Ref | None =
el(required=True)``.

The type aliases below carry the writer's kind in ``Annotated`` (a :class:`Kind`); a type checker sees
the plain type (``Ident`` is ``str | None``). The enumerations' types are in :mod:`requests_builder.enums`.
:func:`requests_builder.model.qbxml` turns the declarations into the dataclass fields whose metadata the
writer (:mod:`requests_builder.render`) and the codec read, and gives each its default (None, or a new
list); :mod:`requests_builder.mypy_plugin` tells mypy so.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, NamedTuple, TypeAlias


class Kind(NamedTuple):
    """How the element of a field is written: ``name`` is the writer's kind (``"text"``, ``"date"``...;
    a list of them when the field is a ``list``). ``ident``: identifying text, refused rather than cut
    when too long. ``leaf_name``: a list object's own ``Name``, which may not contain ``:`` (QuickBooks'
    separator between a parent and its sub-entries). ``drop_if_old``: left out with a warning (instead
    of refused) when the host's qbXML version predates the element; only for elements whose absence
    changes nothing in the books. ``choices``: the values an enumeration takes."""

    name: str
    ident: bool = False
    leaf_name: bool = False
    drop_if_old: bool = False
    choices: tuple[str, ...] | None = None


# The values a caller may give for a number, a date, a date and time, a duration.
_Number: TypeAlias = Decimal | int | float | str
_Day: TypeAlias = dt.date | str
_Moment: TypeAlias = dt.datetime | dt.date | str
_Duration: TypeAlias = dt.timedelta | str

# Free text (memos, descriptions, addresses): made to fit, with a warning, where QuickBooks cannot store it.
Text: TypeAlias = Annotated[str | None, Kind("text")]
# Identifying text (names, reference numbers): refused, never changed, where QuickBooks cannot store it.
Ident: TypeAlias = Annotated[str | None, Kind("text", ident=True)]
# A list object's own name (``Name``): identifying, and without the hierarchy separator ``:``.
LeafName: TypeAlias = Annotated[str | None, Kind("text", ident=True, leaf_name=True)]
Id: TypeAlias = Annotated[str | None, Kind("id")]
Guid: TypeAlias = Annotated[str | None, Kind("guid")]
# ``ExternalGUID``: our own mark on a record, which an older host is simply not given.
ExternalGuid: TypeAlias = Annotated[str | None, Kind("guid", drop_if_old=True)]
# Money (AMTTYPE: 2 decimal places).
Amount: TypeAlias = Annotated[_Number | None, Kind("amount")]
# A quantity, price, rate or percentage (QUANTYPE, PRICETYPE, PERCENTTYPE: 5 decimal places).
Number: TypeAlias = Annotated[_Number | None, Kind("price")]
Whole: TypeAlias = Annotated[int | None, Kind("int")]
Flag: TypeAlias = Annotated[bool | None, Kind("bool")]
Day: TypeAlias = Annotated[_Day | None, Kind("date")]
Moment: TypeAlias = Annotated[_Moment | None, Kind("datetime")]
Duration: TypeAlias = Annotated[_Duration | None, Kind("duration")]
# Repeated elements.
Idents: TypeAlias = Annotated[list[str], Kind("text", ident=True)]
Ids: TypeAlias = Annotated[list[str], Kind("id")]
Guids: TypeAlias = Annotated[list[str], Kind("guid")]


class Spec(NamedTuple):
    """What :func:`el` says of a field beyond its name and type."""

    element: str | None
    required: bool
    max_len: int | None


def el(element: str | None = None, *, required: bool = False, max_len: int | None = None) -> Any:
    """Declare what a field's name and type do not say: its ``element`` when the name does not give it,
    that QuickBooks ``required`` it, or a ``max_len`` where the schema table gives none."""
    return Spec(element, required, max_len)
