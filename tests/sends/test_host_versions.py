"""Which QuickBooks qbbridge works with (qbXML 6.0 to 16.0), and how it refuses an older one: plainly, at
the first sendRequestXML of a session, naming the QuickBooks found and the minimum, with every queued
request left waiting until QuickBooks is updated."""

from __future__ import annotations

import re

from tests.sends.conftest import Customer, new_company, new_customer
from tests.simulator.conftest import message_set
from tests.support.payloads import PURCHASE_ORDER, SALES_ORDER
from tests.support.servers import LiveServer
from tests.support.webconnector import WebConnectorClient


def _connection(customer: Customer) -> dict:
    return dict(customer.api.get(customer.url("/connection")).json())


def test_quickbooks_older_than_6_0_is_refused_plainly_and_queued_work_waits(live_server: LiveServer) -> None:
    customer = new_customer(live_server, new_company(max_version="5.0"))
    jobs = [
        customer.send("/sales-orders", SALES_ORDER)["jobId"],
        customer.send("/purchase-orders", PURCHASE_ORDER)["jobId"],
    ]
    for _ in range(2):  # every session is refused the same way
        session = customer.sync()
        assert not session.ok and session.requests_sent == 0
        assert session.calls == [
            "serverVersion",
            "clientVersion",
            "authenticate",
            "sendRequestXML",
            "getLastError",
            "closeConnection",
        ]
        shown = session.last_error  # what the Web Connector shows: getLastError's text
        assert "QuickBooks Premier Edition 2006" in shown and "qbXML 5.0" in shown
        assert "qbXML 6.0 or newer" in shown and "QuickBooks 2007" in shown and "Update QuickBooks" in shown
        assert "stays queued" in shown
    assert [customer.job(job_id)["status"] for job_id in jobs] == ["queued", "queued"]
    assert customer.qb.company.sales_orders == [] and customer.qb.company.purchase_orders == []
    connection = _connection(customer)
    assert connection["lastConnectionError"] == shown
    assert (
        connection["quickbooksProduct"] == "QuickBooks Premier Edition 2006"
        and connection["qbxmlVersion"] == "5.0"
    )

    customer.reopen("6.0")
    customer.sync_until_idle()
    assert [customer.job(job_id)["status"] for job_id in jobs] == ["succeeded", "succeeded"]
    assert len(customer.qb.company.sales_orders) == 1 and len(customer.qb.company.purchase_orders) == 1


def test_an_old_canadian_quickbooks_is_named_by_its_own_version(live_server: LiveServer) -> None:
    customer = new_customer(live_server, new_company(country="CA", max_version="CA3.0"))
    job_id = customer.api.post(
        customer.url("/qbxml"), json={"qbxml": message_set("<CustomerQueryRq/>")}
    ).json()["jobId"]
    session = customer.sync()
    assert not session.ok and session.requests_sent == 0
    assert "qbXML CA3.0" in session.last_error and "Canadian edition" in session.last_error
    assert "qbXML 6.0 or newer" in session.last_error
    assert customer.job(job_id)["status"] == "queued"
    assert _connection(customer)["supportedQbxmlVersions"] == ["1.0", "1.1", "CA2.0", "CA3.0"]


def test_a_canadian_quickbooks_listing_its_old_versions_too_works(live_server: LiveServer) -> None:
    """A Canadian QuickBooks of today lists CA2.0 and CA3.0 among its versions; they are not ours to
    speak, and the rest works: retrievals and raw qbXML (sends are for US companies only)."""
    customer = new_customer(live_server, new_company(country="CA", max_version="13.0"))
    assert "CA3.0" in customer.qb.host.supported_versions
    customer.settings({"retrievals": {"salesOrder": {"enabled": True}}})
    raw = customer.api.post(
        customer.url("/qbxml"),
        json={"qbxml": message_set("<CustomerQueryRq><FullName>ACME</FullName></CustomerQueryRq>")},
    )
    retrieval = customer.api.post(
        customer.url("/retrievals"), json={"entities": ["salesOrder"], "since": "2020-01-01"}
    )
    customer.sync_until_idle()
    for accepted in (raw, retrieval):
        job = customer.job(accepted.json()["jobId"])
        assert job["status"] == "succeeded", job
        assert all('<?qbxml version="13.0"?>' in step["request"] for step in job["steps"])
    assert _connection(customer)["country"] == "CA"
    refused = customer.api.post(customer.url("/sales-orders"), json=SALES_ORDER)
    assert refused.status_code == 409 and "outside the United States" in refused.json()["detail"]


