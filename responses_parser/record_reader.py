"""Building records (:mod:`responses_parser.records`) from ``*Ret`` elements, fast.

The readers are lenient: a value that does not parse is kept as its text. Elements a record does not
model are kept in its ``extra``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import operator
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from responses_parser.records import (
    LINE_TAGS,
    RET_CLASSES,
    AddressValue,
    DataExtValue,
    GenericRecord,
    Item,
    LinkedTxn,
    Preferences,
    Record,
    RefValue,
    TxnLine,
    UnitValue,
)

Reader = Callable[[etree._Element], Any]


# --- Readers: lenient, a value that does not parse is kept as its text --------------------------------


def read_str(elem: etree._Element) -> str:
    return elem.text or ""


def _lenient(convert: Callable[[str], Any], refused: type[Exception]) -> Reader:
    """A reader of ``convert(text)``, or of the text itself when ``convert`` raises ``refused``."""

    def read(elem: etree._Element) -> Any:
        text = elem.text or ""
        try:
            return convert(text)
        except refused:
            return text

    return read


read_decimal = _lenient(Decimal, InvalidOperation)
read_int = _lenient(int, ValueError)
read_date = _lenient(dt.date.fromisoformat, ValueError)
read_datetime = _lenient(dt.datetime.fromisoformat, ValueError)


def read_bool(elem: etree._Element) -> bool | str:
    text = (elem.text or "").strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    return elem.text or ""


def read_plain(elem: etree._Element) -> Any:
    """Any element as plain data: its text, or a dict of its children (repeated children as lists)."""
    children = [child for child in elem if isinstance(child.tag, str)]
    if not children:
        return elem.text or ""
    out: dict[str, Any] = {}
    for child in children:
        value = read_plain(child)
        if child.tag in out:
            previous = out[child.tag]
            if isinstance(previous, list):
                previous.append(value)
            else:
                out[child.tag] = [previous, value]
        else:
            out[child.tag] = value
    return out


# --- Fast construction and conversion ---------------------------------------------------------------
#
# Reading a large response is dominated by this conversion (tens of elements per record, hundreds of
# thousands of records), so it is table-driven: each record class gets a plan, built once, mapping each
# child tag to the slot its value goes to and how it is read; the commonest readers (text, references,
# numbers, flags, dates) are written inline in the walk instead of being called per element.

_TEXT, _CONVERT, _REF, _BOOL, _RECORD, _MANY_RECORDS, _MANY, _READ, _MERGE_IN = range(9)

# Readers of text written inline as one call: (function, what it raises for text it does not accept).
_CONVERTERS: dict[str, tuple[Callable[[str], Any], type[Exception]]] = {
    "decimal": (Decimal, InvalidOperation),
    "int": (int, ValueError),
    "date": (dt.date.fromisoformat, ValueError),
    "datetime": (dt.datetime.fromisoformat, ValueError),
}

# Aggregates read as records of their own: reader name -> (class, field set to the element's tag).
_SUBRECORDS: dict[str, tuple[type[Record], str | None]] = {}

# The exact texts QuickBooks writes for flags; anything else goes through read_bool.
_BOOLS: dict[str | None, bool] = {"true": True, "false": False, "1": True, "0": False}


def _constructor(cls: type[Record]) -> tuple[Callable[..., Any], type[Record]]:
    """A constructor taking every field positionally, in declaration order, that skips ``__init__``,
    and the class it fills instances as.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, about ten times the
    cost of a plain store, which made building the records cost more than parsing the XML. The instance
    is created as a subclass that adds no slots and allows plain stores, filled, and only then given its
    real class: the layout is the same, so the result is exactly what ``__init__`` builds (no record
    class has a ``__post_init__``), and it is frozen from then on.
    """
    names = [fld.name for fld in dataclasses.fields(cls)]
    if any(not name.isidentifier() or name.startswith("_") for name in names):
        raise AssertionError(f"{cls.__name__}: field names must be plain identifiers")
    if "__post_init__" in dir(cls):
        raise AssertionError(f"{cls.__name__}: a record with __post_init__ needs its __init__")
    filling = type(
        f"_Filling{cls.__name__}",
        (cls,),
        {"__slots__": (), "__setattr__": object.__setattr__, "__delattr__": object.__delattr__},
    )
    targets = "".join(f"_o.{name}, " for name in names)
    lines = ["def make(_values):", "    _o = _new(_filling)", f"    ({targets}) = _values"]
    lines += ["    _o.__class__ = _cls", "    return _o"]
    namespace: dict[str, Any] = {"_new": object.__new__, "_filling": filling, "_cls": cls}
    exec("\n".join(lines), namespace)  # the names are our own fields, checked above
    return namespace["make"], filling


class _Plan:
    """How to read one record class from its element."""

    __slots__ = (
        "cls", "defaults", "extra", "filling", "last", "make", "many", "names", "shapes", "tag_field",
        "tags",
    )  # fmt: skip

    def fill(self, cls: type[Record], tag_field: str | None = None) -> None:
        """Read ``cls``'s fields into this plan (registered first: a line's plan refers to itself)."""
        fields = dataclasses.fields(cls)
        slot = {fld.name: index for index, fld in enumerate(fields)}
        # tag -> (slot, kind, how): how is a reader, a (converter, error) pair or a sub-record's plan
        self.tags: dict[str, tuple[int, int, Any]] = {}
        if any(fld.default is dataclasses.MISSING for fld in fields):
            raise AssertionError(f"{cls.__name__}: every field needs a plain default")
        self.defaults: list[Any] = [fld.default for fld in fields]
        self.many: tuple[int, ...] = tuple(slot[f.name] for f in fields if f.metadata.get("many"))
        self.extra = slot["extra"]
        self.tag_field = -1 if tag_field is None else slot[tag_field]
        self.cls = cls
        self.names = [fld.name for fld in fields]
        self.make, self.filling = _constructor(cls)
        # child tags, in order -> a converter compiled for exactly that layout (see _compile)
        self.shapes: dict[tuple[Any, ...], Callable[[list[etree._Element], etree._Element], Any]] = {}
        self.last: tuple[tuple[Any, ...] | None, Any] = (None, None)
        for fld in fields:
            meta = fld.metadata
            if "tag" not in meta:
                continue
            read = meta["read"]
            entry: tuple[int, int, Any]
            if read in _SUBRECORDS:
                sub = _plan(*_SUBRECORDS[read])
                entry = (slot[fld.name], _MANY_RECORDS if meta["many"] else _RECORD, sub)
            elif meta["many"]:
                entry = (slot[fld.name], _MANY, _READERS[read])
            elif read == "str":
                entry = (slot[fld.name], _TEXT, None)
            elif read in _CONVERTERS:
                entry = (slot[fld.name], _CONVERT, _CONVERTERS[read])
            elif read == "ref":
                entry = (slot[fld.name], _REF, None)
            elif read == "bool":
                entry = (slot[fld.name], _BOOL, None)
            elif read == "merge":
                entry = (slot[fld.name], _MERGE_IN, None)
            else:
                entry = (slot[fld.name], _READ, _READERS[read])
            for tag in LINE_TAGS if meta["tag"] == "*line" else (meta["tag"],):
                self.tags[tag] = entry


_PLANS: dict[type[Record], _Plan] = {}


def _plan(cls: type[Record], tag_field: str | None = None) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        if cls is GenericRecord or cls is Preferences:
            raise AssertionError(f"{cls.__name__} is built by read_record")
        # Registered before its entries are made: a line's plan refers to itself (group lines).
        plan = _PLANS[cls] = _Plan()
        plan.fill(cls, tag_field)
    return plan


def _fill(plan: _Plan, children: list[etree._Element], vals: list[Any], extra: list[tuple[str, Any]]) -> None:
    tags = plan.tags
    for child in children:
        tag = child.tag
        try:
            index, kind, how = tags[tag]
        except KeyError:
            if type(tag) is str:  # comments and processing instructions are skipped
                extra.append((tag, read_plain(child)))
            continue
        if kind == _TEXT:
            vals[index] = child.text or ""
        elif kind == _CONVERT:
            text = child.text or ""
            try:
                vals[index] = how[0](text)
            except how[1]:
                vals[index] = text
        elif kind == _REF:
            vals[index] = read_ref(child)
        elif kind == _BOOL:
            flag = _BOOLS.get(child.text)
            vals[index] = read_bool(child) if flag is None else flag
        elif kind in (_MANY_RECORDS, _MANY):
            # A repeated element: its values are gathered in a list (made a tuple by _build_by_walk).
            value = _build(how, child) if kind == _MANY_RECORDS else how(child)
            bucket = vals[index]
            if type(bucket) is list:
                bucket.append(value)
            else:
                vals[index] = [value]
        elif kind == _RECORD:
            vals[index] = _build(how, child)
        elif kind == _READ:
            vals[index] = how(child)
        else:  # _MERGE_IN: the aggregate's children belong to this record
            _fill(plan, child[:], vals, extra)


def _build(plan: _Plan, elem: etree._Element) -> Any:
    # A slice is built in one call; lxml's child iterator costs several times more per element.
    children = elem[:]
    shape = tuple(map(_TAG, children))
    # Comparing with the layout met last is cheaper than hashing the tags, and usually right.
    last_shape, convert = plan.last
    if shape != last_shape:
        convert = plan.shapes.get(shape)
        if convert is None:
            convert = _compile(plan, shape)
            if convert is None:
                return _build_by_walk(plan, elem, children)
        plan.last = (shape, convert)
    return convert(children, elem)


def _build_by_walk(plan: _Plan, elem: etree._Element, children: list[etree._Element]) -> Any:
    vals = plan.defaults.copy()
    if plan.tag_field >= 0:
        vals[plan.tag_field] = elem.tag
    extra: list[tuple[str, Any]] = []
    _fill(plan, children, vals, extra)
    for index in plan.many:
        value = vals[index]
        if type(value) is list:
            vals[index] = tuple(value)
    if extra:
        vals[plan.extra] = tuple(extra)
    return plan.make(vals)


# Records of one class in one response mostly share a few layouts (QuickBooks writes the elements a
# record has in schema order), so each layout met gets a converter of its own: straight-line code that
# reads child i into its slot, with no lookup or test per element. Converters are kept for the life of
# the process (compiling one costs about as much as reading twenty records); past this many layouts per
# class, new layouts are read by the table-driven walk above, which gives the same records a few
# per cent slower, so no document can make reading slow or wrong for the next one.
_SHAPE_LIMIT = 64


def _compile(
    plan: _Plan, shape: tuple[Any, ...]
) -> Callable[[list[etree._Element], etree._Element], Any] | None:
    """A converter for records of ``plan`` whose children have exactly the tags ``shape``, or None.

    It reads each child into a local by position, then fills the record's slots directly (as
    ``_constructor`` does). The code names children by position and everything else through its
    namespace: no text from the document ever becomes part of it."""
    if len(plan.shapes) >= _SHAPE_LIMIT:
        return None
    namespace: dict[str, Any] = {
        "_new": object.__new__,
        "_filling": plan.filling,
        "_cls": plan.cls,
        "_shape": shape,
        "_plain": read_plain,
        "_ref": read_ref,
        "_bools": _BOOLS,
        "_read_bool": read_bool,
        "_build": _build,
    }
    body: list[str] = []
    assigned: set[int] = set()  # slots given a value by the code so far (in _s<slot>)

    def assign(index: int, value: str) -> None:
        body.append(f"    _s{index} = {value}")
        assigned.add(index)

    if plan.tag_field >= 0:
        assign(plan.tag_field, "_e.tag")
    many: dict[int, list[str]] = {}
    extra: list[str] = []
    for i, tag in enumerate(shape):
        if type(tag) is not str:  # comments and processing instructions are skipped
            continue
        entry = plan.tags.get(tag)
        if entry is None:
            extra.append(f"(_shape[{i}], _plain(_k[{i}]))")
            continue
        index, kind, how = entry
        if kind == _TEXT:
            assign(index, f"_k[{i}].text or ''")
        elif kind == _CONVERT:
            namespace[f"_c{i}"], namespace[f"_x{i}"] = how
            body += [f"    _t = _k[{i}].text or ''", "    try:", f"        _s{index} = _c{i}(_t)"]
            body += [f"    except _x{i}:", f"        _s{index} = _t"]
            assigned.add(index)
        elif kind == _REF:
            assign(index, f"_ref(_k[{i}])")
        elif kind == _BOOL:
            body.append(f"    _f = _bools.get(_k[{i}].text)")
            assign(index, f"_read_bool(_k[{i}]) if _f is None else _f")
        elif kind in (_RECORD, _MANY_RECORDS):
            namespace[f"_p{i}"] = how
            if kind == _RECORD:
                assign(index, f"_build(_p{i}, _k[{i}])")
            else:
                many.setdefault(index, []).append(f"_build(_p{i}, _k[{i}])")
        elif kind in (_MANY, _READ):
            namespace[f"_r{i}"] = how
            if kind == _MANY:
                many.setdefault(index, []).append(f"_r{i}(_k[{i}])")
            else:
                assign(index, f"_r{i}(_k[{i}])")
        else:  # an aggregate merged into the record: its own children vary, so walk it
            return None
    for index, values in many.items():
        assign(index, f"({', '.join(values)},)")
    if extra:
        assign(plan.extra, f"({', '.join(extra)},)")
    body.append("    _o = _new(_filling)")
    for index, name in enumerate(plan.names):
        if index not in assigned:
            namespace[f"_s{index}"] = plan.defaults[index]
        body.append(f"    _o.{name} = _s{index}")
    body += ["    _o.__class__ = _cls", "    return _o"]
    exec("\n".join(["def convert(_k, _e):", *body]), namespace)  # positions and slots only
    convert = namespace["convert"]
    plan.shapes[shape] = convert
    return convert


def build(cls: type[Record], elem: etree._Element) -> Any:
    """The record of class ``cls`` read from ``elem`` (``GenericRecord`` and ``Preferences`` excluded)."""
    return _build(_plan(cls, _TAG_FIELDS.get(cls)), elem)


_new = object.__new__
_FillingRef = _constructor(RefValue)[1]
_TAG = operator.attrgetter("tag")


def read_ref(elem: etree._Element) -> RefValue:
    """A ``ListID``/``FullName`` reference, built by plain stores (references are a third of all
    elements)."""
    list_id = full_name = None
    extra: list[tuple[str, Any]] | None = None
    for part in elem[:]:
        tag = part.tag
        if tag == "ListID":
            list_id = part.text or ""
        elif tag == "FullName":
            full_name = part.text or ""
        elif type(tag) is str:
            if extra is None:
                extra = []
            extra.append((tag, read_plain(part)))
    # A _FillingRef is a RefValue whose fields may be stored; the class swap below makes it one, which
    # no static type can follow.
    ref: Any = _new(_FillingRef)
    ref.list_id = list_id
    ref.full_name = full_name
    ref.extra = () if extra is None else tuple(extra)
    ref.__class__ = RefValue
    return ref


def read_address(elem: etree._Element) -> AddressValue:
    return build(AddressValue, elem)


def read_dataext(elem: etree._Element) -> DataExtValue:
    return build(DataExtValue, elem)


def read_linked(elem: etree._Element) -> LinkedTxn:
    return build(LinkedTxn, elem)


def read_line(elem: etree._Element) -> TxnLine:
    return build(TxnLine, elem)


def read_unit(elem: etree._Element) -> UnitValue:
    return build(UnitValue, elem)


def _merge_marker(elem: etree._Element) -> None:
    raise AssertionError("merged aggregates are read by _fill")


_READERS: dict[str, Reader] = {
    "str": read_str,
    "decimal": read_decimal,
    "int": read_int,
    "bool": read_bool,
    "date": read_date,
    "datetime": read_datetime,
    "ref": read_ref,
    "address": read_address,
    "dataext": read_dataext,
    "linked": read_linked,
    "line": read_line,
    "unit": read_unit,
    "merge": _merge_marker,
}

# The field that records which element a record came from, for classes read from several elements.
_TAG_FIELDS: dict[type[Record], str] = {TxnLine: "kind", Item: "item_type"}
_SUBRECORDS.update(
    {
        "address": (AddressValue, None),
        "dataext": (DataExtValue, None),
        "linked": (LinkedTxn, None),
        "line": (TxnLine, "kind"),
        "unit": (UnitValue, None),
    }
)
_RET_PLANS: dict[str, _Plan] = {tag: _plan(cls, _TAG_FIELDS.get(cls)) for tag, cls in RET_CLASSES.items()}


def read_record(elem: etree._Element) -> Record:
    """The typed record for one ``*Ret`` element (a :class:`GenericRecord` for types we do not model)."""
    tag = elem.tag
    plan = _RET_PLANS.get(tag)
    if plan is not None:
        return _build(plan, elem)
    if tag == "PreferencesRet":
        return Preferences(
            sections=tuple((child.tag, read_plain(child)) for child in elem if isinstance(child.tag, str))
        )
    return GenericRecord(tag=str(tag), data=read_plain(elem))
