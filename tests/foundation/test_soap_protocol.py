"""The Web Connector protocol over real HTTP, with envelopes shaped as the real connector sends them."""

from __future__ import annotations

import re
import socket
from urllib.parse import urlsplit

import httpx
import pytest
from lxml import etree

from tests.foundation.helpers import TenantCredentials, job, new_tenant, queue_raw
from tests.support.servers import LiveServer
from tests.support.webconnector import WebConnectorClient, answer_for, customer_query


@pytest.mark.parametrize("style", ["quoted", "unquoted", "missing"])
def test_server_version_without_argument_and_any_soapaction_style(
    live_server: LiveServer, style: str
) -> None:
    client = WebConnectorClient(live_server.qbwc_url, soap_action_style=style)
    assert client.server_version().startswith("qbbridge ")


def test_server_version_with_str_version_argument(wc: WebConnectorClient) -> None:
    result = wc.call("serverVersion", [("strVersion", "ignored")])
    assert result.status_code == 200
    assert (result.result_element("serverVersion").text or "").startswith("qbbridge")


def test_response_is_text_xml_in_the_intuit_namespace(
    live_server: LiveServer, wc: WebConnectorClient
) -> None:
    response = wc.http.post(
        live_server.qbwc_url,
        content=b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><serverVersion xmlns="http://developer.intuit.com/" /></soap:Body></soap:Envelope>',
        headers={"Content-Type": "text/xml; charset=utf-8"},
    )
    assert response.headers["content-type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    assert root.find(".//{http://developer.intuit.com/}serverVersionResponse") is not None


def test_client_version_supported_is_empty_and_old_is_a_warning(wc: WebConnectorClient) -> None:
    assert wc.client_version("2.3.0.215") == ""
    assert wc.client_version("2.2.0.71") == ""
    old = wc.client_version("1.5.0.1")
    assert old.startswith("W:")
    assert "1.5.0.1" in old


def test_authenticate_bad_user_or_token_is_exactly_empty_and_nvu(live_server: LiveServer) -> None:
    wc = WebConnectorClient(live_server.qbwc_url)
    tenant = new_tenant(live_server.client)
    assert wc.authenticate("no-such-user", "whatever") == ["", "nvu"]
    assert wc.authenticate(tenant.username, tenant.token + "x") == ["", "nvu"]
    # The empty first string must still be an element, or the connector reports a failure.
    raw = wc.call("authenticate", [("strUserName", "no-such-user"), ("strPassword", "x")])
    strings = [c for c in raw.result_element("authenticate") if etree.QName(c).localname == "string"]
    assert len(strings) == 2


def test_authenticate_blank_password_always_fails(live_server: LiveServer) -> None:
    wc = WebConnectorClient(live_server.qbwc_url)
    tenant = new_tenant(live_server.client)
    assert wc.authenticate(tenant.username, "") == ["", "nvu"]


def test_authenticate_without_work_says_none(live_server: LiveServer) -> None:
    wc = WebConnectorClient(live_server.qbwc_url)
    tenant = new_tenant(live_server.client)
    ticket, status = wc.authenticate(tenant.username, tenant.token)
    assert status == "none"
    # Tickets carry at least 128 bits: 24 random bytes in URL-safe base64.
    assert len(ticket) >= 32 and re.fullmatch(r"[A-Za-z0-9_-]+", ticket)
    assert wc.close_connection(ticket).startswith("qbbridge")


def test_authenticate_with_work_gives_ticket_and_open_company_file(live_server: LiveServer) -> None:
    wc = WebConnectorClient(live_server.qbwc_url)
    tenant = new_tenant(live_server.client)
    queue_raw(live_server.client, tenant.id)
    ticket, company = wc.authenticate(tenant.username, tenant.token)
    assert ticket and company == ""
    wc.close_connection(ticket)


def test_repeated_failures_are_throttled_even_with_the_right_token(live_server: LiveServer) -> None:
    wc = WebConnectorClient(live_server.qbwc_url)
    tenant = new_tenant(live_server.client)
    for _ in range(5):
        assert wc.authenticate(tenant.username, "wrong-token") == ["", "nvu"]
    assert wc.authenticate(tenant.username, tenant.token) == ["", "nvu"]


def test_a_full_session_delivers_the_request_and_records_the_response(admin: httpx.Client, wc: WebConnectorClient, tenant: TenantCredentials) -> None:
    job_id = queue_raw(admin, tenant.id, customer_query("Acme & Sons", version="16.0"))
    assert wc.client_version() == ""
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    hcp = (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><HostQueryRs statusCode="0" statusSeverity="Info" '
        'statusMessage="Status OK"><HostRet><ProductName>QuickBooks Enterprise Solutions 23.0</ProductName>'
        "<MajorVersion>33</MajorVersion><MinorVersion>0</MinorVersion><Country>US</Country>"
        "<SupportedQBXMLVersion>12.0</SupportedQBXMLVersion><SupportedQBXMLVersion>13.0</SupportedQBXMLVersion>"
        "</HostRet></HostQueryRs></QBXMLMsgsRs></QBXML>"
    )
    request_xml = wc.send_request_xml(ticket, hcp=hcp, major=13, minor=0)
    # The version header never exceeds what the host reported, whatever the job asked for.
    assert '<?qbxml version="13.0"?>' in request_xml
    root = etree.fromstring(request_xml.encode())
    query = root.find("QBXMLMsgsRq/CustomerQueryRq")
    assert query is not None and query.get("requestID")
    assert query.findtext("FullName") == "Acme & Sons"
    assert job(admin, job_id)["status"] == "in_flight"
    progress = wc.receive_response_xml(ticket, answer_for(request_xml))
    assert progress == 100
    assert wc.close_connection(ticket).startswith("qbbridge")
    finished = job(admin, job_id)
    assert finished["status"] == "succeeded"
    step = finished["steps"][0]
    assert step["statusCode"] == 0 and step["statusSeverity"] == "Info"
    assert "CustomerQueryRs" in step["response"]
    assert step["request"] == request_xml
    connection = admin.get(f"/api/v1/tenants/{tenant.id}/connection").json()
    assert connection["quickbooksProduct"] == "QuickBooks Enterprise Solutions 23.0"
    assert connection["supportedQbxmlVersions"] == ["12.0", "13.0"]
    assert connection["country"] == "US"
    assert connection["companyFile"] == "C:\\Company\\Acme.qbw"
    assert connection["qbxmlVersion"] == "13.0"
    assert connection["webConnectorVersion"] == "2.3.0.215"
    assert connection["lastContactAt"] is not None
    # The ticket is dead after closeConnection.
    assert wc.send_request_xml(ticket) == ""


def test_the_latest_client_version_from_an_address_is_the_one_remembered(admin: httpx.Client, wc: WebConnectorClient, tenant: TenantCredentials) -> None:
    assert wc.client_version("2.3.0.215") == ""
    assert wc.client_version("2.2.0.80") == ""  # the same address again: the row is updated
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    wc.close_connection(ticket)
    connection = admin.get(f"/api/v1/tenants/{tenant.id}/connection").json()
    assert connection["webConnectorVersion"] == "2.2.0.80"


def test_progress_stays_below_100_while_work_remains(admin: httpx.Client, wc: WebConnectorClient, tenant: TenantCredentials) -> None:
    job_ids = [queue_raw(admin, tenant.id, customer_query(f"C{i}")) for i in range(3)]
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    seen: list[str] = []
    progresses = []
    for _ in range(3):
        request_xml = wc.send_request_xml(ticket)
        seen.append(
            etree.fromstring(request_xml.encode()).findtext("QBXMLMsgsRq/CustomerQueryRq/FullName") or ""
        )
        progresses.append(wc.receive_response_xml(ticket, answer_for(request_xml)))
    wc.close_connection(ticket)
    assert seen == ["C0", "C1", "C2"], "jobs of a tenant are handed out in the order they were queued"
    assert all(0 <= p <= 99 for p in progresses[:-1]) and progresses[-1] == 100
    assert progresses[0] < progresses[1]
    assert [job(admin, j)["status"] for j in job_ids] == ["succeeded"] * 3


def test_progress_counts_answers_against_what_was_waiting_at_the_start(live_server: LiveServer) -> None:
    # Four requests waiting when the session starts: a quarter each. A fifth queued during the session
    # goes past the plan: after the fourth answer one more is known to remain (4 of 5).
    admin = live_server.client
    wc = WebConnectorClient(live_server.qbwc_url)
    tenant = new_tenant(admin)
    for i in range(4):
        queue_raw(admin, tenant.id, customer_query(f"P{i}"))
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    progresses = []
    for answered in range(5):
        if answered == 2:
            queue_raw(admin, tenant.id, customer_query("P-late"))
        request_xml = wc.send_request_xml(ticket)
        progresses.append(wc.receive_response_xml(ticket, answer_for(request_xml)))
    wc.close_connection(ticket)
    assert progresses == [25, 50, 75, 80, 100]


def test_status_1_no_match_is_not_an_error(admin: httpx.Client, wc: WebConnectorClient, tenant: TenantCredentials) -> None:
    job_id = queue_raw(admin, tenant.id)
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    request_xml = wc.send_request_xml(ticket)
    answer = answer_for(
        request_xml, status_code=1, message="A query request did not find a matching object in QuickBooks"
    )
    assert wc.receive_response_xml(ticket, answer) == 100
    wc.close_connection(ticket)
    result = job(admin, job_id)
    assert result["status"] == "succeeded"
    assert result["steps"][0]["statusCode"] == 1


def test_error_severity_fails_the_job_but_the_session_goes_on(admin: httpx.Client, wc: WebConnectorClient, tenant: TenantCredentials) -> None:
    failing = queue_raw(admin, tenant.id, customer_query("Missing"))
    following = queue_raw(admin, tenant.id, customer_query("Present"))
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    first = wc.send_request_xml(ticket)
    answer = answer_for(
        first,
        status_code=3120,
        severity="Error",
        message='Object "Missing" specified in the request cannot be found.',
    )
    progress = wc.receive_response_xml(ticket, answer)
    assert 0 <= progress <= 99, "a failing job must not stop the jobs behind it"
    second = wc.send_request_xml(ticket)
    assert "Present" in second
    assert wc.receive_response_xml(ticket, answer_for(second)) == 100
    wc.close_connection(ticket)
    failed = job(admin, failing)
    assert failed["status"] == "failed"
    assert failed["steps"][0]["statusCode"] == 3120
    assert failed["error"] and "Missing" in failed["error"]
    assert job(admin, following)["status"] == "succeeded"


def test_hresult_fails_the_step_with_its_message(admin: httpx.Client, wc: WebConnectorClient, tenant: TenantCredentials) -> None:
    job_id = queue_raw(admin, tenant.id)
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    wc.send_request_xml(ticket)
    progress = wc.receive_response_xml(
        ticket,
        "",
        hresult="0x80040400",
        message="QuickBooks found an error when parsing the provided XML text stream.",
    )
    assert progress == 100
    wc.close_connection(ticket)
    result = job(admin, job_id)
    assert result["status"] == "failed"
    assert result["steps"][0]["hresult"] == "0x80040400"
    assert "0x80040400" in result["error"]


def test_fatal_hresult_stops_the_session_and_get_last_error_explains(admin: httpx.Client, wc: WebConnectorClient, tenant: TenantCredentials) -> None:
    queue_raw(admin, tenant.id)
    queue_raw(admin, tenant.id)
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    wc.send_request_xml(ticket)
    progress = wc.receive_response_xml(ticket, "", "0x80040420", "The QuickBooks user has denied access.")
    assert progress < 0
    message = wc.get_last_error(ticket)
    assert message and "denied access" in message
    wc.close_connection(ticket)


def test_connection_error_is_recorded_on_the_tenant(admin: httpx.Client, wc: WebConnectorClient, tenant: TenantCredentials) -> None:
    queue_raw(admin, tenant.id)
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    assert wc.connection_error(ticket, "0x80040408", "Could not start QuickBooks.") == "done"
    connection = admin.get(f"/api/v1/tenants/{tenant.id}/connection").json()
    assert "Could not start QuickBooks" in connection["lastConnectionError"]
    assert connection["lastConnectionErrorAt"] is not None
    assert connection["openSessions"] == 0


def test_in_flight_request_becomes_unknown_outcome_and_is_never_resent(admin: httpx.Client, wc: WebConnectorClient, tenant: TenantCredentials) -> None:
    job_id = queue_raw(admin, tenant.id)
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    wc.send_request_xml(ticket)
    wc.close_connection(ticket)  # the connector died before the answer arrived
    result = job(admin, job_id)
    assert result["status"] == "unknown_outcome"
    assert "not be sent again" in result["steps"][0]["error"]
    ticket2, status = wc.authenticate(tenant.username, tenant.token)
    assert status == "none"
    assert wc.send_request_xml(ticket2) == ""
    wc.close_connection(ticket2)


def test_a_late_answer_to_an_ended_session_still_settles_its_request(admin: httpx.Client, wc: WebConnectorClient, tenant: TenantCredentials) -> None:
    job_id = queue_raw(admin, tenant.id)
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    request_xml = wc.send_request_xml(ticket)
    wc.close_connection(ticket)
    assert job(admin, job_id)["status"] == "unknown_outcome"
    # QuickBooks did answer; the answer reaches us after the session ended: it says what happened.
    assert wc.receive_response_xml(ticket, answer_for(request_xml)) == 100
    settled = job(admin, job_id)
    assert settled["status"] == "succeeded"
    assert settled["steps"][0]["statusCode"] == 0
    assert "CustomerQueryRs" in settled["steps"][0]["response"]


def test_unknown_ticket_gets_a_clear_answer_never_a_fault(wc: WebConnectorClient) -> None:
    ticket = "not-a-ticket"
    assert wc.send_request_xml(ticket) == ""
    assert "not known" in wc.get_last_error(ticket)
    assert wc.receive_response_xml(ticket, "<QBXML/>") == 100
    assert wc.connection_error(ticket, "0x80040408", "x") == "done"
    assert wc.close_connection(ticket)


def test_new_token_invalidates_the_old_one_and_ends_its_sessions(admin: httpx.Client, wc: WebConnectorClient, tenant: TenantCredentials) -> None:
    job_id = queue_raw(admin, tenant.id)
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    wc.send_request_xml(ticket)
    new_token = admin.post(f"/api/v1/tenants/{tenant.id}/token").json()["token"]
    assert new_token != tenant.token
    assert wc.authenticate(tenant.username, tenant.token) == ["", "nvu"]
    assert wc.send_request_xml(ticket) == ""  # the old session is over
    assert job(admin, job_id)["status"] == "unknown_outcome"
    ticket2, status = wc.authenticate(tenant.username, new_token)
    assert ticket2 and status == "none"
    wc.close_connection(ticket2)


def test_passwords_and_tokens_never_reach_the_log(live_server: LiveServer) -> None:
    wc = WebConnectorClient(live_server.qbwc_url)
    tenant = new_tenant(live_server.client)
    wc.authenticate(tenant.username, tenant.token)
    wc.authenticate(tenant.username, "a-wrong-secret-value")
    log = live_server.log_text()
    assert tenant.token not in log
    assert "a-wrong-secret-value" not in log
    assert live_server.admin_key not in log


def test_expect_100_continue_is_answered_before_the_body_is_sent(live_server: LiveServer) -> None:
    # The Web Connector is a .NET SOAP client, and .NET's HTTP client by default sends a POST's
    # headers with "Expect: 100-continue", then holds the body back until the server says
    # "100 Continue" (or until a 350 ms timer runs out, which would add that much to every call).
    url = urlsplit(live_server.qbwc_url)
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        b'<soap:Body><serverVersion xmlns="http://developer.intuit.com/" /></soap:Body></soap:Envelope>'
    )
    head = (
        f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: text/xml; charset=utf-8\r\n"
        f'SOAPAction: "http://developer.intuit.com/serverVersion"\r\nContent-Length: {len(body)}\r\n'
        "Expect: 100-continue\r\nConnection: Keep-Alive\r\n\r\n"
    ).encode()
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(head)
        interim = b""
        while b"\r\n\r\n" not in interim:
            chunk = sock.recv(4096)
            assert chunk, "the server closed the connection instead of answering 100 Continue"
            interim += chunk
        assert interim.startswith(b"HTTP/1.1 100 "), interim
        sock.sendall(body)
        reply = interim.split(b"\r\n\r\n", 1)[1]
        while b"serverVersionResponse>" not in reply or not reply.rstrip().endswith(b"Envelope>"):
            chunk = sock.recv(65536)
            assert chunk, reply
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200 "), reply[:200]
    assert b"qbbridge " in reply
