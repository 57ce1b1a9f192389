"""One response message set cut into a response of its own per request.

When several steps travel to QuickBooks in one message set (``qbwc/service.py``), QuickBooks answers
them in one response message set, an ``*Rs`` element per request with the request's ``requestID``.
Each step then keeps, and is settled from, the part that answers its own requests: a whole response
document, as if its request had been sent alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from responses_parser.safe_xml import parse_document
from responses_parser.status import ResponseFormatError

__all__ = ["SplitAnswer", "split_answer", "split_by_request_id"]


@dataclass(frozen=True, slots=True)
class SplitAnswer:
    """``parts``: for each key whose requestIDs are answered, a response message set of its own;
    ``unowned``: how many ``*Rs`` elements carry a requestID of no key (or none at all)."""

    parts: dict[str, str]
    unowned: int


def split_by_request_id(text: str | bytes, groups: dict[str, list[str]]) -> dict[str, str]:
    """For each key of ``groups`` (a step, by name) whose requestIDs are answered in ``text``: a
    response message set holding just those ``*Rs`` elements, in their order. A key none of whose
    requests is answered is left out, and so is every ``*Rs`` element that answers no key's request.

    Raises :class:`ResponseFormatError` for text that is not a well-formed response message set and
    :class:`~responses_parser.safe_xml.HostileXMLError` for a DTD or entity declaration.
    """
    return split_answer(text, groups).parts


def split_answer(text: str | bytes, groups: dict[str, list[str]]) -> SplitAnswer:
    """``split_by_request_id``, also counting the ``*Rs`` elements that answer no key's request."""
    try:
        root = parse_document(text, huge_tree=True)
    except etree.XMLSyntaxError as exc:
        raise ResponseFormatError(f"QuickBooks' response is not well-formed XML: {exc}") from exc
    messages = root if root.tag == "QBXMLMsgsRs" else root.find("QBXMLMsgsRs")
    if messages is None:
        raise ResponseFormatError("QuickBooks' response has no QBXMLMsgsRs element")
    owner = {request_id: key for key, request_ids in groups.items() for request_id in request_ids}
    answered: dict[str, list[etree._Element]] = {}
    unowned = 0
    for element in messages:
        if not isinstance(element.tag, str):
            continue
        key = owner.get(element.get("requestID") or "")
        if key is None:
            unowned += 1
        else:
            answered.setdefault(key, []).append(element)
    parts: dict[str, str] = {}
    for key, elements in answered.items():
        part = etree.Element("QBXML")
        part_messages = etree.SubElement(part, "QBXMLMsgsRs", dict(messages.attrib))
        for element in elements:
            element.tail = None
            part_messages.append(element)
        parts[key] = '<?xml version="1.0" ?>\n' + etree.tostring(part, encoding="unicode")
    return SplitAnswer(parts, unowned)
