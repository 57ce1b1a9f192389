"""Where the metrics are observed: around the Web Connector service, and around every HTTP request
that is not a Web Connector call. Thin wrappers, so the protocol and the admin API know nothing of
them (``qbbridge/app.py`` puts them in place)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.contextvars import bound_contextvars

from db import secrets as secret_values
from qbbridge import metrics

# The service's Python methods and the Web Connector's names for them.
_METHODS = {
    "server_version": "serverVersion",
    "client_version": "clientVersion",
    "authenticate": "authenticate",
    "send_request_xml": "sendRequestXML",
    "receive_response_xml": "receiveResponseXML",
    "connection_error": "connectionError",
    "get_last_error": "getLastError",
    "close_connection": "closeConnection",
}


def call_outcome(method: str, answer: Any) -> str:
    """A few words for what the answer told the connector, from the answer alone (never its text)."""
    if method == "authenticate":
        second = answer[1] if isinstance(answer, list) and len(answer) > 1 else ""
        if second == "nvu":
            return "refused"
        if second == "busy":
            return "busy"
        return "no_work" if second == "none" else "work"
    if method == "sendRequestXML":
        return "request" if answer else "nothing"
    if method == "receiveResponseXML":
        if not isinstance(answer, int) or answer < 0:
            return "error"
        return "done" if answer >= 100 else "more"
    if method == "clientVersion":
        text = answer or ""
        return {"W:": "warning", "E:": "refused"}.get(text[:2], "ok")
    if method == "getLastError":
        return "wait" if answer == "NoOp" else "message"
    if method == "connectionError":
        return "done" if answer == "done" else "next_company_file"
    return "ok"


class MeteredService:
    """The Web Connector service with each callback counted (method, outcome) and timed.

    Every other attribute is the service's own. A callback that raises counts as ``fault`` (Spyne
    answers a SOAP fault) and the exception goes on.
    """

    def __init__(self, service: Any) -> None:
        self._service = service

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._service, name)
        method = _METHODS.get(name)
        if method is None or not callable(target):
            return target
        return _metered(method, target)


# The callbacks whose first argument is the session's ticket.
_TICKET_FIRST = frozenset(
    {"sendRequestXML", "receiveResponseXML", "getLastError", "connectionError", "closeConnection"}
)
SESSION_ID_CHARS = 12


def session_label(ticket: object) -> str | None:
    """What log lines call a Web Connector session: the start of its ticket's digest (the sessions
    table keeps the digest, ``ticket_digest``), never the ticket, which is a password for the session."""
    if not isinstance(ticket, str) or not ticket:
        return None
    return secret_values.digest(ticket)[:SESSION_ID_CHARS]


def _metered(method: str, target: Callable[..., Any]) -> Callable[..., Any]:
    calls = metrics.WEB_CONNECTOR_CALLS
    seconds = metrics.WEB_CONNECTOR_CALL_SECONDS.labels(method=method)
    takes_ticket = method in _TICKET_FIRST

    def call(*args: Any, **kwargs: Any) -> Any:
        label = session_label(args[0] if args else kwargs.get("ticket")) if takes_ticket else None
        started = time.perf_counter()
        try:
            if label is None:
                answer = target(*args, **kwargs)
            else:
                with bound_contextvars(wc_session=label):
                    answer = target(*args, **kwargs)
        except Exception:
            calls.labels(method=method, outcome="fault").inc()
            raise
        finally:
            seconds.observe(time.perf_counter() - started)
        outcome = call_outcome(method, answer)
        calls.labels(method=method, outcome=outcome).inc()
        if method == "authenticate" and outcome == "refused":
            metrics.AUTHENTICATE_FAILURES.inc()
        return answer

    return call


UNMATCHED = "(unmatched)"


class AdminRequestMetrics:
    """Counts and times every HTTP request but the Web Connector's, by route template (``/api/v1/jobs/
    {job_id}``, never the path itself: one series per route, whatever the ids), method and status."""

    def __init__(self, app: ASGIApp, *, skip_paths: frozenset[str]) -> None:
        self.app = app
        self.skip_paths = skip_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.skip_paths:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def observe_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observe_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            metrics.ADMIN_REQUESTS.labels(route=route, method=scope["method"], status=str(status)).inc()
            metrics.ADMIN_REQUEST_SECONDS.labels(route=route).observe(time.perf_counter() - started)
