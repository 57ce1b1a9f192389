"""Every argument of every Web Connector method, given odd values over real HTTP.

Whatever the value, the answer is the protocol's own: a ``W:`` from clientVersion, ``nvu`` from
authenticate, ``""`` from sendRequestXML with the reason from getLastError, a negative number from
receiveResponseXML with the reason from getLastError, ``done`` from connectionError, a message from
getLastError and closeConnection, or a ``soap:Client`` fault when the value cannot be XML or cannot be
the argument's type. Never a ``Server`` fault, never ``Internal Error``, and never a request headed with
a qbXML version QuickBooks did not report.

The table runs on PostgreSQL, whose column limits are what an unchecked value runs into (SQLite does
not enforce them); the checks themselves come before any database work.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape

import httpx
import pytest
from lxml import etree

from qbwc import arguments
from tests.foundation.helpers import TenantCredentials, job, new_tenant, queue_raw
from tests.support.servers import LiveServer
from tests.support.webconnector import (
    INTUIT,
    METHODS,
    SOAP_ENV,
    WebConnectorClient,
    answer_for,
    customer_query,
)


@dataclass(frozen=True)
class Odd:
    """A value as it travels in the SOAP body (already XML text), and what it means once parsed."""

    xml: bytes
    text: str | None  # None: the body cannot be well-formed XML with it


def odd(text: str) -> Odd:
    return Odd(escape(text).encode("utf-8"), text)


ODD_VALUES: dict[str, Odd] = {
    "empty": odd(""),
    "blank": odd("   "),
    "long": odd("a" * 100_000),
    "5000 digits": odd("9" * 5000),
    "20 digits": odd("9" * 20),
    "superscript two": odd("²"),
    "negative": odd("-1"),
    "zero": odd("0"),
    "absurd version": odd("99999.99999.99999.99999"),
    "DEL": odd("\x7f"),
    "C1 control": odd("a\x85b\x9f"),
    "newline": odd("a\nb"),
    "noncharacter": odd("\ufdd0"),
    "right-to-left override": odd("\u202eabc"),
    "markup as text": odd("<x>1</x>"),
    "element inside": Odd(b"<x>1</x>", ""),
    "NUL reference": Odd(b"&#0;", None),
    "NUL byte": Odd(b"a\x00b", None),
    "control reference": Odd(b"&#1;", None),
    "control byte": Odd(b"a\x01b", None),
    "lone surrogate reference": Odd(b"&#xD800;", None),
    "lone surrogate bytes": Odd(b"a\xed\xa0\x80b", None),
    "U+FFFE": Odd("a\ufffeb".encode(), None),
}

CELLS = [
    pytest.param(method, argument, name, id=f"{method}.{argument}-{name}")
    for method, arguments in METHODS.items()
    for argument in arguments
    for name in ODD_VALUES
]

HEADERS = {"Content-Type": "text/xml; charset=utf-8"}
READABLE_VERSION = re.compile(r"[0-9]{1,9}(\.[0-9]{1,9}){0,5}")
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")


def body(method: str, arguments: dict[str, bytes]) -> bytes:
    inner = b"".join(
        b"<%s>%s</%s>" % (name.encode(), value, name.encode()) for name, value in arguments.items()
    )
    return (
        b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="' + SOAP_ENV.encode() + b'" '
        b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        b"<soap:Body><"
        + method.encode()
        + b' xmlns="'
        + INTUIT.encode()
        + b'">'
        + inner
        + b"</"
        + method.encode()
        + b"></soap:Body></soap:Envelope>"
    )


@dataclass
class Answer:
    fault: tuple[str, str] | None
    result: etree._Element | None


def call(live_server: LiveServer, method: str, arguments: dict[str, bytes]) -> Answer:
    response = httpx.post(live_server.qbwc_url, content=body(method, arguments), headers=HEADERS, timeout=30)
    assert response.headers["content-type"].startswith("text/xml"), response.text[:300]
    root = etree.fromstring(response.content)
    fault = root.find(f".//{{{SOAP_ENV}}}Fault")
    if fault is not None:
        code, text = fault.findtext("faultcode") or "", fault.findtext("faultstring") or ""
        # Never the service's own failure, whatever the value.
        assert code.split(":")[-1].startswith("Client"), (code, text)
        assert "Internal Error" not in text and "Traceback" not in text
        assert response.status_code == 500
        return Answer((code, text), None)
    assert response.status_code == 200, response.text[:300]
    result = root.find(f".//{{{INTUIT}}}{method}Result")
    assert result is not None, response.text[:300]
    return Answer(None, result)


def xml_text(value: str | int) -> bytes:
    return escape(str(value)).encode("utf-8")


def session_with_work(live_server: LiveServer) -> tuple[TenantCredentials, str, str, str]:
    """A tenant with one raw query waiting, a session, and that session's ticket; returns also the job."""
    admin = live_server.client
    tenant = new_tenant(admin)
    job_id = queue_raw(admin, tenant.id, customer_query("Odd"))
    wc = WebConnectorClient(live_server.qbwc_url)
    ticket, status = wc.authenticate(tenant.username, tenant.token)
    assert status != "nvu"
    return tenant, ticket, job_id, wc.url


