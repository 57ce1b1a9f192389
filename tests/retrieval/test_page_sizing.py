"""Retrieval pages sized from the documents seen so far (``mapping.retrieval_pages``), measured as the
simulated Web Connector hands each page to a real server over HTTP: ordinary orders travel at the
maximum page size, pages shrink as soon as large orders are seen, and a page over the SOAP body limit
is asked for again smaller in the next session instead of failing for ever."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mapping.retrieval_pages import MAX_PAGE_SIZE, PAGE_SIZES
from simulator.faults import Faults
from simulator.webconnector import HttpxConnection, SessionResult
from tests.retrieval.conftest import qb_add
from tests.sends.conftest import Customer, new_company, new_customer
from tests.support.large_orders import add_large_orders
from tests.support.servers import LiveServer, serving

LIMIT = 64 * 1024 * 1024  # QBBRIDGE_MAX_SOAP_BODY_BYTES' default
EIGHTH = LIMIT // 8
FIRST = PAGE_SIZES["salesOrder"]


@dataclass(frozen=True)
class Page:
    """One page of sales orders as the connector sent it: its SOAP body's size and how many orders."""

    soap_bytes: int
    orders: int
    large: int  # of which large orders (their memo is unmistakable)


class RecordingConnection(HttpxConnection):
    """The simulated Web Connector's HTTP connection, noting each page of sales orders it hands over."""

    def __init__(self, timeout: float, pages: list[Page]) -> None:
        super().__init__(timeout)
        self.pages = pages

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if headers.get("SOAPAction", "").endswith('receiveResponseXML"') and b"&lt;SalesOrderQueryRs " in body:
            self.pages.append(
                Page(
                    soap_bytes=len(body),
                    orders=body.count(b"&lt;SalesOrderRet&gt;"),
                    large=body.count(b"&lt;Memo&gt;Memo: "),
                )
            )
        return super().post(url, body, headers)


def _sync(customer: Customer, pages: list[Page]) -> SessionResult:
    return customer.sync(connect=lambda timeout: RecordingConnection(timeout, pages))


def _sync_until_idle(customer: Customer, pages: list[Page]) -> None:
    for _ in range(10):
        if _sync(customer, pages).auth_status == "none":
            return
    raise AssertionError("the queue did not drain")


def _small_orders(customer: Customer, count: int, *, prefix: str = "S") -> None:
    """``count`` ordinary sales orders of 5 lines, dated before the large ones (QuickBooks' order)."""
    lines = "".join(
        f"<SalesOrderLineAdd><ItemRef><FullName>WIDGET-1</FullName></ItemRef><Desc>Line {n}</Desc>"
        f"<Quantity>{n + 1}</Quantity><Rate>12.50</Rate></SalesOrderLineAdd>"
        for n in range(5)
    )
    qb_add(
        customer,
        *[
            f"<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>ACME</FullName></CustomerRef>"
            f"<TxnDate>2026-11-01</TxnDate><RefNumber>{prefix}{n}</RefNumber>{lines}</SalesOrderAdd></SalesOrderAddRq>"
            for n in range(count)
        ],
    )


def _retrieve(customer: Customer) -> str:
    customer.settings({"retrievals": {"salesOrder": {"enabled": True}}})
    response = customer.api.post(customer.url("/retrievals"), json={"entities": ["salesOrder"], "since": "2026-01-01"})
    assert response.status_code == 202, response.text
    return str(response.json()["jobId"])


def _retrieved(customer: Customer) -> tuple[dict[str, Any], list[Page]]:
    """A retrieval of sales orders, synced until the queue is idle: its job, which succeeded, and the
    pages of orders QuickBooks answered with."""
    job_id = _retrieve(customer)
    pages: list[Page] = []
    _sync_until_idle(customer, pages)
    job = customer.job(job_id)
    assert job["status"] == "succeeded", job["error"]
    return job, pages


def _imported_orders(customer: Customer) -> set[str]:
    seen: set[str] = set()
    cursor = None
    while True:
        params = {"entity": "salesOrder", "limit": "100", **({"cursor": cursor} if cursor else {})}
        body = customer.api.get(customer.url("/imports"), params=params).json()
        seen |= {item["source"]["txnId"] for item in body["items"] if item["status"] == "pending"}
        cursor = body["nextCursor"]
        if not cursor:
            return seen


def test_ordinary_orders_travel_at_the_maximum_page_size_after_the_first_page(customer: Customer) -> None:
    total = FIRST + 3 * MAX_PAGE_SIZE + 7
    _small_orders(customer, total)
    job, pages = _retrieved(customer)
    counts = job["result"]["entities"]["salesOrder"]
    assert (counts["found"], counts["imported"], counts["pages"]) == (total, total, 5)
    # Nothing is known before the first page; after it, ordinary orders travel 100 a page (with pages of
    # a fixed size this would be 15 pages of 23).
    assert [page.orders for page in pages] == [FIRST, MAX_PAGE_SIZE, MAX_PAGE_SIZE, MAX_PAGE_SIZE, 7]
    assert max(page.soap_bytes for page in pages) < EIGHTH
    step = job["steps"][1]
    assert 'iterator="Continue"' in step["request"] and f"<MaxReturned>{MAX_PAGE_SIZE}</MaxReturned>" in step["request"]
    # What the pages were sized from is shown on the step: the largest order seen, in SOAP bytes.
    assert 1_000 < step["result"]["largestRecordBytes"] < 10_000
    assert (step["result"]["pageLost"], step["result"]["fixedPageSize"]) == (False, False)

    # Each retrieval starts again from the first page's size: what one saw is not carried to the next.
    _, pages = _retrieved(customer)
    assert [page.orders for page in pages] == [FIRST, MAX_PAGE_SIZE, MAX_PAGE_SIZE, MAX_PAGE_SIZE, 7]


