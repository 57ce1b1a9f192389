"""How many documents a retrieval asks QuickBooks for at a time (``MaxReturned``), from what it has seen.

The Web Connector hands qbbridge each page of QuickBooks' answer XML-escaped inside one SOAP body, and a
body over ``QBBRIDGE_MAX_SOAP_BODY_BYTES`` is refused. A page is aimed at an eighth of that limit.

* The **first page** of a query knows nothing of the documents yet: it asks for ``PAGE_SIZES[entity]``,
  sized so that a page of large real orders (200 lines, custom fields, linked transactions) takes an
  eighth of the default limit (measured: ``bench/retrieval_page_size.py``, docs/retrievals.md).
* Every **later page** is sized from the largest document the step has seen so far, as it travels in
  SOAP (escaped, quotes counted too): as many as fit in an eighth of the limit, at least 1 and at most
  ``MAX_PAGE_SIZE``. Ordinary orders travel ``MAX_PAGE_SIZE`` a page; once a large one has been seen,
  pages shrink so that pages of documents that large fit in the eighth, and below the first page's size
  for documents larger than the ones it was measured with.
* A page is sized before its documents are seen, so a page that holds documents larger than every one
  seen before can take more than the eighth: at most ``MAX_PAGE_SIZE`` times its largest document.
* A page whose answer was lost (the session ended first; a page over the limit ends it this way) makes
  the step's later pages no larger than its first page's size, so the page is not asked for again at the
  size that failed.
* After QuickBooks refused an iterator's ``Continue``, the step asks every page at the first page's
  size, exactly as qbbridge did before pages were sized from what was seen, in case that QuickBooks
  wants a ``Continue`` to ask for as many documents as its ``Start`` did.

The figures live in the step's result (``PageSizing.to_result``), with its iterator.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from mapping import retrieval_lists

# MaxReturned of a query's first page: a page of large real orders, as the Web Connector hands it over,
# takes at most an eighth of the default QBBRIDGE_MAX_SOAP_BODY_BYTES. Measured with
# bench/retrieval_page_size.py; the figures and the margin are in docs/retrievals.md. The item list is
# read at a fixed size (1,000 items with QuickBooks' longest names: 0.7% of the limit).
PAGE_SIZES: dict[str, int] = {
    "salesOrder": 23,
    "purchaseOrder": 21,
    "invoice": 24,
    "estimate": 24,
    retrieval_lists.LISTS: 1000,
}
# The most documents a page asks for: the page size qbbridge used before pages were sized for large
# orders. A page is sized before its documents are seen, so this also bounds a page of documents larger
# than any seen before: 100 large orders take 34–39 MB in SOAP, 50–59% of the default limit.
MAX_PAGE_SIZE = 100
# A page aims at this share of the SOAP body limit (an eighth).
PAGE_SHARE = 8
DEFAULT_SOAP_BODY_LIMIT = 64 * 1024 * 1024  # QBBRIDGE_MAX_SOAP_BODY_BYTES' default
# What a page costs besides its documents: the SOAP envelope with its ticket and the answer's own
# QBXML/QBXMLMsgsRs/…QueryRs elements (under 1 KB measured; rounded up).
WRAPPER_BYTES = 4096
# How much each character grows when the answer is XML-escaped into the SOAP body. Quotes are counted
# too (the simulated Web Connector leaves them; another SOAP client may not): the larger of the two.
_ESCAPE_GROWTH = {
    "&": len("&amp;") - 1,
    "<": len("&lt;") - 1,
    ">": len("&gt;") - 1,
    '"': len("&quot;") - 1,
    "'": len("&apos;") - 1,
}


def soap_bytes(text: str) -> int:
    """Bytes ``text`` takes once XML-escaped into a SOAP body, in UTF-8."""
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    return size + sum(text.count(character) * growth for character, growth in _ESCAPE_GROWTH.items())


def record_sizes(answer: str, record_tag: str) -> list[int]:
    """The SOAP size of each ``<record_tag>`` element of a query's answer (``SalesOrderRet``…), in the
    order they come; the whitespace after an element counts with it."""
    opening, closing = f"<{record_tag}>", f"</{record_tag}>"
    starts: list[int] = []
    at = answer.find(opening)
    while at >= 0:
        starts.append(at)
        at = answer.find(opening, at + len(opening))
    if not starts:
        return []
    last_end = answer.rfind(closing)
    if last_end < starts[-1]:
        return []  # not an answer this module can read: the caller treats the page as one document
    ends = [*starts[1:], last_end + len(closing)]
    return [soap_bytes(answer[start:end]) for start, end in zip(starts, ends, strict=True)]


def fitting(largest_record: int, soap_body_limit: int) -> int:
    """How many documents of ``largest_record`` bytes fit in a page of an eighth of the limit (1 to
    ``MAX_PAGE_SIZE``)."""
    budget = soap_body_limit // PAGE_SHARE - WRAPPER_BYTES
    return max(1, min(MAX_PAGE_SIZE, budget // max(1, largest_record)))


@dataclass(frozen=True, slots=True)
class PageSizing:
    """What a retrieval step has learnt for sizing its pages."""

    largest_record: int | None = None  # SOAP bytes of the largest document seen; None before any
    after_loss: bool = False  # a page's answer was lost: no page larger than the first page's size
    fixed: bool = False  # QuickBooks refused a Continue: every page at the first page's size

    @classmethod
    def from_result(cls, result: dict[str, Any]) -> PageSizing:
        largest = result.get("largestRecordBytes")
        return cls(
            largest_record=largest if type(largest) is int and largest > 0 else None,
            after_loss=result.get("pageLost") is True,
            fixed=result.get("fixedPageSize") is True,
        )

    def to_result(self) -> dict[str, Any]:
        return {
            "largestRecordBytes": self.largest_record,
            "pageLost": self.after_loss,
            "fixedPageSize": self.fixed,
        }

    def seen(self, answer: str, record_tag: str, records: int) -> PageSizing:
        """After a page of ``records`` documents: its largest one counts. When the documents cannot be
        told apart in the answer, the whole answer counts as one document (the next page is then no
        larger than the first)."""
        if records <= 0:
            return self
        sizes = record_sizes(answer, record_tag)
        largest = max(sizes) if len(sizes) == records else soap_bytes(answer)
        return replace(self, largest_record=max(largest, self.largest_record or 0))

    def lost(self) -> PageSizing:
        return replace(self, after_loss=True)

    def continue_refused(self) -> PageSizing:
        return replace(self, fixed=True)

    def first_page(self, entity: str, soap_body_limit: int) -> int:
        """``MaxReturned`` of an iterator's ``Start``: the first page's size, or fewer when documents
        seen before (by an earlier iterator of the same step) would not fit."""
        first = PAGE_SIZES[entity]
        if self.fixed or self.largest_record is None:
            return first
        return min(first, fitting(self.largest_record, soap_body_limit))

    def next_page(self, entity: str, soap_body_limit: int) -> int:
        """``MaxReturned`` of an iterator's ``Continue``."""
        first = PAGE_SIZES[entity]
        if self.fixed or self.largest_record is None:
            return first
        size = fitting(self.largest_record, soap_body_limit)
        return min(size, first) if self.after_loss else size