SEND_DEFAULTS: dict[str, str | int] = {
    "strHCPResponse": "",
    "strCompanyFileName": "C:\\Company\\Acme.qbw",
    "qbXMLCountry": "US",
    "qbXMLMajorVers": 13,
    "qbXMLMinorVers": 0,
}


def acceptable_send_argument(argument: str, text: str) -> bool:
    """Whether sendRequestXML may go on with this value (docs/qbwc.md, "What each argument may hold")."""
    if argument == "strHCPResponse":
        return True  # free text: an answer that cannot be read teaches nothing, and work goes on
    if argument == "strCompanyFileName":
        return len(text) <= 1000 and not CONTROL.search(text)
    if argument == "qbXMLCountry":
        stripped = text.strip()
        return stripped == "" or bool(re.fullmatch(r"[A-Za-z]{2,3}", stripped))
    number = text.strip()
    if not (number.isascii() and number.isdigit() and len(number) <= 2):
        return False
    if argument == "qbXMLMajorVers":
        return 1 <= int(number) <= 99
    if argument == "qbXMLMinorVers":
        return 0 <= int(number) <= 99
    raise AssertionError(argument)


# What each method is called with beside the odd argument, when the value cannot be XML at all.
PLACEHOLDERS: dict[str, bytes] = {
    "strVersion": b"2.3.0.215",
    "strUserName": b"someone",
    "strPassword": b"secret",
    "ticket": b"t",
    "strHCPResponse": b"",
    "strCompanyFileName": b"C:\\Acme.qbw",
    "qbXMLCountry": b"US",
    "qbXMLMajorVers": b"13",
    "qbXMLMinorVers": b"0",
    "response": b"",
    "hresult": b"",
    "message": b"",
}

_shared_tenants: dict[str, TenantCredentials] = {}


def shared_tenant(live_server: LiveServer) -> TenantCredentials:
    """One tenant per server for the cells that only log in (a refused login changes nothing)."""
    if live_server.base_url not in _shared_tenants:
        _shared_tenants[live_server.base_url] = new_tenant(live_server.client)
    return _shared_tenants[live_server.base_url]


@pytest.mark.parametrize(("method", "argument", "value_name"), CELLS)
def test_odd_argument_gets_the_protocols_own_answer(
    pg_live_server: LiveServer, method: str, argument: str, value_name: str
) -> None:
    live_server = pg_live_server
    value = ODD_VALUES[value_name]
    if value.text is None:
        # Not XML: the guard refuses the request whatever the method, and the server goes on.
        arguments = {name: PLACEHOLDERS[name] for name in METHODS[method]}
        arguments[argument] = value.xml
        answer = call(live_server, method, arguments)
        assert answer.fault is not None and "not well-formed" in answer.fault[1]
        assert WebConnectorClient(live_server.qbwc_url).server_version().startswith("qbbridge")
        return
    CHECKS[method](live_server, argument, value.text, value.xml)


def check_server_version(live_server: LiveServer, argument: str, text: str, xml: bytes) -> None:
    answer = call(live_server, "serverVersion", {argument: xml})
    assert answer.fault is None and answer.result is not None
    assert (answer.result.text or "").startswith("qbbridge ")


