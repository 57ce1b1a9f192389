"""The ASGI endpoint at ``/qbwc``: bounded body reading, the guard, then Spyne in a worker thread."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from qbwc.soap_guard import SoapRequestError, client_fault, inspect_envelope, server_fault
from qbwc.spyne_adapter import OPERATIONS

log = logging.getLogger("qbbridge.qbwc")

SOAP_CONTENT_TYPE = "text/xml; charset=utf-8"
INLINE_BODY_BYTES = 256 * 1024

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


class BodyTooLarge(Exception):
    pass


class ConnectionCalls:
    """Counts the Web Connector calls on each connection, to end long-lived ones now and then.

    A Web Connector keeps one connection for a whole session, and a session can last thousands of
    calls (a large first retrieval, a backlog of sends). Each worker process serves only the
    connections the kernel gave it (``qbbridge/workers.py``), so a few long sessions can pin one
    worker while another idles. After ``limit`` calls on a connection the answer carries
    ``Connection: close``; the connector opens a new connection for its next call (HTTP/1.1, the
    session lives on in its ticket), and the new connection may land on a less busy worker. nginx
    does the same (``keepalive_requests``).

    A connection is known by its peer's address and port, unique while it is open. A connection that
    closes before its limit leaves its count behind: the table is emptied when it grows large, which
    only restarts counts.
    """

    def __init__(self, limit: int, *, remember: int = 10_000) -> None:
        self.limit = limit
        self.remember = remember
        self.counts: dict[tuple[str, int], int] = {}

    def should_close(self, peer: tuple[str, int] | None) -> bool:
        """Count one call on the connection from ``peer``; whether its answer should close it."""
        if peer is None or self.limit <= 0:
            return False
        count = self.counts.get(peer, 0) + 1
        if count >= self.limit:
            self.counts.pop(peer, None)
            return True
        if len(self.counts) >= self.remember:
            self.counts.clear()
        self.counts[peer] = count
        return False


async def read_bounded(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class WebConnectorEndpoint:
    def __init__(
        self, wsgi: WsgiApp, wsdl: bytes, *, max_body_bytes: int, calls_per_connection: int = 0
    ) -> None:
        self.wsgi = wsgi
        self.wsdl = wsdl
        self.max_body_bytes = max_body_bytes
        self.connection_calls = ConnectionCalls(calls_per_connection)

    async def __call__(self, request: Request) -> Response:
        if request.method in {"GET", "HEAD"}:
            if "wsdl" in {key.lower() for key in request.query_params}:
                return Response(self.wsdl, media_type=SOAP_CONTENT_TYPE)
            return Response(
                "qbbridge QuickBooks Web Connector endpoint. Add this service to the Web Connector with "
                "the .qwc file from your qbbridge account; the WSDL is at ?wsdl.\n",
                media_type="text/plain; charset=utf-8",
            )
        try:
            body = await read_bounded(request, self.max_body_bytes)
        except BodyTooLarge:
            return _fault_response(
                client_fault(f"The request body is larger than the limit of {self.max_body_bytes} bytes."),
                413,
            )
        except anyio.EndOfStream:
            return _fault_response(client_fault("The request body ended early."), 400)
        try:
            inspect_envelope(body, OPERATIONS)
        except SoapRequestError as exc:
            return _fault_response(client_fault(str(exc)), 500)
        try:
            if len(body) <= INLINE_BODY_BYTES:
                # A Web Connector call is a few short queries: handing it to a worker thread costs more
                # (thread switch, GIL hand-over) than running it here. Processes give the parallelism.
                status, headers, payload = self._call_spyne(request, body)
            else:
                # A large response (a big query result) is parsed in a thread so this process keeps
                # answering other sessions meanwhile.
                status, headers, payload = await run_in_threadpool(self._call_spyne, request, body)
        except Exception:
            log.exception("the Web Connector call failed inside the service")
            return _fault_response(
                server_fault("qbbridge could not process this call; please retry later."), 500
            )
        client = request.client
        if self.connection_calls.should_close((client.host, client.port) if client else None):
            headers["connection"] = "close"
        return Response(payload, status_code=status, headers=headers)

    def _call_spyne(self, request: Request, body: bytes) -> tuple[int, dict[str, str], bytes]:
        client = request.client
        environ = wsgi_environ(
            body,
            path=request.url.path,
            query=request.url.query,
            content_type=request.headers.get("content-type", SOAP_CONTENT_TYPE),
            soap_action=request.headers.get("soapaction", ""),
            server_name=request.url.hostname or "localhost",
            server_port=request.url.port or 80,
            # The client's address: behind a trusted reverse proxy, the one its X-Forwarded-For
            # names (uvicorn's middleware, QBBRIDGE_TRUSTED_PROXIES; docs/security.md).
            remote_addr=client.host if client else "",
            scheme=request.url.scheme,
        )
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = headers

        payload = b"".join(self.wsgi(environ, start_response))
        headers = {
            name: value for name, value in captured.get("headers", []) if name.lower() != "content-length"
        }
        headers["content-type"] = SOAP_CONTENT_TYPE
        return captured.get("status", 500), headers, payload


def wsgi_environ(
    body: bytes,
    *,
    path: str = "/qbwc",
    query: str = "",
    content_type: str = SOAP_CONTENT_TYPE,
    soap_action: str = "",
    server_name: str = "localhost",
    server_port: int = 80,
    remote_addr: str = "",
    scheme: str = "http",
) -> dict[str, Any]:
    """The WSGI environ Spyne is called with for one SOAP request whose body was already read."""
    return {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": server_name,
        "SERVER_PORT": str(server_port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": remote_addr,
        "HTTP_SOAPACTION": soap_action,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def _fault_response(payload: bytes, status: int) -> Response:
    return Response(payload, status_code=status, media_type=SOAP_CONTENT_TYPE)
