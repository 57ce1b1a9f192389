"""The ASGI endpoint at ``/qbwc``: bounded body reading, the guard, then Spyne: in the worker process's
event loop, or on a thread (a large body always; any call when the process has call threads)."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import io
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import anyio
from lxml import etree
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from qbwc.memory import release_free_memory
from qbwc.soap11 import DOCUMENT_KEY
from qbwc.soap_guard import SoapRequestError, check_content_type, client_fault, inspect_envelope, server_fault
from qbwc.spyne_adapter import OPERATIONS, SERVICE_FAILED, describe_failure

log = logging.getLogger("qbbridge.qbwc")

SOAP_CONTENT_TYPE = "text/xml; charset=utf-8"
INLINE_BODY_BYTES = 256 * 1024
# The key, in an ASGI request's ``state``, of the connection's own ConnectionCalls (qbbridge/connections.py).
CONNECTION_CALLS = "qbbridge.connection_calls"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


class BodyTooLarge(Exception):
    pass


@dataclass(slots=True)
class ConnectionCalls:
    """The Web Connector calls made so far on one HTTP connection, to end long-lived ones now and then.

    A Web Connector keeps one connection for a whole session, and a session can last thousands of
    calls (a large first retrieval, a backlog of sends). Each worker process serves only the
    connections the kernel gave it (``qbbridge/workers.py``), so a few long sessions can pin one
    worker while another idles. After ``limit`` calls on a connection the answer carries
    ``Connection: close``; the connector opens a new connection for its next call (HTTP/1.1, the
    session lives on in its ticket), and the new connection may land on a less busy worker. nginx
    does the same (``keepalive_requests``).

    The server makes one of these when a connection opens and hands it to the application with every
    request on that connection (``qbbridge/connections.py``), so the count belongs to the connection
    itself: it starts at zero on every new connection (even one from the address and port of a closed
    one) and goes away with it. A server that does not provide one (an in-process test client) is
    never asked to close.
    """

    calls: int = 0

    def count(self, limit: int) -> bool:
        """Count one call; whether its answer should close the connection."""
        self.calls += 1
        return 0 < limit <= self.calls


async def read_bounded(request: Request, limit: int) -> list[bytes]:
    """The body as the pieces it arrived in (never joined: the guard parses them one by one)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        if chunk:
            chunks.append(chunk)
    return chunks


@dataclass(frozen=True, slots=True)
class CallInfo:
    """What Spyne's WSGI environ needs from the HTTP request."""

    path: str
    query: str
    content_type: str
    soap_action: str
    server_name: str
    server_port: int
    remote_addr: str
    scheme: str