def check_client_version(live_server: LiveServer, argument: str, text: str, xml: bytes) -> None:
    answer = call(live_server, "clientVersion", {argument: xml})
    assert answer.fault is None and answer.result is not None
    result = answer.result.text or ""
    assert result == "" or result.startswith(("W:", "E:")), result
    assert len(result) < 1_000
    if not text.strip():
        assert result == ""  # no version given: nothing to warn about
    elif not READABLE_VERSION.fullmatch(text.strip()):
        assert result.startswith("W:"), result  # a version that cannot be read cannot be vouched for
    if len(text) >= 40:
        assert text not in result


def check_authenticate(live_server: LiveServer, argument: str, text: str, xml: bytes) -> None:
    tenant = shared_tenant(live_server)
    arguments = {"strUserName": xml_text(tenant.username), "strPassword": xml_text(tenant.token)}
    arguments[argument] = xml
    answer = call(live_server, "authenticate", arguments)
    assert answer.fault is None and answer.result is not None
    assert [child.text or "" for child in answer.result] == ["", "nvu"]


def check_send_request_xml(live_server: LiveServer, argument: str, text: str, xml: bytes) -> None:
    _, ticket, job_id, _ = session_with_work(live_server)
    admin = live_server.client
    wc = WebConnectorClient(live_server.qbwc_url)
    arguments = {"ticket": xml_text(ticket), **{name: xml_text(v) for name, v in SEND_DEFAULTS.items()}}
    arguments[argument] = xml
    answer = call(live_server, "sendRequestXML", arguments)
    if answer.fault is not None:
        # Only a value that cannot be a number may be refused as the wrong type.
        assert argument in {"qbXMLMajorVers", "qbXMLMinorVers"}, answer.fault
        assert not acceptable_send_argument(argument, text)
        assert job(admin, job_id)["status"] == "queued"
        return
    assert answer.result is not None
    request_xml = answer.result.text or ""
    if argument == "ticket":
        assert request_xml == ""  # no session has that ticket
        assert job(admin, job_id)["status"] == "queued"
        assert wc.get_last_error(text or "x")
        return
    if acceptable_send_argument(argument, text):
        minor = int(text) if argument == "qbXMLMinorVers" else 0
        assert f'<?qbxml version="13.{minor}"?>' in request_xml, request_xml[:200]
        assert job(admin, job_id)["status"] == "in_flight"
        return
    assert request_xml == ""
    assert job(admin, job_id)["status"] == "queued"
    reason = wc.get_last_error(ticket)
    assert argument in reason, reason
    assert text not in reason or len(text) < 40


def in_flight_session(live_server: LiveServer) -> tuple[TenantCredentials, str, str, str]:
    """A session with one request handed out: tenant, ticket, job, and the request."""
    tenant, ticket, job_id, _ = session_with_work(live_server)
    request_xml = WebConnectorClient(live_server.qbwc_url).send_request_xml(ticket)
    assert request_xml
    return tenant, ticket, job_id, request_xml


def check_receive_response_xml(live_server: LiveServer, argument: str, text: str, xml: bytes) -> None:
    _, ticket, job_id, request_xml = in_flight_session(live_server)
    arguments = {
        "ticket": xml_text(ticket),
        "response": xml_text(answer_for(request_xml)),
        "hresult": b"",
        "message": b"",
    }
    arguments[argument] = xml
    answer = call(live_server, "receiveResponseXML", arguments)
    assert answer.fault is None and answer.result is not None
    progress = int(answer.result.text or "")
    assert -1 <= progress <= 100
    status = job(live_server.client, job_id)["status"]
    if argument == "ticket":
        assert progress == 100 and status == "in_flight"
    elif progress < 0:
        assert status == "in_flight"  # nothing was settled from a call that was refused
        reason = WebConnectorClient(live_server.qbwc_url).get_last_error(ticket)
        assert argument in reason, reason
    else:
        assert status != "in_flight"


