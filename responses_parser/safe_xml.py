"""Hardened XML parsing: no DTD, no entities, no network.

Everything we parse comes from outside (QuickBooks via the Web Connector, or an API caller), so a
document that declares a DTD or an entity is refused outright rather than parsed with expansion off:
QuickBooks never sends one, and refusing is the only way to be sure nothing is expanded.
"""

from __future__ import annotations

import re

from lxml import etree


class HostileXMLError(ValueError):
    """The document declares a DTD or an entity, which we never accept."""


_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def check_no_doctype(data: bytes) -> None:
    if _DOCTYPE.search(data):
        raise HostileXMLError("XML with a DOCTYPE or ENTITY declaration is not accepted")


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
    raw = to_bytes(data)
    check_no_doctype(raw)
    return etree.fromstring(raw, parser=safe_parser(huge_tree=huge_tree))


_ENCODING_DECL = re.compile(r"^(\s*<\?xml[^>]*?)\s+encoding\s*=\s*(['\"])[^'\"]*\2", re.IGNORECASE)


def to_bytes(data: str | bytes) -> bytes:
    """Bytes for the parser. A ``str`` is already decoded, so its declared encoding is rewritten to UTF-8."""
    if isinstance(data, bytes):
        return data
    return _ENCODING_DECL.sub(r'\1 encoding="utf-8"', data, count=1).encode("utf-8")