class WebConnectorEndpoint:
    """``call_threads``: how many ordinary calls (a body up to ``INLINE_BODY_BYTES``) the process serves
    at once, each on a thread of its own; 0 (the default setting) serves them one at a time in the
    event loop.

    The trade, measured (docs/performance.md, "Web Connector calls on threads"): a call waits for
    PostgreSQL two or three times. In the event loop nothing else runs meanwhile, not even the accept
    and first read of a new connection, so under load a session's first call waits behind every call
    ready before it, twice. On threads the event loop keeps accepting and reading, and the first call
    waits like any other; but the hand-overs and the threads' turns at the interpreter cost CPU, and
    on a busy 2-core machine the calls/s fell. On SQLite, whose statements do not wait on a server,
    threads buy nothing, and the application passes 0 there.
    """

    def __init__(
        self,
        wsgi: WsgiApp,
        wsdl: bytes,
        *,
        max_body_bytes: int,
        calls_per_connection: int = 0,
        call_threads: int = 0,
    ) -> None:
        self.wsgi = wsgi
        self.wsdl = wsdl
        self.max_body_bytes = max_body_bytes
        self.calls_per_connection = calls_per_connection
        # A pool of its own, not the one large answers share: calls queue here, in order of arrival,
        # instead of contending for the interpreter on as many threads as are waiting. asyncio's
        # executor rather than anyio's threads: its hand-over measured 80-110 us of CPU against anyio's
        # 125-185 (docs/performance.md, "Web Connector calls on threads").
        self.call_pool = (
            ThreadPoolExecutor(call_threads, thread_name_prefix="qbwc-call") if call_threads else None
        )

    async def asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The endpoint as an ASGI application of its own: what ``qbbridge/app.py`` serves the Web
        Connector's calls with, ahead of the admin API's routing and middlewares."""
        response = await self(Request(scope, receive, send))
        await response(scope, receive, send)

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
            check_content_type(request.headers.get("content-type"))
            chunks = await read_bounded(request, self.max_body_bytes)
        except SoapRequestError as exc:
            return _fault_response(client_fault(str(exc)), 500)
        except BodyTooLarge:
            return _fault_response(
                client_fault(f"The request body is larger than the limit of {self.max_body_bytes} bytes."),
                413,
            )
        except (anyio.EndOfStream, ClientDisconnect):
            # A connector that closed its connection before the body ended (a network drop, a
            # stopped update) is not a fault of the service: one line, nothing done, and the answer
            # goes nowhere (the server drops what is sent on a closed connection).
            log.info("a Web Connector call ended before its request body did; nothing was done")
            return _fault_response(client_fault("The request body ended early."), 400)
        info = _call_info(request)
        if sum(len(chunk) for chunk in chunks) > INLINE_BODY_BYTES:
            # A large answer (a big query result) is parsed and settled in a thread so this process
            # keeps answering other sessions meanwhile.
            status, headers, payload = await run_in_threadpool(self.respond, chunks, info)
        elif self.call_pool is not None:
            # In the request's context, so its log lines keep their request_id (the executor alone
            # would run it in none).
            in_context = functools.partial(contextvars.copy_context().run, self.respond, chunks, info)
            status, headers, payload = await asyncio.get_running_loop().run_in_executor(
                self.call_pool, in_context
            )
        else:
            # The default: a few short queries, cheapest in CPU run here; processes give the parallelism.
            status, headers, payload = self.respond(chunks, info)
        connection = request.scope.get("state", {}).get(CONNECTION_CALLS)
        if isinstance(connection, ConnectionCalls) and connection.count(self.calls_per_connection):
            headers["connection"] = "close"
        return Response(payload, status_code=status, headers=headers)

    def respond(self, chunks: list[bytes], info: CallInfo) -> tuple[int, dict[str, str], bytes]:
        """The guard, then Spyne: status, headers and body of the answer. ``chunks`` is consumed."""
        large = sum(len(chunk) for chunk in chunks) > INLINE_BODY_BYTES
        try:
            call = inspect_envelope(chunks, OPERATIONS)
        except SoapRequestError as exc:
            return 500, {"content-type": SOAP_CONTENT_TYPE}, client_fault(str(exc))
        finally:
            if large:
                release_free_memory()  # the body's pieces, parsed and dropped (qbwc/memory.py)
        environ = wsgi_environ(
            call.document,
            path=info.path,
            query=info.query,
            content_type=info.content_type,
            soap_action=info.soap_action,
            server_name=info.server_name,
            server_port=info.server_port,
            remote_addr=info.remote_addr,
            scheme=info.scheme,
        )
        method = call.method
        del call  # Spyne lets the tree go once it has read the arguments (qbwc/spyne_adapter.py)
        try:
            return self._call_spyne(environ)
        except Exception as exc:
            log.error(describe_failure(method, exc))
            return 500, {"content-type": SOAP_CONTENT_TYPE}, server_fault(SERVICE_FAILED)
        finally:
            if large:
                environ.clear()
                release_free_memory()  # the answer's string and the database driver's copies

    def _call_spyne(self, environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
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


def _call_info(request: Request) -> CallInfo:
    client = request.client
    return CallInfo(
        path=request.url.path,
        query=request.url.query,
        content_type=request.headers.get("content-type", SOAP_CONTENT_TYPE),
        soap_action=request.headers.get("soapaction", ""),
        server_name=request.url.hostname or "localhost",
        server_port=request.url.port or 80,
        remote_addr=client.host if client else "",
        scheme=request.url.scheme,
    )


def wsgi_environ(
    document: etree._Element,
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
    """The WSGI environ Spyne is called with for one SOAP request, whose envelope the guard parsed
    (:func:`qbwc.soap_guard.inspect_envelope`). Spyne reads the tree, not ``wsgi.input``."""
    return {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": "0",
        "SERVER_NAME": server_name,
        "SERVER_PORT": str(server_port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": remote_addr,
        "HTTP_SOAPACTION": soap_action,
        DOCUMENT_KEY: document,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def _fault_response(payload: bytes, status: int) -> Response:
    return Response(payload, status_code=status, media_type=SOAP_CONTENT_TYPE)