def check_connection_error(live_server: LiveServer, argument: str, text: str, xml: bytes) -> None:
    tenant, ticket, _, _ = in_flight_session(live_server)
    arguments = {
        "ticket": xml_text(ticket),
        "hresult": b"0x80040408",
        "message": b"Could not start QuickBooks.",
    }
    arguments[argument] = xml
    answer = call(live_server, "connectionError", arguments)
    assert answer.fault is None and answer.result is not None
    assert answer.result.text == "done"
    connection = live_server.client.get(f"/api/v1/tenants/{tenant.id}/connection")
    assert connection.status_code == 200
    recorded = connection.json().get("lastConnectionError") or ""
    assert len(recorded) <= 3_000
    if len(text) >= 40:
        assert text not in recorded or argument == "message"


def check_ticket_only(method: str) -> Callable[[LiveServer, str, str, bytes], None]:
    def check(live_server: LiveServer, argument: str, text: str, xml: bytes) -> None:
        _, _, job_id, _ = in_flight_session(live_server)
        answer = call(live_server, method, {"ticket": xml})
        assert answer.fault is None and answer.result is not None
        assert answer.result.text
        assert job(live_server.client, job_id)["status"] == "in_flight"  # someone else's session is untouched

    return check


CHECKS: dict[str, Callable[[LiveServer, str, str, bytes], None]] = {
    "serverVersion": check_server_version,
    "clientVersion": check_client_version,
    "authenticate": check_authenticate,
    "sendRequestXML": check_send_request_xml,
    "receiveResponseXML": check_receive_response_xml,
    "connectionError": check_connection_error,
    "getLastError": check_ticket_only("getLastError"),
    "closeConnection": check_ticket_only("closeConnection"),
}


def test_a_version_that_cannot_be_read_is_not_remembered(admin: httpx.Client, wc: WebConnectorClient, tenant: TenantCredentials) -> None:
    assert wc.client_version("2.3.0.215") == ""
    assert wc.client_version("2.3.0.²").startswith("W:")
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    wc.close_connection(ticket)
    connection = admin.get(f"/api/v1/tenants/{tenant.id}/connection").json()
    assert connection["webConnectorVersion"] == "2.3.0.215"


def test_a_password_no_token_can_be_is_not_counted_as_a_failed_login(live_server: LiveServer) -> None:
    # Five failures throttle a user name (test_soap_protocol.py); values no token can be do not count.
    wc = WebConnectorClient(live_server.qbwc_url)
    tenant = new_tenant(live_server.client)
    for _ in range(6):
        assert wc.authenticate(tenant.username, "p" * 500) == ["", "nvu"]
    ticket, status = wc.authenticate(tenant.username, tenant.token)
    assert ticket and status == "none"


@pytest.mark.parametrize(
    ("value", "readable"),
    [
        ("", True),
        ("0x80040400", True),
        ("0X8004041D", True),
        ("-2147220480", True),
        ("0x", False),
        ("0x123456789", False),
        ("12345678901", False),
        ("0x8004 0400", False),
        ("²", False),
    ],
)
def test_what_an_hresult_may_be(value: str, readable: bool) -> None:
    if readable:
        assert arguments.hresult(value) == value
    else:
        with pytest.raises(arguments.ArgumentError, match=r"^hresult "):
            arguments.hresult(value)


def test_the_reported_qbxml_version_is_checked_and_written_back() -> None:
    assert arguments.qbxml_version(13, 0) == "13.0"
    assert arguments.qbxml_version(2, 1) == "2.1"
    for major, minor, argument in [
        (0, 0, "qbXMLMajorVers"),
        (-1, 0, "qbXMLMajorVers"),
        (100, 0, "qbXMLMajorVers"),
        (None, 0, "qbXMLMajorVers"),
        (13, -1, "qbXMLMinorVers"),
        (13, None, "qbXMLMinorVers"),
    ]:
        with pytest.raises(arguments.ArgumentError) as refused:
            arguments.qbxml_version(major, minor)
        assert refused.value.argument == argument


def test_client_versions_are_read_as_numbers_only() -> None:
    assert arguments.client_version("2.3.0.215") == (2, 3, 0, 215)
    assert arguments.client_version(" 2.1.0.30 ") == (2, 1, 0, 30)
    for odd in ("²", "2.3.0.²", "9" * 5000, "1.2.3.4.5.6.7", "-1", "2..3", "v2.3"):
        assert arguments.client_version(odd) is None
