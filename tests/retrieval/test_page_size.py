"""Retrieval pages of large real-world orders stay far below the SOAP body limit, as the Web Connector
hands them over (QuickBooks' answer XML-escaped inside SOAP). Figures: bench/retrieval_page_size.py and
docs/retrievals.md."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from mapping.retrieval_pages import PAGE_SIZES
from mapping.retrieval_queries import first_page_query
from requests_builder import build_message_set
from simulator.soap import envelope
from tests.sends.conftest import Customer
from tests.support.large_orders import KINDS, large_company
from tests.support.servers import LiveServer, start_server

LIMIT = 64 * 1024 * 1024  # QBBRIDGE_MAX_SOAP_BODY_BYTES' default
MARGIN = 8  # a page of large orders takes at most an eighth of it


def _soap_bytes(answer: str) -> int:
    # Quotes escaped too: the larger of the ways a SOAP client may escape the answer.
    inner = escape(answer, {'"': "&quot;", "'": "&apos;"})
    body = envelope("receiveResponseXML", [("ticket", str(uuid.uuid4())), ("response", ""), ("hresult", ""), ("message", "")])
    return len(body.encode()) + len(inner.encode())


@pytest.mark.parametrize("entity", list(KINDS))
def test_a_page_of_large_orders_takes_at_most_an_eighth_of_the_limit(entity: str) -> None:
    qb = large_company(KINDS[entity], PAGE_SIZES[entity] + 1)
    request = build_message_set([first_page_query(entity, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))], version="13.0")
    qb.begin_session()
    answer = qb.process(request.xml)
    assert answer.count(f"<{KINDS[entity]}Ret>") == PAGE_SIZES[entity]
    assert _soap_bytes(answer) <= LIMIT // MARGIN


@pytest.fixture(scope="module")
def eighth_limit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server that refuses SOAP bodies over an eighth of the default limit."""
    workdir = tmp_path_factory.mktemp("eighth")
    server = start_server(
        f"sqlite:///{Path(workdir) / 'qbbridge.db'}",
        workdir,
        extra_env={"QBBRIDGE_MAX_SOAP_BODY_BYTES": str(LIMIT // MARGIN)},
    )
    yield server
    server.stop()


@pytest.mark.parametrize("entity", ["salesOrder", "purchaseOrder"])
def test_large_orders_are_retrieved_within_an_eighth_of_the_limit(eighth_limit_server: LiveServer, entity: str) -> None:
    api = eighth_limit_server.client
    tenant = api.post("/api/v1/tenants", json={"name": f"Large {uuid.uuid4().hex[:6]}"}).json()
    token = api.post(f"/api/v1/tenants/{tenant['id']}/token").json()["token"]
    customer = Customer(
        eighth_limit_server, tenant["id"], tenant["qbwcUsername"], token, large_company(KINDS[entity], PAGE_SIZES[entity] + 1)
    )
    customer.settings({"retrievals": {entity: {"enabled": True}}})
    response = api.post(customer.url("/retrievals"), json={"entities": [entity], "since": "2026-01-01"})
    assert response.status_code == 202, response.text
    customer.sync_until_idle()
    assert all(session.ok for session in customer.sessions), [s.last_error for s in customer.sessions]
    job = customer.job(response.json()["jobId"])
    counts = job["result"]["entities"][entity]
    assert job["status"] == "succeeded", job["error"]
    assert (counts["found"], counts["imported"], counts["pages"]) == (PAGE_SIZES[entity] + 1,) * 2 + (2,)
