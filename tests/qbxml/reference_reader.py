"""A plain, slow reading of ``*Ret`` elements straight from the field declarations, through each record
class's own ``__init__``: what the fast reader in ``responses_parser.record_reader`` must always agree with.

It walks every child with ``isinstance`` checks and builds keyword arguments, the way the records'
rules read in ``records.py``: a declared tag goes to its field through its reader, a repeated field
collects a tuple, ``SalesOrPurchase``/``SalesAndPurchase`` children are read into the record itself,
anything else is kept in ``extra`` as plain data, comments and processing instructions are skipped.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lxml import etree

from responses_parser import record_reader
from responses_parser import records as r
from responses_parser.record_reader import read_plain

# The lenient scalar readers are the product's own (they are not what the fast paths replace).
_SCALARS = {name: record_reader._READERS[name] for name in ("str", "decimal", "int", "bool", "date", "datetime")}
_AGGREGATES: dict[str, type[r.Record]] = {
    "ref": r.RefValue,
    "address": r.AddressValue,
    "dataext": r.DataExtValue,
    "linked": r.LinkedTxn,
    "line": r.TxnLine,
}


def reference_record(elem: etree._Element) -> r.Record:
    tag = elem.tag
    if tag == "PreferencesRet":
        return r.Preferences(sections=tuple((c.tag, read_plain(c)) for c in elem if isinstance(c.tag, str)))
    cls = r.RET_CLASSES.get(tag)
    if cls is None:
        return r.GenericRecord(tag=tag, data=read_plain(elem))
    return _record(cls, elem)


def _record(cls: type[r.Record], elem: etree._Element) -> Any:
    fields: dict[str, dataclasses.Field[Any]] = {}
    for fld in dataclasses.fields(cls):
        tag = fld.metadata.get("tag")
        if tag is not None:
            for one in r.LINE_TAGS if tag == "*line" else (tag,):
                fields[one] = fld
    kwargs: dict[str, Any] = {}
    if cls is r.TxnLine:
        kwargs["kind"] = elem.tag
    if cls is r.Item:
        kwargs["item_type"] = elem.tag
    extra: list[tuple[str, Any]] = []

    def read(parent: etree._Element) -> None:
        for child in parent:
            if not isinstance(child.tag, str):
                continue
            fld = fields.get(child.tag)
            if fld is None:
                extra.append((child.tag, read_plain(child)))
                continue
            how = fld.metadata["read"]
            if how == "merge":
                read(child)
                continue
            value = _record(_AGGREGATES[how], child) if how in _AGGREGATES else _SCALARS[how](child)
            if fld.metadata["many"]:
                kwargs[fld.name] = (*kwargs.get(fld.name, ()), value)
            else:
                kwargs[fld.name] = value

    read(elem)
    if extra:
        kwargs["extra"] = tuple(extra)
    return cls(**kwargs)
