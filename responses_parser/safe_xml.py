"""Hardened XML parsing: no DTD, no entities, no network, whatever the document's encoding.

Everything we parse comes from outside (QuickBooks via the Web Connector, or an API caller), so a
document that declares a DTD or an entity is refused outright rather than parsed with expansion off:
QuickBooks never sends one, and refusing before parsing is the only way to be sure nothing is
expanded (libxml2 parses an entity's replacement text when it is first referenced, even with
substitution off).

The declaration is looked for in the text the parser would read, not in the raw bytes: the encoding
is found as a parser finds it (a byte order mark, the byte pattern of the first ``<``, then the XML
declaration; XML 1.0, appendix F), and a document in an encoding where ``<!DOCTYPE`` is not those
ASCII bytes (UTF-16, UTF-32, EBCDIC, UTF-7…) is decoded, piece by piece, before it is searched. A
document in an encoding Python does not know is refused, since it cannot be checked. After parsing,
the tree is checked again for a document type declaration.

``huge_tree`` lifts libxml2's size limits (a text node over 10 MB, as the Web Connector's ``response``
argument is for a large answer; nesting deeper than 256) and nothing else: entities stay unresolved
and the network unreachable.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterable
from typing import IO

from lxml import etree


class HostileXMLError(ValueError):
    """The document declares a DTD or an entity, or is in an encoding that cannot be checked."""


class UnknownEncodingError(HostileXMLError):
    """The document is in an encoding Python does not know, so it cannot be checked."""

    def __init__(self, encoding: str) -> None:
        super().__init__(f"XML in the encoding {encoding!r} is not accepted: qbbridge cannot check it")
        self.encoding = encoding


DOCTYPE_REFUSED = "XML with a DOCTYPE or ENTITY declaration is not accepted"

_DECLARATION_TEXT = re.compile(r"<!\s{0,64}(DOCTYPE|ENTITY)", re.IGNORECASE)
_DECLARATION_BYTES = re.compile(rb"<!\s{0,64}(DOCTYPE|ENTITY)", re.IGNORECASE)
# Enough of a piece's end to be searched again with the next piece, so a declaration cut between two
# pieces is still found (the longest match is "<!", 64 blanks, "DOCTYPE").
_OVERLAP = 80
# How much of the start of a document is read to find its encoding (the XML declaration is there).
ENCODING_HEAD = 1024

_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)
_EBCDIC_START = b"\x4c\x6f\xa7\x94"  # "<?xm" in EBCDIC
_DECLARED = re.compile(rb"""^<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]{0,39})["']""")


