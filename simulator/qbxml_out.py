"""Writing qbXML responses in schema order from the Ret-shaped dicts the company keeps."""

from __future__ import annotations

from typing import Any

from lxml import etree

from simulator import statuses
from simulator.spec import ret_order

Record = dict[str, Any]


def _ordered_items(tag: str, data: Record) -> list[tuple[str, Any]]:
    items = [(k, v) for k, v in data.items() if not k.startswith("_") and v is not None]
    order = ret_order(tag)
    if order is None:
        return items
    rank = {name: i for i, name in enumerate(order)}
    return sorted(items, key=lambda kv: rank.get(kv[0], len(rank)))


def add(parent: etree._Element, tag: str, value: Any) -> None:
    """Append `value` under `parent`: text for scalars, an element per dict, one per list entry."""
    if isinstance(value, list):
        for entry in value:
            # Lines and group lines share one list, in the document's order; a group says its own tag.
            own = entry.get("_tag", tag) if isinstance(entry, dict) else tag
            add(parent, own, entry)
        return
    element = etree.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, sub in _ordered_items(tag, value):
            add(element, key, sub)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)


def response_envelope() -> tuple[etree._Element, etree._Element]:
    root = etree.Element("QBXML")
    msgs = etree.SubElement(root, "QBXMLMsgsRs")
    return root, msgs


def rs_element(
    parent: etree._Element,
    tag: str,
    request_id: str | None,
    code: int,
    message: str,
    extra: dict[str, str] | None = None,
) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if request_id is not None:
        element.set("requestID", request_id)
    element.set("statusCode", str(code))
    element.set("statusSeverity", statuses.severity(code))
    element.set("statusMessage", message)
    for key, value in (extra or {}).items():
        element.set(key, value)
    return element


def serialize(root: etree._Element) -> str:
    # QuickBooks' response documents start with this exact declaration and carry no qbxml PI.
    return '<?xml version="1.0" ?>\n' + etree.tostring(root, encoding="unicode")
