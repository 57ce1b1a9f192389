"""A size limit on request bodies, enforced before anything reads them (or checks the API key).

An ASGI middleware, outside every route and dependency: a request whose ``Content-Length`` is over
the limit is answered 413 at once, without reading a byte of its body; a chunked body (no length
given) is counted as it arrives, and the 413 is sent the moment it passes the limit. Either way the
server never holds more than the limit of one request's body, and an anonymous client cannot make it
read more. The Web Connector endpoint has a limit of its own (``QBBRIDGE_MAX_SOAP_BODY_BYTES``) and is
left to it.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _size(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit} bytes ({limit // (1024 * 1024)} MiB)"
    return f"{limit} bytes"


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int, exempt_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt_paths = exempt_paths
        self._refusal = json.dumps(
            {
                "detail": f"The request body is larger than the limit of {_size(max_bytes)} "
                "(QBBRIDGE_MAX_API_BODY_BYTES): send less at once, e.g. fewer products per inventory send."
            }
        ).encode()

    async def _refuse(self, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(self._refusal)).encode()),
                    # The rest of the body is not read; the connection cannot carry another request.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": self._refusal})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt_paths:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send)
            return

        received = 0
        refused = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(send)
                    # To the application the client is gone: it stops reading, and what it would
                    # answer is dropped below.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, guarded_send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() else None
    return None