def detect_encoding(head: bytes) -> str:
    """The encoding a parser reads a document in, from its first bytes (a Python codec name)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    first = head[:4]
    if b"\x00" in first:
        # "<" in UTF-16 or UTF-32, big- or little-endian, with or without a declaration.
        if first.startswith(b"\x00\x00"):
            return "utf-32-be"
        if first.startswith(b"\x00"):
            return "utf-16-be"
        return "utf-32-le" if first[1:4] == b"\x00\x00\x00" else "utf-16-le"
    if first == _EBCDIC_START:
        declared = _DECLARED.match(head.decode("cp037", errors="replace").encode("ascii", errors="replace"))
        return _codec_name(declared.group(1).decode("ascii")) if declared else "cp037"
    declared = _DECLARED.match(head)
    if declared is None:
        return "utf-8"
    return _codec_name(declared.group(1).decode("ascii"))


def _codec_name(declared: str) -> str:
    try:
        return codecs.lookup(declared).name
    except LookupError as exc:
        raise UnknownEncodingError(declared) from exc


def _ascii_transparent(encoding: str) -> bool:
    """Whether ``<!DOCTYPE`` in this encoding is those ASCII bytes, and no other text gives them."""
    return (
        encoding in ("utf-8", "utf-8-sig", "ascii")
        or encoding.startswith("iso8859-")
        or encoding in {f"cp125{n}" for n in range(9)}
    )


class DoctypeScanner:
    """Refuses a DTD or entity declaration in a document read in pieces, in its decoded text.

    ``feed`` returns the bytes that have been checked and may be given to a parser (the start is held
    back until the encoding is known); ``close`` returns the rest. Either raises
    :class:`HostileXMLError` as soon as a declaration is seen. The raw bytes are searched too, whatever
    the encoding: a parser may read a document in another encoding than the one it declares (libxml2
    reads a document labelled UTF-16 whose bytes are ASCII as UTF-8).
    """

    def __init__(self) -> None:
        self.encoding: str | None = None
        self._held = b""
        self._decoder: codecs.IncrementalDecoder | None = None
        self._tail_bytes = b""
        self._tail_text = ""

    def start(self, head: bytes) -> None:
        """Take the encoding from ``head`` now, however short it is, and check it (for a reader that
        has read the start of the document already and feeds the rest itself)."""
        self._held += head
        self._start()

    def feed(self, data: bytes) -> bytes:
        if self.encoding is None:
            self._held += data
            if len(self._held) < ENCODING_HEAD and b"?>" not in self._held:
                return b""
            return self._start()
        self._scan(data, final=False)
        return data

    def close(self) -> bytes:
        rest = self._start() if self.encoding is None else b""
        self._scan(b"", final=True)
        return rest

    def _start(self) -> bytes:
        held, self._held = self._held, b""
        self.encoding = detect_encoding(held)
        if not _ascii_transparent(self.encoding):
            self._decoder = codecs.getincrementaldecoder(self.encoding)(errors="replace")
        self._scan(held, final=False)
        return held

    def _scan(self, data: bytes, *, final: bool) -> None:
        window = self._tail_bytes + data if self._tail_bytes else data
        if _DECLARATION_BYTES.search(window):
            raise HostileXMLError(DOCTYPE_REFUSED)
        self._tail_bytes = window[-_OVERLAP:]
        if self._decoder is not None:
            text = self._tail_text + self._decoder.decode(data, final)
            if _DECLARATION_TEXT.search(text):
                raise HostileXMLError(DOCTYPE_REFUSED)
            self._tail_text = text[-_OVERLAP:]


def check_no_doctype(data: str | bytes | Iterable[bytes]) -> None:
    """Raise :class:`HostileXMLError` if the document declares a DTD or an entity.

    A ``str`` is already decoded and is searched as it is; bytes are searched in the text they
    encode."""
    if isinstance(data, str):
        if _DECLARATION_TEXT.search(data):
            raise HostileXMLError(DOCTYPE_REFUSED)
        return
    scanner = DoctypeScanner()
    for piece in [data] if isinstance(data, bytes) else data:
        scanner.feed(piece)
    scanner.close()


def refuse_doctype(root: etree._Element) -> None:
    """After parsing: the document must have no document type declaration (the check before
    parsing makes this unreachable; it stays as a second line)."""
    if root.getroottree().docinfo.doctype:
        raise HostileXMLError(DOCTYPE_REFUSED)


def safe_parser(*, huge_tree: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=huge_tree,
        remove_blank_text=False,
    )


def parse_document(data: str | bytes, *, huge_tree: bool = False) -> etree._Element:
    """Parse a whole document safely; raises HostileXMLError or etree.XMLSyntaxError."""
    if isinstance(data, str):
        check_no_doctype(data)
    raw = to_bytes(data)
    if isinstance(data, bytes):
        check_no_doctype(raw)
    root = etree.fromstring(raw, parser=safe_parser(huge_tree=huge_tree))
    refuse_doctype(root)
    return root


_ENCODING_DECL = re.compile(r"^(\s*<\?xml[^>]*?)\s+encoding\s*=\s*(['\"])[^'\"]*\2", re.IGNORECASE)


def to_bytes(data: str | bytes) -> bytes:
    """Bytes for the parser. A ``str`` is already decoded, so its declared encoding is rewritten to UTF-8."""
    if isinstance(data, bytes):
        return data
    return utf8_declaration(data).encode("utf-8")


def utf8_declaration(text: str) -> str:
    """``text`` (decoded already) with the encoding in its XML declaration, if any, said to be UTF-8."""
    return _ENCODING_DECL.sub(r'\1 encoding="utf-8"', text, count=1)


class Utf8Reader:
    """A ``str`` read as UTF-8 bytes a piece at a time, its XML declaration saying UTF-8: a parser gets
    bytes without a second, encoded copy of a large text being made whole."""

    def __init__(self, text: str) -> None:
        head = min(len(text), ENCODING_HEAD)
        self._buffer = utf8_declaration(text[:head]).encode("utf-8")
        self._text = text
        self._position = head

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            rest = self._text[self._position :].encode("utf-8")
            data, self._buffer, self._position = self._buffer + rest, b"", len(self._text)
            return data
        while len(self._buffer) < size and self._position < len(self._text):
            piece = self._text[self._position : self._position + size]
            self._position += len(piece)
            self._buffer += piece.encode("utf-8")
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def byte_stream(data: str | bytes) -> IO[bytes] | Utf8Reader:
    """What a parser reads a document from: the bytes themselves, or a ``str`` as UTF-8."""
    return io.BytesIO(data) if isinstance(data, bytes) else Utf8Reader(data)
