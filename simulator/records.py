"""Helpers shared by the request handlers: reading request elements and resolving references."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from simulator import statuses
from simulator.company import Company, Record, full_name, now_stamp
from simulator.host import HostFacts
from simulator.spec import ret_order


@dataclass
class Reply:
    """What a handler hands back: the Ret aggregates of the *Rs plus any extra Rs attributes."""

    rets: list[tuple[str, Record]] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Context:
    company: Company
    host: HostFacts
    iterators: dict[str, Any] = field(default_factory=dict)


def text(element: etree._Element, name: str) -> str | None:
    found = element.find(name)
    if found is None:
        return None
    return found.text or ""


def texts(element: etree._Element, name: str) -> list[str]:
    return [(c.text or "") for c in element.findall(name)]


def decimal(value: str | None, field_name: str = "Amount") -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise statuses.invalid_value(field_name, value, "The value is not a number.") from exc


def element_value(element: etree._Element) -> Any:
    """A request element as a Ret-shaped value: text, or a dict (repeated children become lists)."""
    children = [c for c in element if isinstance(c.tag, str)]
    if not children:
        return element.text or ""
    out: dict[str, Any] = {}
    for child in children:
        value = element_value(child)
        if child.tag in out:
            existing = out[child.tag]
            out[child.tag] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            out[child.tag] = value
    return out


def copy_passthrough(request: etree._Element, record: Record, ret_tag: str, handled: set[str]) -> None:
    """Keep the request fields QuickBooks returns unchanged (those the Ret aggregate also has)."""
    order = set(ret_order(ret_tag) or [])
    for child in request:
        if not isinstance(child.tag, str) or child.tag in handled or child.tag not in order:
            continue
        record[child.tag] = element_value(child)


def ref_of(record: Record) -> Record:
    return {"ListID": record["ListID"], "FullName": full_name(record)}


def ref_label(ref: etree._Element) -> str:
    return text(ref, "FullName") or text(ref, "ListID") or ""


def resolve(company: Company, records: list[Record], ref: etree._Element | None) -> Record | None:
    """Find the record a *Ref names; the ListID wins when both are given, as in QuickBooks."""
    if ref is None:
        return None
    list_id = text(ref, "ListID")
    if list_id:
        return company.find_list(records, list_id=list_id)
    name = text(ref, "FullName")
    if name:
        return company.find_list(records, name=name)
    return None


def require_ref(
    company: Company, records: list[Record], ref: etree._Element | None, kind: str, where: str
) -> Record | None:
    if ref is None:
        return None
    found = resolve(company, records, ref)
    if found is None:
        raise statuses.invalid_reference(kind, ref_label(ref), where)
    return found


def _stamped(company: Company, id_key: str, new_id: str) -> Record:
    stamp = now_stamp()
    return {
        id_key: new_id,
        "TimeCreated": stamp,
        "TimeModified": stamp,
        "EditSequence": company.new_edit_sequence(),
    }


def stamp_new_list(company: Company) -> Record:
    return _stamped(company, "ListID", company.new_list_id())


def stamp_new_txn(company: Company) -> Record:
    record = _stamped(company, "TxnID", company.new_txn_id())
    record["TxnNumber"] = company.new_txn_number()
    return record


def touch(company: Company, record: Record) -> None:
    record["TimeModified"] = now_stamp()
    record["EditSequence"] = company.new_edit_sequence()
