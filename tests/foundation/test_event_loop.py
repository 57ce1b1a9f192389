"""The server every worker runs: asyncio's own event loop, and connections without Nagle's delay.

A Web Connector call runs in the worker's event loop, so the loop's fairness decides how long a
session's first call waits (docs/performance.md, "Issue 20: asyncio's event loop"). asyncio's loop
leaves Nagle's algorithm on for the sockets the workers listen on, so the HTTP protocol turns it off
on each connection (``qbbridge/connections.py``): otherwise an answer's body waits for the client to
acknowledge its headers. These tests run uvicorn's server with the very configuration ``qbbridge
serve`` gives each worker (``qbbridge/workers.py``) around a small application that reports the loop
it runs on, and read the option of the connection the server accepted.
"""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from qbbridge import workers
from qbbridge.connections import CountingHttpProtocol
from qbbridge.workers import ServeOptions, listening_socket, worker_config
from tests.support.servers import free_port


class LoopReporter:
    """An ASGI application answering each request with the module of the loop it runs on."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = type(asyncio.get_running_loop()).__module__.encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", b"%d" % len(body))],
            }
        )
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
def worker_server() -> Iterator[tuple[uvicorn.Server, int]]:
    """uvicorn's server as a worker runs it (its configuration and its own listening socket), in a
    thread of this process so that the test can look at the connections it accepts."""
    port = free_port()
    config = worker_config(ServeOptions(host="127.0.0.1", port=port, log_level="warning", access_log=False))
    # The application is the only thing replaced: the loop, the HTTP protocol and the socket are the
    # worker's own.
    config.app = LoopReporter()
    config.factory = False
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening_socket("127.0.0.1", port)]})
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield server, port
    finally:
        server.should_exit = True
        thread.join(10)


def test_a_worker_runs_asyncios_own_event_loop(worker_server: tuple[uvicorn.Server, int]) -> None:
    _, port = worker_server
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/")
    response = connection.getresponse()
    assert response.status == 200
    # uvloop's loop lives in the module "uvloop"; asyncio's in "asyncio.unix_events" on Linux.
    assert response.read().decode().split(".")[0] == "asyncio"
    connection.close()


def test_each_accepted_connection_has_nagle_turned_off(worker_server: tuple[uvicorn.Server, int]) -> None:
    server, port = worker_server
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/")
    connection.getresponse().read()
    # The connection is kept open (HTTP/1.1): its protocol object is among the server's connections.
    protocols = list(server.server_state.connections)
    assert len(protocols) == 1
    (protocol,) = protocols
    assert isinstance(protocol, CountingHttpProtocol)
    accepted = protocol.transport.get_extra_info("socket")
    assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    # What asyncio alone would have left: the listening socket's protocol number is not TCP's, so the
    # option above is the protocol's doing (and this test would fail without it).
    assert accepted.proto != socket.IPPROTO_TCP
    connection.close()


def test_without_a_shared_port_uvicorns_own_workers_get_the_same_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the kernel cannot share a port between sockets, ``qbbridge serve --workers N`` hands the
    application to uvicorn's own workers: they run the same loop and protocol as the supervised ones."""
    given: dict[str, Any] = {}
    monkeypatch.setattr(workers, "reuse_port_supported", lambda: False)
    monkeypatch.setattr(uvicorn, "run", lambda **options: given.update(options))
    options = ServeOptions(
        host="127.0.0.1",
        port=free_port(),
        log_level="warning",
        access_log=False,
        trusted_proxies=("10.0.0.1",),
    )
    assert workers.serve(options, 3) == 0
    assert given.pop("workers") == 3
    assert given["loop"] == "asyncio" and given["http"] == workers.HTTP_PROTOCOL
    assert given["forwarded_allow_ips"] == ["10.0.0.1"] and given["proxy_headers"] is True
    # Exactly what a supervised worker is configured with.
    supervised = worker_config(options)
    assert {name: getattr(supervised, name) for name in given if name != "app"} == {
        name: value for name, value in given.items() if name != "app"
    }
    assert given["app"] == workers.APP
