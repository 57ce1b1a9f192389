"""The building blocks of every request class: how a field is declared, and the shared aggregates.

A request is a plain dataclass. Each field that becomes an element carries its qbXML element name and
type in ``dataclasses.field(metadata=...)`` (see :func:`el`), so one table-driven writer
(:mod:`requests_builder.render`) can put the elements in QuickBooks' order, apply the version, length and
text rules, and one codec (:mod:`requests_builder.codec`) can turn any request into JSON and back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from requests_builder.fields import duration

# Element kinds understood by the writer and the codec.
SCALAR_KINDS = frozenset(
    {"text", "id", "guid", "amount", "price", "int", "bool", "date", "datetime", "duration", "enum"}
)
LIST_KINDS = frozenset({"texts", "ids", "guids", "enums", "aggs"})


def el(
    element: str,
    kind: str = "text",
    *,
    ident: bool = False,
    required: bool = False,
    drop_if_old: bool = False,
    choices: tuple[str, ...] | None = None,
    max_len: int | None = None,
    cls: type | None = None,
    leaf_name: bool = False,
) -> Any:
    """Declare a field written as ``<element>``.

    ``ident``: identifying text, refused rather than cut when too long. ``drop_if_old``: left out with a
    warning (instead of refused) when the host's qbXML version predates the element; only for fields
    whose absence changes nothing in the books (e.g. ``ExternalGUID``). ``leaf_name``: a list ``Name``,
    which may not contain ``:`` (QuickBooks' hierarchy separator). ``cls``: the dataclass of an
    aggregate (``kind="agg"``/``"aggs"``).
    """
    meta = {
        "element": element,
        "kind": kind,
        "ident": ident,
        "required": required,
        "drop_if_old": drop_if_old,
        "choices": choices,
        "max_len": max_len,
        "cls": cls,
        "leaf_name": leaf_name,
    }
    if kind in LIST_KINDS:
        return dataclasses.field(default_factory=list, metadata=meta)
    return dataclasses.field(default=None, metadata=meta)


def attr(name: str, choices: tuple[str, ...] | None = None) -> Any:
    """Declare a field written as an XML attribute of the request element (``iterator``, ``iteratorID``)."""
    return dataclasses.field(default=None, metadata={"attribute": name, "choices": choices})


class QBObject:
    """Base of every request and aggregate; subclasses are ``@dataclass(kw_only=True, slots=True)``."""

    __slots__ = ()
    # Every subclass is a dataclass: declared so dataclasses.fields() accepts the base type.
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    def to_dict(self) -> dict[str, Any]:
        """The stored form: only the fields that are set, numbers as text (exact decimals), dates as
        ISO text, durations as ``PT#H#M#S``; :func:`requests_builder.codec.request_from_dict` reads it
        back. Written here rather than in the codec so the codec depends on the model and not both
        ways."""
        out: dict[str, Any] = {}
        if isinstance(self, Request):
            out["type"] = type(self).__name__
        for fld in dataclasses.fields(self):
            value = getattr(self, fld.name)
            if value is None or value == []:
                continue
            out[fld.name] = _encode(value)
        return out

    def check(self, field: str, version: tuple[int, int]) -> None:
        """Rules the element table cannot express (choices, required combinations); raise BuildError."""


def _encode(value: Any) -> Any:
    if isinstance(value, QBObject):
        return value.to_dict()
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Decimal | float):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration(value, "duration", "Duration")
    raise TypeError(f"cannot store {type(value).__name__} in a request")


@dataclass(slots=True)
class Ref(QBObject):
    """A reference to a list object by ``ListID`` or by ``FullName`` (``Parent:Child`` for jobs and
    sub-items). QuickBooks uses the ListID when both are given."""

    list_id: str | None = el("ListID", "id")
    full_name: str | None = el("FullName", ident=True)


@dataclass(kw_only=True, slots=True)
class _StreetAddress(QBObject):
    """The elements every qbXML address has (the writer orders them by the schema, not by the class)."""

    addr1: str | None = el("Addr1")
    addr2: str | None = el("Addr2")
    addr3: str | None = el("Addr3")
    addr4: str | None = el("Addr4")
    city: str | None = el("City")
    state: str | None = el("State")
    postal_code: str | None = el("PostalCode")
    country: str | None = el("Country")


@dataclass(kw_only=True, slots=True)
class Address(_StreetAddress):
    """A bill-to, ship-to or vendor address."""

    addr5: str | None = el("Addr5")
    note: str | None = el("Note")


@dataclass(kw_only=True, slots=True)
class EmployeeAddress(_StreetAddress):
    """An employee's address: no ``Addr5`` and no ``Note``."""


@dataclass(kw_only=True, slots=True)
class LineDataExt(QBObject):
    """A custom field value set while adding a line (``DataExt`` inside ``*LineAdd``, qbXML 5.0)."""

    owner_id: str | None = el("OwnerID", "guid", required=True)
    name: str | None = el("DataExtName", ident=True, required=True, max_len=31)
    value: str | None = el("DataExtValue", required=True)


@dataclass(kw_only=True, slots=True)
class LinkToTxn(QBObject):
    """Link one line to a line of another transaction (a sales order line on an invoice line, a purchase
    order line on a bill line)."""

    txn_id: str | None = el("TxnID", "id", required=True)
    txn_line_id: str | None = el("TxnLineID", "id", required=True)


REQUEST_TYPES: dict[str, type[Request]] = {}


@dataclass(kw_only=True, slots=True)
class Request(QBObject):
    """A top-level request. ``RQ`` is the ``*Rq`` element; ``BODY`` the aggregate inside it (``None`` for
    queries, whose fields sit directly in the ``*Rq``). ``request_id`` is echoed by QuickBooks on the
    response; one is assigned when the message set is built if it is left out.

    A request class names its elements in its header: ``class SalesOrderAdd(..., body="SalesOrderAdd")``
    (the ``*Rq`` element is the body's name + ``Rq``) or ``class HostQuery(Request, rq="HostQueryRq")``.
    Base classes name none and are not registered."""

    RQ: ClassVar[str]
    BODY: ClassVar[str | None] = None
    request_id: str | None = None

    def __init_subclass__(cls, *, rq: str | None = None, body: str | None = None, **kwargs: Any) -> None:
        # No zero-argument super() here: slotted dataclasses are re-created, which breaks its cell. The
        # re-created class is called without the keywords but finds RQ and BODY in the copied namespace.
        if body is not None:
            cls.BODY = body
            cls.RQ = rq or f"{body}Rq"
        elif rq is not None:
            cls.RQ = rq
        if "RQ" in cls.__dict__:
            REQUEST_TYPES[cls.__name__] = cls
