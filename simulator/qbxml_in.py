"""Reading incoming qbXML the way QuickBooks does: hardened parsing plus QuickBooks' own checks.

Deliberately independent of the product's parser so that a mistake there shows up as a rejected
message set here instead of being mirrored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from simulator import statuses
from simulator.spec import ADDRESS, REF, REQUESTS, Field, fields

ON_ERROR_VALUES = ("stopOnError", "continueOnError", "rollbackOnError")
_VERSION_RE = re.compile(r'version\s*=\s*"([^"]*)"')
_BOOLEANS = {"true", "false", "1", "0"}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_FIELDS = {
    "TxnDate",
    "DueDate",
    "ShipDate",
    "ExpectedDate",
    "FromTxnDate",
    "ToTxnDate",
    "ServiceDate",
    "JobStartDate",
    "JobProjectedEndDate",
    "JobEndDate",
    "HiredDate",
    "InventoryDate",
}
_NUMBER_FIELDS = {
    "Quantity",
    "Rate",
    "Amount",
    "Price",
    "SalesPrice",
    "PurchaseCost",
    "Cost",
    "NewQuantity",
    "QuantityDifference",
    "QuantityOnHand",
    "MaxReturned",
    "ReorderPoint",
    "OpenBalance",
}


class QBXMLParseError(Exception):
    """The whole message set was rejected, as QuickBooks' request processor does (an HRESULT)."""

    def __init__(
        self, detail: str, *, hresult: str = statuses.PARSE_HRESULT, message: str = statuses.PARSE_MESSAGE
    ) -> None:
        super().__init__(f"{hresult}: {message} ({detail})")
        self.hresult = hresult
        self.message = message
        self.detail = detail


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=True,
    )


def parse_xml(text: str | bytes) -> etree._Element:
    """Parse untrusted XML; refuses any DOCTYPE so no entity tricks reach lxml."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    if b"<!DOCTYPE" in data.upper().replace(b"<!doctype", b"<!DOCTYPE"):
        raise ValueError("DOCTYPE is not allowed")
    root = etree.fromstring(data, safe_parser())
    if root.getroottree().docinfo.doctype:
        raise ValueError("DOCTYPE is not allowed")
    return root


@dataclass
class MessageSet:
    version: str
    on_error: str
    requests: list[etree._Element]
    document: etree._Element


def qbxml_version(text: str) -> str | None:
    match = re.search(r"<\?qbxml\s+([^?]*)\?>", text)
    if not match:
        return None
    version = _VERSION_RE.search(match.group(1))
    return version.group(1) if version else None


def read_message_set(text: str) -> MessageSet:
    """Parse and check a request document; raises QBXMLParseError like QuickBooks would."""
    try:
        root = parse_xml(text)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise QBXMLParseError(f"not well-formed: {exc}") from exc
    version = qbxml_version(text)
    if version is None:
        raise QBXMLParseError("missing <?qbxml version?> processing instruction")
    if root.tag != "QBXML":
        raise QBXMLParseError(f"root element is {root.tag}, expected QBXML")
    msgs = [c for c in root if isinstance(c.tag, str) and c.tag != "SignonMsgsRq"]
    if len(msgs) != 1 or msgs[0].tag != "QBXMLMsgsRq":
        raise QBXMLParseError("QBXML must contain exactly one QBXMLMsgsRq")
    msgs_rq = msgs[0]
    on_error = msgs_rq.get("onError")
    if on_error not in ON_ERROR_VALUES:
        raise QBXMLParseError(f"QBXMLMsgsRq onError is {on_error!r}")
    requests = [c for c in msgs_rq if isinstance(c.tag, str)]
    for request in requests:
        check_request(request)
    return MessageSet(version=version, on_error=on_error, requests=requests, document=root)


def check_request(request: etree._Element) -> None:
    tag = request.tag
    if not tag.endswith("Rq"):
        raise QBXMLParseError(f"Element '{tag}': This element is not expected.")
    if tag in REQUESTS:
        _check_children(request, fields(REQUESTS[tag]))
        return
    body = tag[:-2]
    if body in REQUESTS:
        # Add/Mod wrappers hold the aggregate itself followed by IncludeRetElement*.
        _check_children(
            request, [Field(body, True, False, None), Field("IncludeRetElement", False, True, 50)]
        )


def _spec_for(tag: str) -> list[Field] | None:
    if tag in REQUESTS:
        return fields(REQUESTS[tag])
    if tag.endswith("Ref") or tag in ("ListObjRef",):
        return fields(REF)
    if tag.endswith("Address") and tag != "ShipToAddress":
        return fields(ADDRESS)
    return None


def _check_children(element: etree._Element, spec: list[Field]) -> None:
    position = {f.name: (f.slot if f.slot >= 0 else i) for i, f in enumerate(spec)}
    last_index = -1
    last_name = ""
    seen: set[str] = set()
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = child.tag
        if name not in position:
            raise QBXMLParseError(f"Element '{name}': This element is not expected (in {element.tag}).")
        index = position[name]
        field = next(f for f in spec if f.name == name)
        if index < last_index or (index == last_index and not field.repeatable):
            raise QBXMLParseError(
                f"Element '{name}': This element is not expected after '{last_name}' (in {element.tag})."
            )
        last_index, last_name = index, name
        seen.add(name)
        _check_value(child, field)
    for field in spec:
        if field.required and field.name not in seen:
            raise QBXMLParseError(f"Element '{element.tag}': Missing child element '{field.name}'.")


def _check_value(element: etree._Element, field: Field) -> None:
    children = [c for c in element if isinstance(c.tag, str)]
    if children:
        sub = _spec_for(element.tag)
        if sub is not None:
            _check_children(element, sub)
        return
    text = element.text or ""
    if field.max_length is not None and len(text) > field.max_length:
        raise QBXMLParseError(
            f"Element '{element.tag}': [facet 'maxLength'] The value has a length of "
            f"'{len(text)}'; this exceeds the allowed maximum length of '{field.max_length}'."
        )
    if (
        field.name.startswith(("Is", "Include"))
        and field.name not in ("IncludeRetElement",)
        and text.strip() not in _BOOLEANS
    ):
        raise QBXMLParseError(f"Element '{element.tag}': '{text}' is not a valid boolean.")
    if field.name in _DATE_FIELDS and not _DATE_RE.match(text.strip()):
        raise QBXMLParseError(f"Element '{element.tag}': '{text}' is not a valid date.")
    if field.name in _NUMBER_FIELDS and not re.fullmatch(r"-?\d+(\.\d+)?", text.strip()):
        raise QBXMLParseError(f"Element '{element.tag}': '{text}' is not a valid number.")
    sub = _spec_for(element.tag)
    if sub is not None and any(f.required for f in sub) and element.tag not in ("ListObjRef",):
        raise QBXMLParseError(f"Element '{element.tag}': Missing child element(s).")


def boolean(text: str | None, default: bool = False) -> bool:
    if text is None:
        return default
    return text.strip() in ("true", "1")
