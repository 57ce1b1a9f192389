"""qbXML as a person reads it on a page: indented, and split into pages when it is large.

A retrieval's answer can be tens of megabytes; a page shows ``LINES_PER_PAGE`` lines of it, so the
browser never gets the whole document at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from responses_parser.safe_xml import HostileXMLError, parse_document

LINES_PER_PAGE = 400
# Larger documents are shown as stored: indenting tens of megabytes on every page view costs more than
# it helps (their lines are QuickBooks' own).
PRETTY_MAX_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class XmlPage:
    text: str
    page: int
    pages: int
    lines: int


def pretty(document: str) -> str:
    """The document indented two spaces a level; as stored when it is not well-formed XML."""
    if len(document) > PRETTY_MAX_BYTES:
        return document
    try:
        root = parse_document(document)
    except (etree.XMLSyntaxError, HostileXMLError, ValueError):
        return document
    etree.indent(root, space="  ")
    body = etree.tostring(root, pretty_print=True, encoding="unicode")
    # The processing instructions before the root (<?qbxml version="13.0"?>) say which version it is.
    head: list[str] = []
    node = root.getprevious()
    while node is not None:
        head.insert(0, etree.tostring(node, encoding="unicode").strip())
        node = node.getprevious()
    declaration = '<?xml version="1.0" encoding="utf-8"?>\n' if document.lstrip().startswith("<?xml") else ""
    return declaration + "".join(line + "\n" for line in head) + body


def page_of(document: str, page: int) -> XmlPage:
    lines = pretty(document).splitlines()
    pages = max(1, -(-len(lines) // LINES_PER_PAGE))
    page = min(max(page, 1), pages)
    start = (page - 1) * LINES_PER_PAGE
    return XmlPage("\n".join(lines[start : start + LINES_PER_PAGE]), page, pages, len(lines))