def test_a_quickbooks_newer_than_16_0_is_spoken_to_at_16_0(live_server: LiveServer) -> None:
    customer = new_customer(live_server, new_company(max_version="16.0"))
    job_id = customer.send("/sales-orders", SALES_ORDER)["jobId"]
    connector = WebConnectorClient(customer.server.qbwc_url)
    ticket, _ = connector.authenticate(customer.username, customer.token)
    hcp = customer.qb.host_response().replace(
        "<SupportedQBXMLVersion>16.0</SupportedQBXMLVersion>",
        "<SupportedQBXMLVersion>16.0</SupportedQBXMLVersion><SupportedQBXMLVersion>17.0</SupportedQBXMLVersion>",
    )
    request = connector.send_request_xml(ticket, hcp=hcp, major=17, minor=0)
    assert '<?qbxml version="16.0"?>' in request
    assert connector.receive_response_xml(ticket, customer.qb.process(request)) >= 0
    connector.close_connection(ticket)
    # The tenant's QuickBooks reported 17.0: a later send is checked at 16.0, not refused.
    again = customer.send("/sales-orders", {**SALES_ORDER, "code": "SO-1002"}, expect=202)
    assert not any("17.0" in warning for warning in again["warnings"])
    dry = customer.api.post(
        customer.url("/sales-orders"), params={"dry_run": "true"}, json={**SALES_ORDER, "code": "SO-1003"}
    )
    assert dry.status_code == 200, dry.text
    assert '<?qbxml version="16.0"?>' in str(dry.json())
    assert customer.job(job_id)["status"] == "succeeded"


def test_a_session_speaks_the_version_of_its_first_call(live_server: LiveServer) -> None:
    """What the first call's host description allows holds for the whole session, so each request and
    the search for it are written for the same QuickBooks."""
    customer = new_customer(live_server, new_company(max_version="8.0"))
    customer.settings({"entityCodeCustomField": "Fusion Code"})  # a second step, after the order
    customer.send("/sales-orders", SALES_ORDER)
    connector = WebConnectorClient(customer.server.qbwc_url)
    ticket, _ = connector.authenticate(customer.username, customer.token)
    first = connector.send_request_xml(ticket, hcp=customer.qb.host_response(), major=13, minor=0)
    assert '<?qbxml version="8.0"?>' in first  # the host lists nothing above 8.0
    connector.receive_response_xml(ticket, customer.qb.process(first))
    second = connector.send_request_xml(ticket, major=13, minor=0)
    assert "<DataExtAddRq" in second and '<?qbxml version="8.0"?>' in second
    connector.receive_response_xml(ticket, customer.qb.process(second))
    connector.close_connection(ticket)


def test_a_send_for_a_quickbooks_too_old_is_queued_with_a_warning(live_server: LiveServer) -> None:
    customer = new_customer(live_server, new_company(max_version="4.1"))
    customer.send("/purchase-orders", PURCHASE_ORDER)
    refused = customer.sync()
    assert "qbXML 4.1" in refused.last_error
    accepted = customer.send("/sales-orders", SALES_ORDER)
    assert accepted["status"] == "queued"
    assert any(
        "last reported qbXML 4.1" in w and "waits until QuickBooks is updated" in w
        for w in accepted["warnings"]
    )
    dry = customer.api.post(
        customer.url("/sales-orders"), params={"dry_run": "true"}, json={**SALES_ORDER, "code": "SO-2"}
    )
    assert dry.status_code == 200, dry.text
    assert re.search(r'<\?qbxml version=\\?"6\.0\\?"\?>', dry.text)
