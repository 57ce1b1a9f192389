"""The status attributes QuickBooks puts on every ``*Rs`` element, read without building records.

The Web Connector hands us one response message set per request message set. The queue needs only
each response's ``requestID`` and status to settle a step, so this reader stops at attributes and
never materialises the records inside (see ``responses_parser.stream`` for those).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from responses_parser.catalogue import Explanation, Remedies, explain_status
from responses_parser.safe_xml import HostileXMLError, byte_stream, check_no_doctype

__all__ = ["HostileXMLError", "ResponseFormatError", "ResponseStatus", "read_statuses"]


@dataclass(frozen=True, slots=True)
class ResponseStatus:
    """One ``*Rs`` element's status: what QuickBooks said about one request."""

    request_type: str  # e.g. "SalesOrderAddRs"
    request_id: str | None
    status_code: int
    status_severity: str  # "Info" | "Warn" | "Error" (kept verbatim if QuickBooks says otherwise)
    status_message: str
    ret_count: int | None = None
    iterator_id: str | None = None
    iterator_remaining_count: int | None = None

    @property
    def is_error(self) -> bool:
        # statusCode 1 ("no match") is reported with severity Info; only Error severity fails a request.
        return self.status_severity.lower() == "error"

    def explain(self, context: dict[str, Any] | None = None, remedies: Remedies | None = None) -> Explanation:
        """What the status means and what to do, from the catalogue (``context`` and ``remedies``: see
        :func:`responses_parser.catalogue.explain_status`)."""
        return explain_status(
            self.status_code,
            self.status_message,
            severity=self.status_severity,
            request_type=self.request_type,
            context=context,
            remedies=remedies,
        )


class ResponseFormatError(ValueError):
    """The text is not a qbXML response message set we can read."""


def _int_or_none(value: str | None) -> int | None:
    if value is None or value.strip() == "":
        return None
    try:
        return int(value)
    except ValueError:
        return None


# ResponseStatus's fields, in their order (RsResult, in responses_parser.stream, begins with the same).
StatusValues = tuple[str, str | None, int, str, str, int | None, str | None, int | None]


def status_values(rs: etree._Element) -> StatusValues:
    """What QuickBooks says about one request, read from the attributes of its ``*Rs`` element ``rs``."""
    attrs = rs.attrib
    return (
        str(rs.tag),
        attrs.get("requestID"),
        _int_or_none(attrs.get("statusCode")) or 0,
        attrs.get("statusSeverity", "Info"),
        attrs.get("statusMessage", ""),
        _int_or_none(attrs.get("retCount")),
        attrs.get("iteratorID"),
        _int_or_none(attrs.get("iteratorRemainingCount")),
    )


def read_statuses(text: str | bytes) -> list[ResponseStatus]:
    """Return one :class:`ResponseStatus` per ``*Rs`` child of ``QBXMLMsgsRs``, in document order.

    Raises :class:`ResponseFormatError` for text that is not well-formed or has no ``QBXMLMsgsRs``,
    and :class:`HostileXMLError` for a DTD or entity declaration.
    """
    check_no_doctype(text)
    statuses: list[ResponseStatus] = []
    seen_msgs = False
    depth = 0
    try:
        for event, element in etree.iterparse(
            byte_stream(text),
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=True,
        ):
            if event == "start":
                depth += 1
                if element.tag == "QBXMLMsgsRs":
                    seen_msgs = True
                    msgs_depth = depth
                elif seen_msgs and depth == msgs_depth + 1:
                    statuses.append(ResponseStatus(*status_values(element)))
            else:
                depth -= 1
                # Records are not needed here; free them as we go so a huge response stays cheap.
                if seen_msgs and depth >= msgs_depth + 1:
                    element.clear(keep_tail=False)
    except etree.XMLSyntaxError as exc:
        raise ResponseFormatError(f"QuickBooks' response is not well-formed XML: {exc}") from exc
    if not seen_msgs:
        raise ResponseFormatError("QuickBooks' response has no QBXMLMsgsRs element")
    return statuses
