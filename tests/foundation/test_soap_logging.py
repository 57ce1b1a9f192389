"""What the server writes to its log about Web Connector calls: never a request body, never a password,
and no record longer than a few kilobytes, however large or broken the request."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from qbbridge.logs import MAX_RECORD_CHARS, BoundedFormatter, bounded
from qbwc.spyne_adapter import describe_failure
from tests.foundation.helpers import new_tenant
from tests.support.logs import log_a_huge_failure
from tests.support.servers import LiveServer, serving
from tests.support.webconnector import INTUIT, SOAP_ENV, WebConnectorClient

HEADERS = {"Content-Type": "text/xml; charset=utf-8"}
# A record may grow by its prefix (time, level, logger name) and the note that says what was cut.
LONGEST_LINE = MAX_RECORD_CHARS + 200


@pytest.fixture(scope="module")
def logged_server(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own, logging at the production default level, so its log is only ours."""
    yield from serving(sqlite_url, tmp_path_factory.mktemp("logged"), extra_env={"QBBRIDGE_LOG_LEVEL": "info"})


def soap(call: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_ENV}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        f"<soap:Body>{call}</soap:Body></soap:Envelope>"
    ).encode()


def authenticate(username: str, password_xml: str, extra: str = "") -> bytes:
    return soap(
        f'<authenticate xmlns="{INTUIT}"><strUserName>{username}</strUserName>'
        f"<strPassword{password_xml}</strPassword>{extra}</authenticate>"
    )


def malformed_authenticates(username: str, password: str) -> dict[str, bytes]:
    """Calls carrying the password that are broken in the ways that made Spyne log them."""
    deep = "<a>" * 300 + "</a>" * 300
    return {
        # Deeper than Spyne's own parser allowed: it logged the whole body.
        "nested too deep": authenticate(username, f">{password}", deep),
        # A type Spyne cannot read: it logged the value.
        "xsi:type": authenticate(username, f' xsi:type="xsd:int">{password}'),
        "unknown xsi:type": authenticate(username, f' xsi:type="q:x" xmlns:q="urn:q">{password}'),
        # Not well-formed at all.
        "unclosed": authenticate(username, f">{password}")[:-40],
        "undefined entity": authenticate(username, f">&{password};"),
        # The password where a number belongs.
        "password as a version": soap(
            f'<sendRequestXML xmlns="{INTUIT}"><ticket>{password}</ticket>'
            f"<qbXMLMajorVers>{password}</qbXMLMajorVers><qbXMLMinorVers>0</qbXMLMinorVers></sendRequestXML>"
        ),
        "password in a huge element": authenticate(username, f">{password}{'x' * 11_000_000}"),
    }


def test_a_malformed_authenticate_never_puts_the_password_in_the_log(logged_server: LiveServer) -> None:
    tenant = new_tenant(logged_server.client)
    with httpx.Client(timeout=60) as http:
        for name, body in malformed_authenticates(tenant.username, tenant.token).items():
            response = http.post(logged_server.qbwc_url, content=body, headers=HEADERS)
            assert response.headers["content-type"].startswith("text/xml"), name
            assert b"Internal Error" not in response.content, name
    assert WebConnectorClient(logged_server.qbwc_url).server_version().startswith("qbbridge")
    log = logged_server.log_text()
    assert tenant.token not in log
    assert tenant.username not in log
    assert max(len(line) for line in logged_server.log_raw().splitlines()) <= LONGEST_LINE


def test_large_malformed_bodies_add_almost_nothing_to_the_log(logged_server: LiveServer) -> None:
    deep = "<a>" * 300 + "x" * 2_000_000 + "</a>" * 300
    body = soap(f'<authenticate xmlns="{INTUIT}"><strUserName>u</strUserName>{deep}</authenticate>')
    assert len(body) > 2_000_000
    before = logged_server.log_path.stat().st_size
    with httpx.Client(timeout=60) as http:
        for _ in range(5):
            http.post(logged_server.qbwc_url, content=body, headers=HEADERS)
    WebConnectorClient(logged_server.qbwc_url).server_version()
    grown = logged_server.log_path.stat().st_size - before
    # Five access-log lines and little else; Spyne used to write each 2 MB body.
    assert grown < 5 * 1_000, grown


def test_a_long_line_from_a_library_is_cut(logged_server: LiveServer) -> None:
    # uvicorn's access log writes the request's path and query string, which the client chooses.
    marker = "q" * 50_000
    response = httpx.get(f"{logged_server.qbwc_url}?{marker}", timeout=30)
    assert response.status_code == 200
    WebConnectorClient(logged_server.qbwc_url).server_version()  # the access line is written by now
    lines = [line for line in logged_server.log_raw().splitlines() if "qqqqqqqqqq" in line]
    assert lines, "the access log line is missing"
    assert all(len(line) <= LONGEST_LINE for line in lines)
    assert all("characters left out" in line for line in lines)


def test_a_connector_gone_before_its_body_ended_leaves_one_line_and_no_traceback(
    logged_server: LiveServer,
) -> None:
    """A connection closed half-way through a call's body (a network drop, a stopped update) is the
    client's doing: one info line says so, with the call's request id, and nothing is an error."""
    before = logged_server.log_path.stat().st_size
    port = int(logged_server.base_url.rsplit(":", 1)[1])
    request_id = "gone-mid-body-" + str(time.monotonic_ns())
    head = (
        "POST /qbwc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml; charset=utf-8\r\n"
        f"X-Request-ID: {request_id}\r\nContent-Length: 5000\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(head.encode() + soap(f'<serverVersion xmlns="{INTUIT}"/>')[:60])
        time.sleep(0.3)  # the server has read the part sent and waits for the rest
    line = "a Web Connector call ended before its request body did; nothing was done"

    def written() -> str:  # the log's size is in bytes, and other tests' lines may not be ASCII
        return logged_server.log_path.read_bytes()[before:].decode(errors="replace")

    deadline = time.monotonic() + 10
    while line not in written() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert WebConnectorClient(logged_server.qbwc_url).server_version().startswith("qbbridge")
    added = written()
    records = [json.loads(text) for text in added.splitlines() if text.startswith("{")]
    gone = [record for record in records if record.get("event") == line]
    assert len(gone) == 1, added
    assert gone[0]["level"] == "info" and gone[0]["request_id"] == request_id
    assert "Traceback" not in added
    assert not [record for record in records if record.get("level") in {"error", "critical"}], added


def test_bounded_keeps_the_start_and_the_end() -> None:
    text = "start " + "x" * 10_000 + " the end"
    cut = bounded(text, 1_000)
    assert len(cut) <= 1_000
    assert cut.startswith("start ") and cut.endswith(" the end")
    assert f"[{len(text) - 1_000} characters left out]" in cut
    assert bounded("short", 1_000) == "short"


def test_the_bounded_formatter_cuts_a_traceback_too(tmp_path: Path) -> None:
    formatter = BoundedFormatter(logging.Formatter("%(levelname)s %(message)s"), 2_000)
    written = log_a_huge_failure(tmp_path / "log.txt", formatter, "qbbridge.tests.bounded")
    assert len(written) <= 2_001
    assert written.startswith("ERROR failed with aaa")


def test_a_service_failure_is_described_without_its_message() -> None:
    def store(password: str) -> None:
        raise ValueError(f"value too long: {password}")

    secret = "-".join(["a", "secret", "password"])  # not written out in a line the traceback shows
    try:
        store(secret)
    except ValueError as exc:
        described = describe_failure("authenticate", exc)
    assert "authenticate" in described and "ValueError" in described
    assert "store" in described  # where it happened
    assert secret not in described
