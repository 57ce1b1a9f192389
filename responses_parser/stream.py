"""Streaming reader of a qbXML response message set: one :class:`RsResult` per ``*Rs``, records as they
complete.

The document is fed to libxml2 in chunks with no per-element events at all (asking lxml to filter
hundreds of tag names costs more than parsing). Between chunks the reader looks at the partial tree:
every child of ``QBXMLMsgsRs`` is a ``*Rs`` and every child of a ``*Rs`` a record, and an element that
has a following sibling is complete. Each complete record is converted and removed from the tree, so
memory stays bounded by one chunk of records however many the response holds. Results must be
consumed in order (a result's records are read from the same stream; moving on to the next result
skips whatever was left unread).
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
    return _State(_open(source)).run()


_CHUNK = 64 * 1024


class _State:
    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.parser = etree.XMLPullParser(
            events=("start",),
            tag="QBXMLMsgsRs",
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=True,
        )
        self.message_sets: list[etree._Element] = []
        self.done = False

    def _feed(self) -> None:
        """Parse the next chunk (or finish the document) and note any ``QBXMLMsgsRs`` that started."""
        try:
            data = self.stream.read(_CHUNK)
            if data:
                self.parser.feed(data)
            else:
                root = self.parser.close()
                self.done = True
                self._check_doctype(root)
            for _event, elem in self.parser.read_events():
                self._check_doctype(elem)
                self.message_sets.append(elem)
        except etree.XMLSyntaxError as exc:
            raise ResponseFormatError(f"QuickBooks' response is not well-formed XML: {exc}") from exc

    @staticmethod
    def _check_doctype(elem: etree._Element) -> None:
        # The raw bytes were checked before parsing; this catches a declaration beyond the first bytes.
        if elem.getroottree().docinfo.doctype:
            raise HostileXMLError("XML with a DOCTYPE or ENTITY declaration is not accepted")

    def _complete(self, elem: etree._Element) -> bool:
        """An element is complete once something follows it, or once the document has ended."""
        return self.done or elem.getnext() is not None

    def run(self) -> Iterator[RsResult]:
        index = 0
        while True:
            if index == len(self.message_sets):
                if self.done:
                    break
                self._feed()
                continue
            msgs = self.message_sets[index]
            if len(msgs):
                rs = msgs[0]
                if type(rs.tag) is not str:  # a comment or processing instruction
                    msgs.remove(rs)
                    continue
                result = self._result(rs, self._records(rs))
                yield result
                # The caller may not have read every record: skip to the end of this *Rs.
                for _ in result.records:
                    pass
                msgs.remove(rs)
            elif self._complete(msgs):
                index += 1
            else:
                self._feed()
        if not self.message_sets:
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
        """Records of ``rs``, each converted once complete and then dropped from the tree."""
        while True:
            complete = self._complete(rs)
            ready = len(rs) if complete else len(rs) - 1
            if ready <= 0:
                if complete:
                    return
                self._feed()
                continue
            for _ in range(ready):
                child = rs[0]
                rs.remove(child)
                if type(child.tag) is str:
                    yield read_record(child)
