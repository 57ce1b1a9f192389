"""Long Web Connector connections are ended now and then (``QBBRIDGE_CALLS_PER_CONNECTION``), so long
sessions spread over the worker processes; the session itself goes on over the next connection."""

from __future__ import annotations

import http.client
import io
import socket
import struct
from urllib.parse import urlsplit

import httpx

from bench.loadgen import StdlibConnection
from qbwc.endpoint import ConnectionCalls
from simulator.company import Company
from simulator.quickbooks import QuickBooks
from simulator.webconnector import WebConnector
from tests.foundation.helpers import job, new_tenant, queue_raw
from tests.support.servers import LiveServer, free_port
from tests.support.webconnector import WebConnectorClient, answer_for, customer_query, envelope

DEFAULT_LIMIT = 100


class CountingTransport(httpx.HTTPTransport):
    """Keeps every response, to read the headers the server sent with each."""

    def __init__(self) -> None:
        super().__init__()
        self.responses: list[httpx.Response] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.responses.append(response)
        return response


def test_the_hundredth_call_on_a_connection_closes_it(live_server: LiveServer) -> None:
    transport = CountingTransport()
    with httpx.Client(transport=transport, timeout=30) as http:
        wc = WebConnectorClient(live_server.qbwc_url, client=http)
        for _ in range(DEFAULT_LIMIT + 5):
            assert wc.server_version()
    closing = [i + 1 for i, r in enumerate(transport.responses) if r.headers.get("connection") == "close"]
    # Only the limit-th call on the first connection; the next connection has had 5 calls so far.
    assert closing == [DEFAULT_LIMIT]


def test_a_session_goes_on_across_connections(live_server: LiveServer) -> None:
    admin = live_server.client
    tenant = new_tenant(admin)
    jobs = [queue_raw(admin, tenant.id, customer_query(f"Customer {n}")) for n in range(60)]
    transport = CountingTransport()
    with httpx.Client(transport=transport, timeout=30) as http:
        wc = WebConnectorClient(live_server.qbwc_url, client=http)
        ticket, _ = wc.authenticate(tenant.username, tenant.token)
        progress = 0
        while progress < 100:
            request_xml = wc.send_request_xml(ticket)
            assert request_xml
            progress = wc.receive_response_xml(ticket, answer_for(request_xml))
            assert progress >= 0
        wc.close_connection(ticket)
    # 1 + 120 + 1 calls: the connection was ended once in the middle of the session.
    assert sum(r.headers.get("connection") == "close" for r in transport.responses) == 1
    assert {job(admin, job_id)["status"] for job_id in jobs} == {"succeeded"}


def test_a_new_connection_from_a_closed_connections_port_starts_from_zero(live_server: LiveServer) -> None:
    # The client's port is chosen here, so the second connection has the first one's address and
    # port: counted by address, it would inherit the first one's 60 calls and be closed after 40.
    server = urlsplit(live_server.qbwc_url)
    client_port = free_port()
    body = envelope("serverVersion", [])
    headers = {"Content-Type": "text/xml; charset=utf-8"}

    def calls_on_one_connection(count: int) -> list[bool]:
        connection = http.client.HTTPConnection(
            server.hostname, server.port, timeout=30, source_address=("127.0.0.1", client_port)
        )
        closed = []
        for _ in range(count):
            connection.request("POST", server.path, body=body, headers=headers)
            response = connection.getresponse()
            assert response.status == 200 and b"qbbridge" in response.read()
            closed.append(response.getheader("connection") == "close")
        if connection.sock is not None:
            # Closed with a reset, so the port can be bound again at once (no TIME_WAIT).
            connection.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
        return closed

    assert not any(calls_on_one_connection(60))
    assert not any(calls_on_one_connection(60))
    # And the limit still holds on a connection from that port.
    assert calls_on_one_connection(DEFAULT_LIMIT).index(True) == DEFAULT_LIMIT - 1


def test_a_connection_counts_its_own_calls() -> None:
    calls = ConnectionCalls()
    assert [calls.count(3) for _ in range(3)] == [False, False, True]
    other = ConnectionCalls()
    assert other.count(3) is False  # another connection starts from zero


def test_zero_never_closes() -> None:
    calls = ConnectionCalls()
    assert not any(calls.count(0) for _ in range(1000))


def test_the_benchmarks_standard_library_connection_follows_a_close(live_server: LiveServer) -> None:
    # bench/send_flows.py drives its simulated Web Connectors through the standard library's HTTP
    # client; a session longer than the limit must go on over a new connection, as with httpx.
    admin = live_server.client
    tenant = new_tenant(admin)
    jobs = [queue_raw(admin, tenant.id, customer_query(f"Customer {n}")) for n in range(60)]
    posts: list[tuple[int, bool]] = []

    class Recording(StdlibConnection):
        def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
            reused = self.connection is not None and self.connection.sock is not None
            status, content = super().post(url, body, headers)
            posts.append((status, reused))
            return status, content

    connector = WebConnector(
        live_server.qbwc_url,
        tenant.username,
        tenant.token,
        QuickBooks(Company.new("Stdlib"), use_default_schema=False),
        noop_pause=0.01,
        out=io.StringIO(),
        connect=Recording,
    )
    result = connector.run_session()
    assert result.ok, result.last_error
    assert {status for status, _ in posts} == {200}
    # One connection opened at the start, one after the server's close at the limit.
    assert [i for i, (_, reused) in enumerate(posts) if not reused] == [0, DEFAULT_LIMIT]
    assert {job(admin, job_id)["status"] for job_id in jobs} == {"succeeded"}