def test_pages_shrink_to_an_eighth_of_the_limit_once_large_orders_are_seen(customer: Customer) -> None:
    small, large = FIRST + MAX_PAGE_SIZE + 67, 60
    _small_orders(customer, small)
    add_large_orders(customer.qb, "SalesOrder", large)
    job, pages = _retrieved(customer)
    counts = job["result"]["entities"]["salesOrder"]
    assert (counts["found"], counts["imported"]) == (small + large, small + large)
    assert len(_imported_orders(customer)) == small + large
    assert [(page.orders, page.large) for page in pages] == [
        (FIRST, 0),
        (MAX_PAGE_SIZE, 0),
        (MAX_PAGE_SIZE, 33),  # sized from ordinary orders: the first large orders arrive here
        (FIRST, FIRST),  # large orders seen: as many as fit in an eighth of the limit
        (large - 33 - FIRST, large - 33 - FIRST),
    ]
    first_large = next(index for index, page in enumerate(pages) if page.large)
    # A page is sized before its orders are seen: the page where large orders first appear is the only
    # one over the eighth, and it still fits the limit. Every page after it is within the eighth.
    assert all(page.soap_bytes <= EIGHTH for page in pages[:first_large])
    assert EIGHTH < pages[first_large].soap_bytes < LIMIT
    assert all(page.soap_bytes <= EIGHTH for page in pages[first_large + 1 :]), [p.soap_bytes for p in pages]


def test_after_quickbooks_refuses_a_continue_every_page_asks_for_the_first_page_size(customer: Customer) -> None:
    total = FIRST + 2 * MAX_PAGE_SIZE + 60
    _small_orders(customer, total)
    job_id = _retrieve(customer)
    pages: list[Page] = []
    # Message set 1 reads the item list, 2 starts the orders' iterator, 3 continues it with 100, and
    # before 4 QuickBooks has forgotten it: that Continue answers 3120.
    result = customer.sync(
        connect=lambda timeout: RecordingConnection(timeout, pages), faults=Faults(lose_iterators=4)
    )
    assert result.ok, result.last_error
    _sync_until_idle(customer, pages)

    job = customer.job(job_id)
    assert job["status"] == "succeeded", job["error"]
    assert len(_imported_orders(customer)) == total
    refused = next(index for index, page in enumerate(pages) if page.orders == 0)
    assert [page.orders for page in pages[:refused]] == [FIRST, MAX_PAGE_SIZE]
    # Started again; a QuickBooks that wants every Continue to ask for what its Start did gets that.
    assert [page.orders for page in pages[refused + 1 :]] == [FIRST] * (total // FIRST) + [total % FIRST]
    assert job["steps"][1]["result"]["fixedPageSize"] is True


@pytest.fixture(scope="module")
def eighth_limit_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose SOAP body limit is an eighth of the default (8 MiB, the least the README allows);
    a connector that died is superseded after one silent second."""
    yield from serving(
        database_url,
        Path(tmp_path_factory.mktemp("eighth")),
        extra_env={"QBBRIDGE_MAX_SOAP_BODY_BYTES": str(EIGHTH), "QBBRIDGE_SUPERSEDE_AFTER_SECONDS": "1"},
    )


def test_a_page_over_the_limit_is_asked_for_again_smaller_in_the_next_session(eighth_limit_server: LiveServer) -> None:
    customer = new_customer(eighth_limit_server, new_company())
    small, large = FIRST + MAX_PAGE_SIZE, 30
    _small_orders(customer, small, prefix=f"R{uuid.uuid4().hex[:4]}-")
    add_large_orders(customer.qb, "SalesOrder", large)
    job_id = _retrieve(customer)

    pages: list[Page] = []
    refused = _sync(customer, pages)
    # Sized from ordinary orders, the third page holds the 30 large ones: over the 8 MiB limit.
    assert not refused.ok and str(EIGHTH) in refused.last_error, refused.last_error
    assert [(page.orders, page.large) for page in pages] == [(FIRST, 0), (MAX_PAGE_SIZE, 0), (large, large)]
    assert pages[-1].soap_bytes > EIGHTH
    assert customer.job(job_id)["status"] == "in_flight"

    time.sleep(1.2)  # the next login supersedes the dead session and its page goes back to the queue
    after: list[Page] = []
    _sync_until_idle(customer, after)
    job = customer.job(job_id)
    assert job["status"] == "succeeded", job["error"]
    assert len(_imported_orders(customer)) == small + large
    # Started again from the beginning, no page larger than the first page's size; once large orders are
    # seen, as many as fit in an eighth of this server's limit.
    assert after and all(page.orders <= FIRST for page in after)
    assert all(page.soap_bytes < EIGHTH for page in after)
    only_large = [page for page in after if page.orders and page.large == page.orders]
    assert only_large and all(page.soap_bytes <= EIGHTH // 8 for page in only_large), [p.soap_bytes for p in after]
    assert sum(page.large for page in after) == large
    assert job["steps"][1]["result"]["pageLost"] is True
