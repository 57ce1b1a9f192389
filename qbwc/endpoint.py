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
    def __init__(self, wsgi: WsgiApp, wsdl: bytes, *, max_body_bytes: int) -> None:
        self.wsgi = wsgi
        self.wsdl = wsdl
        self.max_body_bytes = max_body_bytes

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
        return Response(payload, status_code=status, headers=headers)

    def _call_spyne(self, request: Request, body: bytes) -> tuple[int, dict[str, str], bytes]:
        client = request.client
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "POST",
            "SCRIPT_NAME": "",
            "PATH_INFO": request.url.path,
            "QUERY_STRING": request.url.query,
            "CONTENT_TYPE": request.headers.get("content-type", SOAP_CONTENT_TYPE),
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": request.url.hostname or "localhost",
            "SERVER_PORT": str(request.url.port or 80),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": client.host if client else "",
            "HTTP_SOAPACTION": request.headers.get("soapaction", ""),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": request.url.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
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


def _fault_response(payload: bytes, status: int) -> Response:
    return Response(payload, status_code=status, media_type=SOAP_CONTENT_TYPE)
