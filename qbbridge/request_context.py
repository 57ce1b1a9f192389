"""What a log line says about the request it was written for: the request id, and the tenant and job
its admin route names.

``X-Request-ID`` is taken from the request when it carries a usable one (1 to 128 printable ASCII
characters, no spaces: a proxy's or a client's own id, so one id follows a call through every
system), otherwise generated; either way it is returned in the answer's ``X-Request-ID`` and put on
every log line written while the request is served (asgi-correlation-id). A value that is not usable
is replaced, never logged (it could be anything the client chose).

The tenant and the job come from the route's path parameters (``{tenant_id}``, ``{job_id}``), which
routing fills into the request's scope: ``RequestScope`` keeps that scope at hand for the log lines.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware
from asgi_correlation_id.context import correlation_id
from starlette.types import ASGIApp, Receive, Scope, Send

HEADER = "X-Request-ID"
MAX_REQUEST_ID_CHARS = 128
_PATH_FIELDS = {"tenant_id": "tenant_id", "job_id": "job_id"}

_scope: ContextVar[Scope | None] = ContextVar("qbbridge_request_scope", default=None)


def usable_request_id(value: str) -> bool:
    return 0 < len(value) <= MAX_REQUEST_ID_CHARS and all(0x21 <= ord(char) <= 0x7E for char in value)


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestScope:
    """Keeps the request's scope where the log lines find it, for as long as the request is served."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _scope.set(scope)
        try:
            await self.app(scope, receive, send)
        finally:
            _scope.reset(token)


def current() -> dict[str, str]:
    """The request id, tenant and job of the request being served (empty outside a request)."""
    found: dict[str, str] = {}
    request_id = correlation_id.get()
    if request_id:
        found["request_id"] = request_id
    scope = _scope.get()
    if scope is not None:
        params: dict[str, Any] = scope.get("path_params") or {}
        for param, field in _PATH_FIELDS.items():
            if param in params:
                found[field] = str(params[param])
    return found


def _correlation_options() -> dict[str, Any]:
    return {
        "header_name": HEADER,
        "update_request_header": True,
        "generator": new_request_id,
        "validator": usable_request_id,
    }


def install(app: Any) -> None:
    """Outermost middleware of ``app``: the id first, so everything after it (the access log too)
    carries it."""
    app.add_middleware(RequestScope)
    app.add_middleware(CorrelationIdMiddleware, **_correlation_options())


def wrap(app: ASGIApp) -> ASGIApp:
    """``app`` inside the same two middlewares, for an application served apart from the one
    ``install`` was given (the Web Connector's endpoint, ``qbbridge/app.py``)."""
    return CorrelationIdMiddleware(RequestScope(app), **_correlation_options())
