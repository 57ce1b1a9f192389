"""Benchmark: how big a page of retrieved orders is as the Web Connector hands it to qbbridge, per QuickBooks
document type, for the page sizes in ``mapping.retrieval_pages.PAGE_SIZES``.

A simulated QuickBooks holds large real-world orders (``tests/support/large_orders.py``: 200 lines with
descriptions, units, classes and line custom fields; addresses, a long memo, ten custom fields and 25
linked transactions). The first page of the retrieval's own query is answered by it, and that answer
is put in a ``receiveResponseXML`` envelope the way the Web Connector sends it: XML-escaped, so each
``&``, ``<``, ``>`` (and here also ``"`` and ``'``, to be safe) grows. Prints, per document type, the
size of one order, the page size that keeps a page of large orders within 1/MARGIN of
``QBBRIDGE_MAX_SOAP_BODY_BYTES`` (``fits``), and for the page size in use the size of a full page and
its share of the limit, for large orders and for the same orders with every description and memo at
QuickBooks' 4,095-character maximum. ``PAGE_SIZES`` is the first page's size (nothing seen yet); the
``next`` columns give what the pages after it ask for once these orders have been seen
(``mapping.retrieval_pages``), and the size of such a page in SOAP. Last, per document type, a page of
``MAX_PAGE_SIZE`` large orders: the most a page sized from ordinary orders can hold when large ones
follow them.

    .venv/bin/python bench/retrieval_page_size.py [--limit 67108864]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mapping import retrieval_lists
from mapping.retrieval_pages import MAX_PAGE_SIZE, PAGE_SIZES, PageSizing
from mapping.retrieval_queries import first_page_query
from requests_builder import build_message_set
from simulator.company import Company
from simulator.quickbooks import QuickBooks
from simulator.soap import envelope
from tests.simulator.conftest import message_set
from tests.support.large_orders import KINDS, LARGE, LONGEST_TEXT, Profile, large_company

MIB = 1024 * 1024
# A page of large orders may take this share of the limit at most: pages of orders several times as
# large still fit (the "longest text" column shows one such case).
MARGIN = 8
SINCE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
# Escaping the way the simulated Web Connector does (&, <, >), plus quotes: the larger of the two.
QUOTES = {'"': "&quot;", "'": "&apos;"}


def soap_body(answer: str) -> int:
    """Bytes of the receiveResponseXML request carrying ``answer``, escaped as the connector does, with
    quotes escaped too."""
    body = envelope(
        "receiveResponseXML",
        [
            ("ticket", "6a3f1c2e-0000-4000-8000-000000000000"),
            ("response", answer),
            ("hresult", ""),
            ("message", ""),
        ],
    )
    plain = escape(answer)
    return (
        len(body.encode("utf-8")) + len(escape(answer, QUOTES).encode("utf-8")) - len(plain.encode("utf-8"))
    )


def first_page(entity: str, count: int, profile: Profile, page_size: int | None = None) -> tuple[str, int]:
    qb = large_company(KINDS[entity], count, profile)
    request = build_message_set([first_page_query(entity, SINCE, page_size=page_size)], version="13.0").xml
    qb.begin_session()
    answer = qb.process(request)
    returned = answer.count(f"<{KINDS[entity]}Ret>")
    return answer, returned


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=64 * MIB, help="QBBRIDGE_MAX_SOAP_BODY_BYTES")
    args = parser.parse_args()
    print(f"limit {args.limit:,} bytes ({args.limit / MIB:.0f} MiB)\n")
    header = (
        f"{'entity':<14}{'fits':>6}{'page':>6}  {'one order':>10} {'in SOAP':>10} {'x':>5}  "
        f"{'page in SOAP':>13} {'of limit':>9}  {'longest text: page':>19} {'of limit':>9}  "
        f"{'next':>5} {'in SOAP':>11}  {'longest: next':>13} {'in SOAP':>11}"
    )
    print(header)
    for entity in KINDS:
        size = PAGE_SIZES[entity]
        one, _ = first_page(entity, 1, LARGE)
        page, returned = first_page(entity, size + 1, LARGE)
        assert returned == size, (entity, returned, size)
        longest, _ = first_page(entity, size + 1, LONGEST_TEXT)
        one_bytes = len(one.encode("utf-8"))
        one_soap = soap_body(one)
        page_soap = soap_body(page)
        longest_soap = soap_body(longest)
        fits = args.limit // MARGIN // one_soap
        share, longest_share = page_soap / args.limit, longest_soap / args.limit
        record_tag = f"{KINDS[entity]}Ret"
        later = PageSizing().seen(page, record_tag, size).next_page(entity, args.limit)
        later_soap = soap_body(first_page(entity, later + 1, LARGE, later)[0])
        longest_later = PageSizing().seen(longest, record_tag, size).next_page(entity, args.limit)
        longest_later_soap = soap_body(first_page(entity, longest_later + 1, LONGEST_TEXT, longest_later)[0])
        print(
            f"{entity:<14}{fits:>6}{size:>6}  {one_bytes:>10,} {one_soap:>10,} {one_soap / one_bytes:>5.2f}  "
            f"{page_soap:>13,} {share:>8.1%}  {longest_soap:>19,} {longest_share:>8.1%}  "
            f"{later:>5} {later_soap:>11,}  {longest_later:>13} {longest_later_soap:>11,}"
        )
    # A page is sized before its orders are seen: after ordinary orders, the next page asks for the
    # most, and may hold nothing but large orders.
    print()
    for entity in KINDS:
        page, returned = first_page(entity, MAX_PAGE_SIZE + 1, LARGE, MAX_PAGE_SIZE)
        assert returned == MAX_PAGE_SIZE, (entity, returned)
        worst = soap_body(page)
        print(
            f"{entity}: a page of {MAX_PAGE_SIZE} large orders (sized from ordinary ones): "
            f"{worst:,} bytes in SOAP, {worst / args.limit:.1%} of the limit"
        )
    items, returned = item_page()
    items_soap = soap_body(items)
    print(
        f"\nitem list: {returned} items a page with 159-character full names (QuickBooks' longest): "
        f"{items_soap:,} bytes in SOAP, {items_soap / args.limit:.1%} of the limit"
    )


def item_page() -> tuple[str, int]:
    """The first page of the item list a retrieval reads, for items with QuickBooks' longest names."""
    qb = QuickBooks(Company.new("Items"), use_default_schema=False)
    size = PAGE_SIZES[retrieval_lists.LISTS]
    parents = ["A" * 31, "B" * 31, "C" * 31, "D" * 31]
    adds = []
    for depth, name in enumerate(parents):
        under = f"<ParentRef><FullName>{':'.join(parents[:depth])}</FullName></ParentRef>" if depth else ""
        adds.append(_item_add(name, under))
    under = f"<ParentRef><FullName>{':'.join(parents)}</FullName></ParentRef>"
    adds += [_item_add(f"Item {n:05d} & co <x> " + "z" * 11, under) for n in range(size + 1)]
    qb.process(message_set(*adds))
    request = build_message_set(
        retrieval_lists.lists_queries(
            since=None, page_size=size, qbxml_version="13.0", first=True, iterator_id=None
        ),
        version="13.0",
    ).xml
    qb.begin_session()
    answer = qb.process(request)
    return answer, answer.count("<ItemNonInventoryRet>")


def _item_add(name: str, under: str) -> str:
    name = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        f"<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>{name}</Name>{under}<SalesOrPurchase>"
        "<AccountRef><FullName>Sales</FullName></AccountRef></SalesOrPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>"
    )


if __name__ == "__main__":
    main()
