"""The building blocks of every request class: how a field is declared, and the shared aggregates.

A request is a plain dataclass made by :func:`qbxml`. Each field that becomes an element is declared by
its name and a type that says how it is written (:mod:`requests_builder.request_fields`); the decorator
puts the element's name and kind in ``dataclasses.field(metadata=...)``, so one table-driven writer
(:mod:`requests_builder.render`) can put the elements in QuickBooks' order, apply the version, length and
text rules, and one codec (:mod:`requests_builder.codec`) can turn any request into JSON and back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import types
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, ClassVar, TypeVar, dataclass_transform, get_args, get_origin, overload

from requests_builder.fields import duration
from requests_builder.request_fields import Guid, Id, Ident, Kind, Spec, Text, el
from responses_parser.element_names import element_name

# Element kinds understood by the writer and the codec.
SCALAR_KINDS = frozenset(
    {"text", "id", "guid", "amount", "price", "int", "bool", "date", "datetime", "duration", "enum"}
)
LIST_KINDS = frozenset({"texts", "ids", "guids", "enums", "aggs"})

_T = TypeVar("_T")


@overload
def qbxml(cls: type[_T], /) -> type[_T]: ...


@overload
def qbxml(*, kw_only: bool = True, slots: bool = True) -> Callable[[type[_T]], type[_T]]: ...


@dataclass_transform(kw_only_default=True, field_specifiers=(dataclasses.field,))
def qbxml(cls: type[_T] | None = None, /, *, kw_only: bool = True, slots: bool = True) -> Any:
    """Make ``cls`` a dataclass (keyword-only and slotted unless told otherwise) whose fields are written
    as their names and types say (see :mod:`requests_builder.request_fields`), each with its default:
    None, or a new list for a repeated element.

    A field whose type is neither one of ``request_fields``' nor a :class:`QBObject` (``request_id``), or
    whose default is a ``dataclasses.field`` of its own (:func:`attr`), is left a plain field; it must
    have a default, as mypy is told every field of a ``qbxml`` class has one
    (:mod:`requests_builder.mypy_plugin`)."""

    def make(cls: type[_T]) -> type[_T]:
        for name, hint in inspect.get_annotations(cls, eval_str=True).items():
            given = cls.__dict__.get(name, dataclasses.MISSING)
            if isinstance(given, dataclasses.Field):
                continue
            meta = _element_meta(cls, name, hint, given)
            if meta is None:
                if given is dataclasses.MISSING and get_origin(hint) is not ClassVar:
                    raise TypeError(f"{cls.__name__}.{name}: a field that is no element needs a default")
                continue
            if meta["kind"] in LIST_KINDS:
                setattr(cls, name, dataclasses.field(default_factory=list, metadata=meta))
            else:
                setattr(cls, name, dataclasses.field(default=None, metadata=meta))
        return dataclass(kw_only=kw_only, slots=slots)(cls)

    return make if cls is None else make(cls)


def _element_meta(cls: type, name: str, hint: Any, given: Any) -> dict[str, Any] | None:
    """The metadata of field ``name`` declared ``hint`` with default ``given``; None for a plain field."""
    kind: Kind | None = None
    base = hint
    if get_origin(hint) is Annotated:
        base, *extras = get_args(hint)
        kind = next((extra for extra in extras if isinstance(extra, Kind)), None)
    many = get_origin(base) is list
    item = get_args(base)[0] if many else _not_none(base)
    aggregate: type[QBObject] | None = None
    if kind is not None:
        written = kind.name + "s" if many else kind.name
    elif item is Ref and not many:
        written = "ref"
    elif isinstance(item, type) and issubclass(item, QBObject):
        written, aggregate = ("aggs" if many else "agg"), item
    else:
        return None
    if given is not dataclasses.MISSING and not isinstance(given, Spec):
        raise TypeError(f"{cls.__name__}.{name}: an element field is declared by its type, el() for the rest")
    spec = given if isinstance(given, Spec) else Spec(None, False, None)
    # A repeated element's field is named in the plural: txn_ids holds the TxnID elements.
    singular = name.removesuffix("s") if many else name
    kind = kind or Kind(written)
    return {
        "element": spec.element or element_name(singular, ref=written == "ref"),
        "kind": written,
        "ident": kind.ident,
        "required": spec.required,
        "drop_if_old": kind.drop_if_old,
        "choices": kind.choices,
        "max_len": spec.max_len,
        "cls": aggregate,
        "leaf_name": kind.leaf_name,
    }


def _not_none(hint: Any) -> Any:
    """``X`` of ``X | None``; any other type as it is."""
    if isinstance(hint, types.UnionType):
        members = [member for member in get_args(hint) if member is not type(None)]
        if len(members) == 1:
            return members[0]
    return hint


def attr(name: str, choices: tuple[str, ...] | None = None) -> Any:
    """Declare a field written as an XML attribute of the request element (``iterator``, ``iteratorID``)."""
    return dataclasses.field(default=None, metadata={"attribute": name, "choices": choices})


class QBObject:
    """Base of every request and aggregate; subclasses are made by :func:`qbxml`."""

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


@qbxml(kw_only=False)
class Ref(QBObject):
    """A reference to a list object by ``ListID`` or by ``FullName`` (``Parent:Child`` for jobs and
    sub-items). QuickBooks uses the ListID when both are given."""

    list_id: Id
    full_name: Ident


@qbxml
class _StreetAddress(QBObject):
    """The elements every qbXML address has (the writer orders them by the schema, not by the class)."""

    addr1: Text
    addr2: Text
    addr3: Text
    addr4: Text
    city: Text
    state: Text
    postal_code: Text
    country: Text


@qbxml
class Address(_StreetAddress):
    """A bill-to, ship-to or vendor address."""

    addr5: Text
    note: Text


@qbxml
class EmployeeAddress(_StreetAddress):
    """An employee's address: no ``Addr5`` and no ``Note``."""


@qbxml
class LineDataExt(QBObject):
    """A custom field value set while adding a line (``DataExt`` inside ``*LineAdd``, qbXML 5.0)."""

    owner_id: Guid = el(required=True)
    name: Ident = el("DataExtName", required=True)
    value: Text = el("DataExtValue", required=True)


@qbxml
class LinkToTxn(QBObject):
    """Link one line to a line of another transaction (a sales order line on an invoice line, a purchase
    order line on a bill line)."""

    txn_id: Id = el(required=True)
    txn_line_id: Id = el(required=True)


REQUEST_TYPES: dict[str, type[Request]] = {}


@qbxml
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
