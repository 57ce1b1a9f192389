"""Streaming reader of a qbXML response message set: one :class:`RsResult` per ``*Rs``, records as they
complete.

The XML parser is asked for events on ``*Rs`` elements and their direct ``*Ret`` children only; every
record is converted the moment its element ends and then removed from the tree, so memory stays bounded
by one record however many the response holds. Results must be consumed in order (a result's records
are read from the same stream; moving on to the next result skips whatever was left unread).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from lxml import etree

from responses_parser.catalogue import Explanation, explain_status
from responses_parser.records import Record, read_record
from responses_parser.safe_xml import HostileXMLError, check_no_doctype, to_bytes
from responses_parser.status import ResponseFormatError, ResponseStatus
from responses_parser.tags import RET_TAGS, RS_TAGS

__all__ = ["HostileXMLError", "ResponseFormatError", "RsResult", "parse_response"]

_PEEK = 64 * 1024


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None  # type: ignore[arg-type]
    except ValueError:
        return None


@dataclass(slots=True)
class RsResult:
    """What QuickBooks answered to one request, and (lazily) the records it returned."""

    request_type: str  # the *Rs element, e.g. "SalesOrderQueryRs"
    request_id: str | None
    status_code: int
    status_severity: str
    status_message: str
    ret_count: int | None = None
    iterator_id: str | None = None
    iterator_remaining_count: int | None = None
    records: Iterator[Record] = field(default_factory=lambda: iter(()), repr=False)

    @property
    def status(self) -> ResponseStatus:
        return ResponseStatus(
            self.request_type,
            self.request_id,
            self.status_code,
            self.status_severity,
            self.status_message,
            self.ret_count,
            self.iterator_id,
            self.iterator_remaining_count,
        )

    @property
    def is_error(self) -> bool:
        return self.status_severity.lower() == "error"

    def explain(self, context: dict[str, Any] | None = None) -> Explanation:
        return explain_status(
            self.status_code,
            self.status_message,
            severity=self.status_severity,
            request_type=self.request_type,
            context=context,
        )


class _Source(io.RawIOBase):
    """A file whose first bytes were already read (to look for a DOCTYPE) and are served again."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head.nbytes:
            size = min(len(buffer), self._head.nbytes)
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _open(source: str | bytes | IO[bytes] | IO[str]) -> IO[bytes]:
    if isinstance(source, str | bytes):
        data = to_bytes(source)
        check_no_doctype(data)
        return io.BytesIO(data)
    head = source.read(_PEEK)
    if isinstance(head, str):
        # A text file: decoding already happened, so re-read it whole as UTF-8 (rare; tests and tools).
        data = to_bytes(head + source.read())  # type: ignore[operator]
        check_no_doctype(data)
        return io.BytesIO(data)
    check_no_doctype(head)
    return io.BufferedReader(_Source(head, source))  # type: ignore[arg-type]


def parse_response(source: str | bytes | IO[bytes] | IO[str]) -> Iterator[RsResult]:
    """Yield one :class:`RsResult` per ``*Rs`` in ``QBXMLMsgsRs``, in document order.

    Raises :class:`HostileXMLError` for a DTD or entity declaration and :class:`ResponseFormatError` for
    text that is not a well-formed qbXML response.
    """
    stream = _open(source)
    events = etree.iterparse(
        stream,
        events=("start", "end"),
        tag=("QBXMLMsgsRs", *RS_TAGS, *RET_TAGS),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,
    )
    return _results(events)


def _results(events: Any) -> Iterator[RsResult]:
    state = _State(events)
    try:
        yield from state.run()
    except etree.XMLSyntaxError as exc:
        raise ResponseFormatError(f"QuickBooks' response is not well-formed XML: {exc}") from exc


class _State:
    def __init__(self, events: Any) -> None:
        self.events = events
        self.msgs: etree._Element | None = None
        self.current: etree._Element | None = None
        self.current_done = False
        self.checked_doctype = False

    def _next(self) -> tuple[str, etree._Element] | None:
        try:
            event, elem = next(self.events)
        except StopIteration:
            return None
        if not self.checked_doctype:
            self.checked_doctype = True
            if elem.getroottree().docinfo.doctype:
                raise HostileXMLError("XML with a DOCTYPE or ENTITY declaration is not accepted")
        return event, elem

    def run(self) -> Iterator[RsResult]:
        while True:
            item = self._next()
            if item is None:
                break
            event, elem = item
            tag = elem.tag
            if tag == "QBXMLMsgsRs":
                if event == "start":
                    self.msgs = elem
                else:
                    # Children still here are *Rs elements no schema we know lists: keep them, leniently.
                    for child in list(elem):
                        if isinstance(child.tag, str):
                            records = iter([read_record(r) for r in child if isinstance(r.tag, str)])
                            yield self._result(child, records)
                    elem.clear()
                continue
            if event != "start" or self.msgs is None or elem.getparent() is not self.msgs:
                continue
            result = self._result(elem, self._records(elem))
            yield result
            # The caller may not have read every record: skip to the end of this *Rs.
            for _ in result.records:
                pass
            self.msgs.remove(elem)
        if self.msgs is None:
            raise ResponseFormatError("QuickBooks' response has no QBXMLMsgsRs element")

    @staticmethod
    def _result(elem: etree._Element, records: Iterator[Record]) -> RsResult:
        attrs = elem.attrib
        return RsResult(
            request_type=str(elem.tag),
            request_id=attrs.get("requestID"),
            status_code=_int(attrs.get("statusCode")) or 0,
            status_severity=attrs.get("statusSeverity", "Info"),
            status_message=attrs.get("statusMessage", ""),
            ret_count=_int(attrs.get("retCount")),
            iterator_id=attrs.get("iteratorID"),
            iterator_remaining_count=_int(attrs.get("iteratorRemainingCount")),
            records=records,
        )

    def _records(self, rs: etree._Element) -> Iterator[Record]:
        """Records of ``rs``, each converted when its element ends and then dropped from the tree."""
        next_event = self._next
        while True:
            item = next_event()
            if item is None:
                return
            event, elem = item
            if event != "end":
                continue
            if elem is rs:
                # Children of types no schema lists (so no event was asked for) are still here.
                for child in list(rs):
                    if isinstance(child.tag, str):
                        yield read_record(child)
                return
            if elem.getparent() is rs:
                record = read_record(elem)
                rs.remove(elem)
                yield record
            # Otherwise a *Ret nested in a record (DataExtRet in a SalesOrderRet): part of that record.
