"""What the Web Connector is told when qbbridge's database is unavailable for a moment.

Each callback runs in one transaction; when the database stops answering (a restart, a connection
lost in the middle of a call) that transaction is rolled back, so nothing half-done is kept. The
connector then gets an answer of its protocol rather than a SOAP fault (which it shows as an error
and may retry in a loop):

- ``clientVersion``: ``""`` (go on); the version is remembered at the next call that reaches the
  database.
- ``authenticate``: ``["", "busy"]``: the connector shows "Application Busy" and tries again at its
  next scheduled run.
- ``sendRequestXML``: ``""``, then ``NoOp`` from ``getLastError``: the connector waits 5 seconds and
  asks again, up to ``MAX_OUTAGE_WAITS`` times (a restart takes seconds); nothing was handed out.
- ``receiveResponseXML``: ``-1``, and ``getLastError`` says the answer could not be recorded. The
  request stays in flight for the session, which then ends; like any lost answer, it is looked for in
  QuickBooks before anything is sent again (docs/qbwc.md, "Settling a request").
- ``getLastError``, ``connectionError``, ``closeConnection``: a message, ``done``, a status line.

Which ticket is waiting for the database is kept in this process only (a small table, by the ticket's
digest): the database is the one place that cannot say so.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar, cast

from db import secrets as secret_values
from db.engine import Database, describe_failure, is_unavailable
from db.models import utcnow
from qbwc.options import ServiceOptions
from qbwc.service import WebConnectorService

log = logging.getLogger("qbbridge.qbwc")

T = TypeVar("T")
P = ParamSpec("P")

# NoOps a session may spend waiting for the database: 5 seconds each, so a minute.
MAX_OUTAGE_WAITS = 12
# How long a ticket is remembered here after its last call that could not reach the database.
REMEMBER_SECONDS = 600.0
REMEMBER_TICKETS = 10_000

SEND_FAILED = "send"
RECEIVE_FAILED = "receive"

DATABASE_DOWN = (
    "qbbridge cannot reach its database right now (it may be restarting). Nothing was lost; "
    "the next update will continue."
)
ANSWER_NOT_RECORDED = (
    "qbbridge could not record QuickBooks' last answer: its database was unavailable for a moment. "
    "Nothing is sent twice: that request is checked in QuickBooks (or kept for review) before the "
    "next update continues."
)
CLOSED_DURING_OUTAGE = (
    "qbbridge: the update stopped while qbbridge's database was unavailable; the next one continues."
)


class _OutageTickets:
    """Tickets whose last call could not reach the database, and how many waits each has had."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.entries: dict[str, tuple[str, int, float]] = {}

    def record(self, ticket: str | None, failure: str) -> None:
        if not ticket:
            return
        key = secret_values.digest(ticket)
        _, waits, _ = self.entries.get(key, (failure, 0, 0.0))
        if len(self.entries) >= REMEMBER_TICKETS:
            self.entries.clear()
        self.entries[key] = (failure, waits, self.clock())

    def take(self, ticket: str | None) -> tuple[str, int] | None:
        """The failure remembered for this ticket (and the waits so far), counting one more wait."""
        if not ticket:
            return None
        key = secret_values.digest(ticket)
        entry = self.entries.get(key)
        if entry is None or self.clock() - entry[2] > REMEMBER_SECONDS:
            self.entries.pop(key, None)
            return None
        failure, waits, seen = entry
        self.entries[key] = (failure, waits + 1, seen)
        return failure, waits

    def forget(self, ticket: str | None) -> None:
        if ticket and self.entries:
            self.entries.pop(secret_values.digest(ticket), None)


def _guarded(
    method: Callable[Concatenate[WebConnectorService, P], T],
    callback: str,
    fallback: T,
    failure: str | None = None,
) -> Callable[Concatenate[OutageTolerantService, P], T]:
    """``method`` answering ``fallback`` when the database is unavailable. With ``failure``, whose
    first argument is the ticket, the failure is remembered for that ticket and a success forgets it."""

    def call(self: OutageTolerantService, *args: P.args, **kwargs: P.kwargs) -> T:
        result, failed = self._guard(callback, lambda: method(self, *args, **kwargs), fallback)
        if failure is not None:
            ticket = cast("str | None", args[0] if args else kwargs.get("ticket"))
            if failed:
                self.outages.record(ticket, failure)
            else:
                self.outages.forget(ticket)
        return result

    return functools.wraps(method)(call)


class OutageTolerantService(WebConnectorService):
    """``WebConnectorService`` whose callbacks answer within the protocol when the database is down."""

    def __init__(
        self, database: Database, options: ServiceOptions, *, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        super().__init__(database, options, clock=clock)
        self.outages = _OutageTickets()

    def _guard(self, callback: str, call: Callable[[], T], fallback: T) -> tuple[T, bool]:
        """The call's result, or ``fallback`` when the database is unavailable (then True)."""
        try:
            return call(), False
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            log.warning("%s: the database is unavailable (%s)", callback, describe_failure(exc))
            return fallback, True

    # The callbacks that simply answer within the protocol when the database is down: the method of
    # WebConnectorService, the callback's name for the log, and the fallback answer. sendRequestXML and
    # receiveResponseXML also remember the failure for getLastError.
    client_version = _guarded(WebConnectorService.client_version, "clientVersion", "")
    authenticate = _guarded(WebConnectorService.authenticate, "authenticate", ["", "busy"])
    send_request_xml = _guarded(WebConnectorService.send_request_xml, "sendRequestXML", "", SEND_FAILED)
    receive_response_xml = _guarded(
        WebConnectorService.receive_response_xml, "receiveResponseXML", -1, RECEIVE_FAILED
    )
    connection_error = _guarded(WebConnectorService.connection_error, "connectionError", "done")

    def get_last_error(self, ticket: str | None) -> str:
        remembered = self.outages.take(ticket)
        if remembered is not None:
            failure, waits = remembered
            if failure == RECEIVE_FAILED:
                self.outages.forget(ticket)
                return ANSWER_NOT_RECORDED
            if waits < MAX_OUTAGE_WAITS:
                return "NoOp"
            self.outages.forget(ticket)
            return DATABASE_DOWN
        call = super().get_last_error
        return self._guard("getLastError", lambda: call(ticket), DATABASE_DOWN)[0]

    def close_connection(self, ticket: str | None) -> str:
        self.outages.forget(ticket)
        call = super().close_connection
        return self._guard("closeConnection", lambda: call(ticket), CLOSED_DURING_OUTAGE)[0]
