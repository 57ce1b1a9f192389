"""Streaming reader of a qbXML response message set: one :class:`RsResult` per ``*Rs``, records as they
complete.

The document is fed to libxml2 in chunks with no per-element events at all: asking lxml for events,
even filtered to one tag, runs a callback for every element, and that alone costs a fifth of the parse.
Between chunks the reader looks at the partial tree: every child of ``QBXMLMsgsRs`` is a ``*Rs`` and
every child of a ``*Rs`` a record, and an element that has a following sibling is complete. Each
complete record is converted and removed from the tree, so memory stays bounded by one chunk of
records however many the response holds. Results must be consumed in order (a result's records are
read from the same stream; moving on to the next result skips whatever was left unread).

To reach the partial tree without element events, the reader places a processing instruction of its own
in front of the root element (after the XML declaration, if any) and asks only for processing
instruction events: that instruction is a handle on the document being built. A document that is not
in an ASCII-compatible encoding (UTF-16 and the like) is read with start events for ``QBXMLMsgsRs``
instead, which is slower but the same otherwise.

Whitespace between elements is never data in qbXML, so for UTF-8 documents (what the Web Connector
hands over) libxml2 is told not to build text nodes for it: a third fewer nodes to allocate. Its
test for such whitespace looks at the characters after it, and gets a whitespace-only value
(``<Memo> </Memo>``) wrong when the input fed so far ends just after the ``<`` that follows; so each
chunk is fed up to its last ``>`` and the rest carried over to the next.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, cast

from lxml import etree

from responses_parser.catalogue import Explanation, Remedies
from responses_parser.record_reader import read_record
from responses_parser.records import Record
from responses_parser.safe_xml import DoctypeScanner, HostileXMLError, Utf8Reader, byte_stream, refuse_doctype
from responses_parser.status import ResponseFormatError, ResponseStatus, status_values

__all__ = ["HostileXMLError", "ResponseFormatError", "RsResult", "parse_response"]

_PEEK = 64 * 1024


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

    def explain(self, context: dict[str, Any] | None = None, remedies: Remedies | None = None) -> Explanation:
        return self.status.explain(context, remedies)


def _open(source: str | bytes | IO[bytes] | IO[str]) -> tuple[bytes, IO[bytes] | Utf8Reader]:
    """The first bytes of the document and a stream of the rest (a ``str`` is read as UTF-8, a piece at
    a time)."""
    if isinstance(source, str | bytes):
        rest = byte_stream(source)
        return rest.read(_PEEK), rest
    head = source.read(_PEEK)
    if isinstance(head, str):
        # A text file: decoding already happened, so read it whole and as UTF-8 (rare; tests and tools).
        text = cast(IO[str], source)
        rest = Utf8Reader(head + text.read())
        return rest.read(_PEEK), rest
    # Its first read gave bytes, so the stream is a binary one.
    return head, cast(IO[bytes], source)


_ANCHOR_TARGET = "qbbridge-reader"
_ANCHOR = f"<?{_ANCHOR_TARGET}?>".encode("ascii")
_UTF8_BOM = b"\xef\xbb\xbf"
_BLANKS = (b" ", b"\t", b"\r", b"\n")
_ENCODING = re.compile(rb"""\sencoding\s*=\s*["']([A-Za-z0-9._-]*)["']""")
_UTF8_NAMES = (b"utf-8", b"utf8", b"us-ascii", b"ascii")


def _with_anchor(head: bytes) -> tuple[bytes, bool] | None:
    """``head`` with our processing instruction before the root element, and whether the document is
    UTF-8; None when it is not in an ASCII-compatible encoding or does not start the way a well-formed
    document does (the parser then reports what is wrong, without our instruction in the way)."""
    bom = _UTF8_BOM if head.startswith(_UTF8_BOM) else b""
    body = head[len(bom) :]
    if b"\x00" in body[:4] or not body.lstrip().startswith(b"<"):
        return None
    if len(body) < 6 and b"<?xml".startswith(body[:5]):  # too little read to tell
        return None
    if not body.startswith(b"<?xml"):
        return bom + _ANCHOR + body, True
    if body[5:6] not in _BLANKS:  # <?xml-stylesheet…?> or a malformed declaration
        return None
    end = body.find(b"?>")
    if end < 0:
        return None
    declared = _ENCODING.search(body, 0, end)
    utf8 = declared is None or declared.group(1).lower() in _UTF8_NAMES
    return bom + body[: end + 2] + _ANCHOR + body[end + 2 :], utf8


def _next_in_document(node: etree._Element) -> etree._Element | None:
    """The node after ``node`` in document order, not looking inside a ``QBXMLMsgsRs`` (its records
    are read, and dropped, by the reader)."""
    if node.tag != "QBXMLMsgsRs" and len(node):
        return node[0]
    current: etree._Element | None = node
    while current is not None:
        following = current.getnext()
        if following is not None:
            return following
        current = current.getparent()
    return None


def parse_response(source: str | bytes | IO[bytes] | IO[str]) -> Iterator[RsResult]:
    """Yield one :class:`RsResult` per ``*Rs`` in ``QBXMLMsgsRs``, in document order.

    Raises :class:`HostileXMLError` for a DTD or entity declaration and :class:`ResponseFormatError` for
    text that is not a well-formed qbXML response.
    """
    head, rest = _open(source)
    return _State(head, rest).run()


_CHUNK = 64 * 1024


class _State:
    def __init__(self, head: bytes, rest: IO[bytes] | Utf8Reader) -> None:
        self.rest = rest
        # Every byte is checked for a DTD or entity declaration before the parser sees it.
        self.scanner = DoctypeScanner()
        self.scanner.start(head)
        anchored = _with_anchor(head)
        self.pending, self.utf8 = (head, False) if anchored is None else anchored
        self.carry = b""  # what follows the last ">" fed (UTF-8 documents only)
        # Set once our processing instruction is parsed; None while reading with start events.
        self.anchor: etree._Element | None = None
        self.scanned: etree._Element | None = None  # the last node looked at for message sets
        self.parser = etree.XMLPullParser(
            events=("start",) if anchored is None else ("pi",),
            tag="QBXMLMsgsRs" if anchored is None else None,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=True,
            remove_blank_text=self.utf8,
        )
        self.message_sets: list[etree._Element] = []
        self.done = False

    def _next_chunk(self) -> bytes:
        """The next bytes to feed; for a UTF-8 document they end at a ``>`` (see the module docstring)."""
        if self.pending:
            data, self.pending = self.pending, b""
        else:
            data = self.rest.read(_CHUNK)
            if data:
                self.scanner.feed(data)
            else:
                self.scanner.close()
        if not self.utf8:
            return data
        if not data:
            data, self.carry = self.carry, b""
            return data
        data = self.carry + data
        cut = data.rfind(b">") + 1
        if cut == 0:  # no markup ends here (a long value): only keep a "<" back
            cut = len(data) - 1 if data.endswith(b"<") else len(data)
        self.carry = data[cut:]
        return data[:cut] if cut else self._next_chunk()

    def _feed(self) -> None:
        """Parse the next chunk (or finish the document) and note any ``QBXMLMsgsRs`` that started."""
        try:
            data = self._next_chunk()
            if data:
                self.parser.feed(data)
            else:
                root = self.parser.close()
                self.done = True
                self._check_doctype(root)
            for _event, elem in self.parser.read_events():
                if type(elem.tag) is str:
                    self._check_doctype(elem)
                    self.message_sets.append(elem)
                elif self.anchor is None and elem.target == _ANCHOR_TARGET and elem.getparent() is None:
                    self.anchor = elem
        except etree.XMLSyntaxError as exc:
            raise ResponseFormatError(f"QuickBooks' response is not well-formed XML: {exc}") from exc

    def _discover(self) -> bool:
        """Note the ``QBXMLMsgsRs`` that started since the last look (when reading by our anchor).

        The tree only grows after the last node looked at, so each node is looked at once, however
        much the document holds outside its message sets."""
        if self.anchor is None:
            return False
        if self.scanned is None:
            self.scanned = self.anchor
        found = False
        while (node := _next_in_document(self.scanned)) is not None:
            self.scanned = node
            if node.tag == "QBXMLMsgsRs":
                self._check_doctype(node)
                self.message_sets.append(node)
                found = True
        return found

    @staticmethod
    def _check_doctype(elem: etree._Element) -> None:
        # Every byte was checked before parsing; this is a second line.
        refuse_doctype(elem)

    def _complete(self, elem: etree._Element) -> bool:
        """An element is complete once something follows it, or once the document has ended."""
        return self.done or elem.getnext() is not None

    def run(self) -> Iterator[RsResult]:
        index = 0
        while True:
            if index == len(self.message_sets):
                if self._discover():
                    continue
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
        return RsResult(*status_values(elem), records=records)

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
                record = read_record(child) if type(child.tag) is str else None
                # Dropping our only reference first lets lxml free the subtree as it is unlinked,
                # instead of moving it to a document of its own to be freed later.
                del child
                del rs[0]
                if record is not None:
                    yield record
