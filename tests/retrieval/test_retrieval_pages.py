"""The page-size rules of ``mapping.retrieval_pages``, on real answers of the simulated QuickBooks: the SOAP
size of a document as the Web Connector hands it over, and how many documents the next page asks for."""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

import pytest

from mapping.retrieval_pages import (
    MAX_PAGE_SIZE,
    PAGE_SIZES,
    WRAPPER_BYTES,
    PageSizing,
    fitting,
    record_sizes,
    soap_bytes,
)
from mapping.retrieval_queries import first_page_query
from requests_builder import build_message_set
from simulator.soap import envelope
from tests.support.large_orders import KINDS, LARGE, LONGEST_TEXT, Profile, large_company

LIMIT = 64 * 1024 * 1024
EIGHTH = LIMIT // 8
QUOTES = {'"': "&quot;", "'": "&apos;"}


def _answer(entity: str, count: int, profile: Profile = LARGE) -> str:
    qb = large_company(KINDS[entity], count, profile)
    qb.begin_session()
    query = first_page_query(entity, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), page_size=count)
    return qb.process(build_message_set([query], version="13.0").xml)


def _in_soap(answer: str) -> int:
    """The receiveResponseXML body carrying ``answer``, quotes escaped too."""
    body = envelope("receiveResponseXML", [("ticket", "t" * 36), ("response", ""), ("hresult", ""), ("message", "")])
    return len(body.encode()) + len(escape(answer, QUOTES).encode())


def test_soap_bytes_is_the_escaped_size_in_utf8() -> None:
    text = 'Großhandel "Müller" & Söhne <M8> l\'usine ✓'
    assert soap_bytes(text) == len(escape(text, QUOTES).encode("utf-8"))
    assert soap_bytes("plain") == 5


def test_each_document_of_an_answer_is_measured_and_they_add_up_to_the_page() -> None:
    answer = _answer("salesOrder", 3)
    sizes = record_sizes(answer, "SalesOrderRet")
    assert len(sizes) == 3 and max(sizes) - min(sizes) < 1000  # copies of one order, with IDs of their own
    # The documents are the page, but for the answer's own wrapper and the SOAP envelope.
    assert 0 < _in_soap(answer) - sum(sizes) < WRAPPER_BYTES
    assert record_sizes(answer, "PurchaseOrderRet") == []


def test_fitting_is_bounded_by_one_and_the_maximum() -> None:
    assert fitting(1, LIMIT) == MAX_PAGE_SIZE
    assert fitting(EIGHTH, LIMIT) == 1
    assert fitting(10 * LIMIT, LIMIT) == 1
    assert fitting(100_000, LIMIT) == (EIGHTH - WRAPPER_BYTES) // 100_000
    assert fitting(100_000, LIMIT // 8) == (LIMIT // 64 - WRAPPER_BYTES) // 100_000


def test_nothing_seen_asks_for_the_first_page_size() -> None:
    sizing = PageSizing()
    for entity in KINDS:
        assert sizing.first_page(entity, LIMIT) == sizing.next_page(entity, LIMIT) == PAGE_SIZES[entity]


@pytest.mark.parametrize("entity", list(KINDS))
def test_after_large_orders_a_page_of_them_fits_in_an_eighth(entity: str) -> None:
    sizing = PageSizing().seen(_answer(entity, 2), f"{KINDS[entity]}Ret", 2)
    size = sizing.next_page(entity, LIMIT)
    assert 1 <= size <= PAGE_SIZES[entity]
    assert _in_soap(_answer(entity, size)) <= EIGHTH
    assert _in_soap(_answer(entity, size + 1)) > EIGHTH - WRAPPER_BYTES  # not needlessly small


def test_orders_larger_than_the_measured_ones_get_pages_below_the_first_page_size() -> None:
    sizing = PageSizing().seen(_answer("salesOrder", 1, LONGEST_TEXT), "SalesOrderRet", 1)
    size = sizing.next_page("salesOrder", LIMIT)
    assert size < PAGE_SIZES["salesOrder"]
    assert _in_soap(_answer("salesOrder", size, LONGEST_TEXT)) <= EIGHTH


def test_the_largest_document_counts_not_the_page_average() -> None:
    small = PageSizing(largest_record=3_000)
    assert small.next_page("salesOrder", LIMIT) == MAX_PAGE_SIZE
    grown = small.seen(_answer("salesOrder", 1), "SalesOrderRet", 1)
    shrunk = grown.seen("<QBXML><SalesOrderRet>x</SalesOrderRet></QBXML>", "SalesOrderRet", 1)
    assert shrunk.largest_record == grown.largest_record  # a later small page does not grow pages again
    assert shrunk.next_page("salesOrder", LIMIT) < PAGE_SIZES["salesOrder"] + 1


def test_an_answer_whose_documents_cannot_be_told_apart_counts_as_one_document() -> None:
    answer = "<QBXML><SalesOrderRet>a</SalesOrderRet><SalesOrderRet>b</SalesOrderRet></QBXML>"
    sizing = PageSizing().seen(answer, "SalesOrderRet", 3)
    assert sizing.largest_record == soap_bytes(answer)


def test_after_a_lost_page_no_page_is_larger_than_the_first() -> None:
    sizing = PageSizing(largest_record=3_000).lost()
    assert sizing.next_page("salesOrder", LIMIT) == PAGE_SIZES["salesOrder"]
    assert PageSizing(largest_record=1_000_000).lost().next_page("salesOrder", LIMIT) == fitting(1_000_000, LIMIT)


def test_after_a_refused_continue_every_page_is_the_first_page_size() -> None:
    for largest in (3_000, 1_000_000):
        sizing = PageSizing(largest_record=largest).continue_refused()
        assert sizing.first_page("invoice", LIMIT) == sizing.next_page("invoice", LIMIT) == PAGE_SIZES["invoice"]


def test_the_figures_are_kept_in_the_step_result_and_junk_is_ignored() -> None:
    sizing = PageSizing(largest_record=12_345, after_loss=True, fixed=True)
    assert PageSizing.from_result({"iteratorId": "x", **sizing.to_result()}) == sizing
    assert PageSizing.from_result({}) == PageSizing()
    junk = {"largestRecordBytes": "big", "pageLost": "yes", "fixedPageSize": 1}
    assert PageSizing.from_result(junk) == PageSizing()
    assert PageSizing.from_result({"largestRecordBytes": True}) == PageSizing()
