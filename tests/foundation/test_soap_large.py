"""Answers of any size up to ``QBBRIDGE_MAX_SOAP_BODY_BYTES`` are read and settle their job; larger
bodies get a ``soap:Client`` fault naming the limit. The Web Connector puts QuickBooks' whole answer
in one text node (``response``, its qbXML escaped), so a large answer is one large text node."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.foundation.helpers import job, new_tenant, queue_raw
from tests.support.servers import LiveServer, start_server
from tests.support.webconnector import SOAP_ENV, WebConnectorClient, customer_query, envelope

TWENTY_MB = 20_000_000


def request_id(request_xml: str) -> str:
    match = re.search(r'requestID="([^"]+)"', request_xml)
    assert match, request_xml
    return match.group(1)


def customer_answer(request_xml: str, size: int) -> str:
    """A CustomerQuery answer of about ``size`` characters, as QuickBooks would give it."""
    record = (
        "<CustomerRet><ListID>80000001-1700000000</ListID><EditSequence>1700000000</EditSequence>"
        f"<Name>Customer</Name><FullName>Customer</FullName><Notes>{'n' * 900}</Notes></CustomerRet>"
    )
    head = (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
        f'<CustomerQueryRs requestID="{request_id(request_xml)}" statusCode="0" statusSeverity="Info" '
        'statusMessage="Status OK">'
    )
    tail = "</CustomerQueryRs></QBXMLMsgsRs></QBXML>"
    records = record * ((size - len(head) - len(tail)) // len(record))
    return head + records + tail


def sales_order_page(request_xml: str, orders: int, memo_size: int) -> str:
    """A page of a sales order retrieval: ``orders`` orders, each with a long memo."""
    memo = "m" * memo_size
    records = "".join(
        f"<SalesOrderRet><TxnID>{n}-1700000000</TxnID><TimeCreated>2026-11-02T09:15:00-05:00</TimeCreated>"
        "<TimeModified>2026-11-03T10:00:00-05:00</TimeModified><EditSequence>1700000000</EditSequence>"
        "<CustomerRef><ListID>80000010-1</ListID><FullName>ACME</FullName></CustomerRef>"
        f"<TxnDate>2026-11-02</TxnDate><RefNumber>BIG-{n}</RefNumber><TotalAmount>12.50</TotalAmount>"
        f"<IsManuallyClosed>false</IsManuallyClosed><IsFullyInvoiced>false</IsFullyInvoiced><Memo>{memo}</Memo>"
        "<SalesOrderLineRet><TxnLineID>L1</TxnLineID><ItemRef><FullName>WIDGET-1</FullName></ItemRef>"
        "<Quantity>1</Quantity><Rate>12.50</Rate><Amount>12.50</Amount><Invoiced>0</Invoiced>"
        "</SalesOrderLineRet></SalesOrderRet>"
        for n in range(orders)
    )
    return (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
        f'<SalesOrderQueryRs requestID="{request_id(request_xml)}" statusCode="0" statusSeverity="Info" '
        'statusMessage="Status OK" iteratorRemainingCount="0" iteratorID="{0A1B2C3D-0000-0000-0000-000000000000}">'
        f"{records}</SalesOrderQueryRs></QBXMLMsgsRs></QBXML>"
    )


def body_of_exactly(size: int, ticket: str, request_xml: str) -> bytes:
    """A receiveResponseXML body of exactly ``size`` bytes answering ``request_xml``."""

    def body(answer: str) -> bytes:
        return envelope(
            "receiveResponseXML", [("ticket", ticket), ("response", answer), ("hresult", ""), ("message", "")]
        )

    target = size
    while len(body(answer := customer_answer(request_xml, target))) > size:
        target -= 100_000
    # Whitespace after the last element (one byte each, escaped or not) brings it to the size.
    return body(answer + " " * (size - len(body(answer))))


def big_client(url: str) -> WebConnectorClient:
    return WebConnectorClient(url, client=httpx.Client(timeout=120))


def _everyone_asked_for(server: LiveServer) -> tuple[str, WebConnectorClient, str, str]:
    """A new tenant's raw query for every customer, sent in a session of a connector that waits for
    large bodies: the job, the connector, its ticket and the request it was sent."""
    tenant = new_tenant(server.client)
    job_id = queue_raw(server.client, tenant.id, customer_query("Everyone"))
    wc = big_client(server.qbwc_url)
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    return job_id, wc, ticket, wc.send_request_xml(ticket)


def test_a_20_mb_answer_settles_its_job(live_server: LiveServer) -> None:
    admin = live_server.client
    job_id, wc, ticket, request_xml = _everyone_asked_for(live_server)
    answer = customer_answer(request_xml, TWENTY_MB)
    assert len(answer) > TWENTY_MB - 2_000
    assert wc.receive_response_xml(ticket, answer) == 100
    finished = job(admin, job_id)
    assert finished["status"] == "succeeded", finished.get("error")
    assert finished["steps"][0]["response"] == answer


def test_a_20_mb_retrieval_page_is_stored(live_server: LiveServer) -> None:
    admin = live_server.client
    tenant = new_tenant(admin)
    on = {"retrievals": {"salesOrder": {"enabled": True}}}
    assert admin.put(f"/api/v1/tenants/{tenant.id}/settings", json=on).status_code == 200
    started = admin.post(
        f"/api/v1/tenants/{tenant.id}/retrievals", json={"entities": ["salesOrder"], "since": "2026-01-01"}
    )
    assert started.status_code == 202, started.text
    job_id = started.json()["jobId"]
    wc = big_client(live_server.qbwc_url)
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    # A retrieval first reads QuickBooks' item list (and units of measure): none here.
    lists = wc.send_request_xml(ticket)
    assert "ItemQueryRq" in lists
    empty = "".join(
        f'<{kind}QueryRs requestID="{rid}" statusCode="1" statusSeverity="Info" statusMessage="No match"/>'
        for kind, rid in re.findall(r'<(\w+)QueryRq requestID="([^"]+)"', lists)
    )
    answered = wc.receive_response_xml(ticket, f'<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>{empty}</QBXMLMsgsRs></QBXML>')
    assert 0 <= answered < 100
    request_xml = wc.send_request_xml(ticket)
    assert "SalesOrderQueryRq" in request_xml
    page = sales_order_page(request_xml, orders=200, memo_size=100_000)
    assert len(page) > TWENTY_MB
    assert wc.receive_response_xml(ticket, page) == 100
    finished = job(admin, job_id)
    assert finished["status"] == "succeeded", finished.get("error")
    assert finished["result"]["entities"]["salesOrder"]["found"] == 200


def test_the_largest_body_allowed_is_read_and_one_byte_more_is_refused(
    tmp_path: Path, sqlite_url: str
) -> None:
    limit = 12_000_000  # above libxml2's 10 MB text node limit and Spyne's 2 MiB default
    server = start_server(sqlite_url, tmp_path, extra_env={"QBBRIDGE_MAX_SOAP_BODY_BYTES": str(limit)})
    try:
        admin = server.client
        job_id, wc, ticket, request_xml = _everyone_asked_for(server)
        body = body_of_exactly(limit, ticket, request_xml)
        assert len(body) == limit

        too_big = body + b" "  # whitespace after the envelope: still well-formed, one byte over
        refused = wc.http.post(
            server.qbwc_url, content=too_big, headers={"Content-Type": "text/xml; charset=utf-8"}
        )
        assert refused.status_code == 413
        assert b"<faultcode>soap:Client</faultcode>" in refused.content
        assert str(limit).encode() in refused.content
        assert job(admin, job_id)["status"] == "in_flight"

        accepted = wc.http.post(
            server.qbwc_url, content=body, headers={"Content-Type": "text/xml; charset=utf-8"}
        )
        assert accepted.status_code == 200, accepted.text[:500]
        assert b">100<" in accepted.content
        assert job(admin, job_id)["status"] == "succeeded"
        assert SOAP_ENV.encode() in accepted.content
    finally:
        server.stop()
