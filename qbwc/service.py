"""The Web Connector protocol, as a plain class that knows nothing of SOAP or HTTP.

Each public method is one Web Connector callback with its documented arguments and return value
(see docs/qbwc.md). Every call runs in its own database transaction and keeps no state in memory,
so any process of the service can answer any call of a session.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import queue
from db import secrets as secret_values
from db import tenants as tenant_repo
from db.engine import Database
from db.models import Job, Step, Tenant, WcSession, utcnow
from db.states import SessionState, StepState
from mapping.explain import explain_hresult
from mapping.host import describe_host
from mapping.steps import HostContext, Outcome, RenderError, render_step, settle_hresult, settle_response
from qbwc.versions import DEFAULT_QBXML_VERSION, MAX_QBXML_VERSION, lower_version, version_tuple

log = logging.getLogger("qbbridge.qbwc")

SERVER_VERSION = "qbbridge 0.1.0"
INVALID_USER = "nvu"
NO_WORK = "none"

# QuickBooks itself is unusable for the rest of the session after these; stop instead of failing
# every queued request in turn.
_SESSION_FATAL_HRESULTS = frozenset({"0x80040408", "0x80040420", "0x80040401", "0x8004041d"})
# How many 5-second waits (NoOp) a session may spend on work that is about to become ready.
MAX_WAITS = 6
WAIT_HORIZON = dt.timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class ServiceOptions:
    session_timeout: dt.timedelta = dt.timedelta(minutes=30)
    min_client_version: str = "2.1.0.30"
    auth_failure_limit: int = 5
    auth_failure_window: dt.timedelta = dt.timedelta(minutes=15)


class WebConnectorService:
    def __init__(
        self, database: Database, options: ServiceOptions, *, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self.database = database
        self.options = options
        self.clock = clock

    # --- serverVersion / clientVersion ---------------------------------------------------------

    def server_version(self, str_version: str | None = None) -> str:
        return SERVER_VERSION

    def client_version(self, str_version: str | None, *, client_address: str | None = None) -> str:
        """``""`` to go on; ``W:`` (a warning the user may click through) below the minimum version."""
        if not str_version or not str_version.strip():
            return ""
        if client_address:
            # clientVersion carries no username or ticket; remember it by address so the
            # authenticate that follows from the same address can put it on the tenant.
            with self.database.transaction() as session:
                tenant_repo.remember_client_version(
                    session, client_address, str_version.strip()[:64], self.clock()
                )
        if version_tuple(str_version) < version_tuple(self.options.min_client_version):
            return (
                f"W:This QuickBooks Web Connector ({str_version.strip()}) is older than "
                f"{self.options.min_client_version}, the oldest version qbbridge is tested with. "
                "Please update the Web Connector from Intuit's download page."
            )
        return ""

    # --- authenticate --------------------------------------------------------------------------

    def authenticate(
        self, username: str | None, password: str | None, *, client_address: str | None = None
    ) -> list[str]:
        """``["", "nvu"]`` for bad credentials; ``[ticket, "none"]`` or ``[ticket, company file]``."""
        if not username or not password:
            return ["", INVALID_USER]
        now = self.clock()
        with self.database.transaction() as session:
            if tenant_repo.is_throttled(session, username, now):
                log.warning("authenticate refused: too many failed logins for this username")
                return ["", INVALID_USER]
            tenant = tenant_repo.find_by_username(session, username)
            if tenant is None or not secret_values.matches(password, tenant.token_digest):
                tenant_repo.record_failed_login(
                    session,
                    username,
                    now,
                    limit=self.options.auth_failure_limit,
                    window=self.options.auth_failure_window,
                )
                log.info("authenticate refused: unknown username or wrong token")
                return ["", INVALID_USER]
            tenant_repo.clear_failed_logins(session, username)
            queue.expire_stale_sessions(
                session, tenant_id=tenant.id, cutoff=now - self.options.session_timeout, now=now
            )
            ticket = secret_values.new_secret(24)
            client_version = (
                tenant_repo.recall_client_version(session, client_address, now) if client_address else None
            )
            if client_version:
                tenant.qbwc_version = client_version
            session.add(
                WcSession(
                    client_version=client_version,
                    tenant_id=tenant.id,
                    ticket_digest=secret_values.digest(ticket),
                    state=SessionState.OPEN,
                    created_at=now,
                    last_seen_at=now,
                    steps_done=0,
                    waits=0,
                )
            )
            tenant.last_contact_at = now
            has_work = queue.count_runnable(session, tenant_id=tenant.id, now=now) > 0
            return [ticket, tenant.company_file or ""] if has_work else [ticket, NO_WORK]

    # --- sendRequestXML ------------------------------------------------------------------------

    def send_request_xml(
        self,
        ticket: str | None,
        hcp_response: str | None,
        company_file: str | None,
        country: str | None,
        major_version: int | None,
        minor_version: int | None,
    ) -> str:
        """The next qbXML request for this session, or ``""`` (then ``getLastError`` says why)."""
        now = self.clock()
        with self.database.transaction() as session:
            wc_session = self._open_session(session, ticket, now)
            if wc_session is None:
                return ""
            tenant = session.get(Tenant, wc_session.tenant_id)
            assert tenant is not None
            self._note_host(
                wc_session, tenant, hcp_response, company_file, country, major_version, minor_version, now
            )
            # One request at a time per session: a new request while one is out means the earlier
            # answer was lost, so its outcome is unknown.
            queue.orphan_in_flight(
                session, session_id=wc_session.id, reason="the Web Connector asked for more work", now=now
            )
            host = HostContext(
                qbxml_version=wc_session.qbxml_version or DEFAULT_QBXML_VERSION,
                country=wc_session.country or tenant.qb_country or "US",
            )
            while True:
                step = queue.claim_next_step(session, tenant_id=tenant.id, session_id=wc_session.id, now=now)
                if step is None:
                    return self._nothing_to_send(session, wc_session, tenant, now)
                try:
                    rendered = render_step(step, host)
                except RenderError as exc:
                    step.error = str(exc)
                    queue.finish_step(session, step, StepState.FAILED, now=now)
                    continue
                step.request = rendered.xml
                step.request_ids = rendered.request_ids
                wc_session.wait_requested = False
                return rendered.xml

    def _nothing_to_send(
        self, session: Session, wc_session: WcSession, tenant: Tenant, now: dt.datetime
    ) -> str:
        if (
            wc_session.waits < MAX_WAITS
            and queue.count_runnable(session, tenant_id=tenant.id, now=now + WAIT_HORIZON) > 0
        ):
            # Work becomes ready within seconds (a short retry delay): ask the connector to wait.
            wc_session.wait_requested = True
            wc_session.waits += 1
            return ""
        wc_session.last_error = "qbbridge has nothing more to send. The update is complete."
        return ""

    def _note_host(
        self,
        wc_session: WcSession,
        tenant: Tenant,
        hcp_response: str | None,
        company_file: str | None,
        country: str | None,
        major_version: int | None,
        minor_version: int | None,
        now: dt.datetime,
    ) -> None:
        if company_file:
            wc_session.company_file = company_file
        if country:
            wc_session.country = country.strip().upper()
        if major_version:
            reported = f"{int(major_version)}.{int(minor_version or 0)}"
            wc_session.qbxml_version = lower_version(reported, MAX_QBXML_VERSION)
        if hcp_response and not wc_session.hcp_received:
            wc_session.hcp_received = True
            tenant.host_info = {"raw": hcp_response[:200_000]}
            tenant.host_info_at = now
            tenant.connected_company_file = wc_session.company_file
            tenant.qb_country = wc_session.country
            tenant.qbxml_version = (
                f"{int(major_version or 0)}.{int(minor_version or 0)}" if major_version else None
            )
            tenant.qbwc_version = wc_session.client_version or tenant.qbwc_version
            described = describe_host(hcp_response)
            tenant.qb_product = described.product or tenant.qb_product
            tenant.supported_qbxml_versions = described.supported_versions or tenant.supported_qbxml_versions
            if described.country and not tenant.qb_country:
                tenant.qb_country = described.country
        tenant.last_contact_at = now

    # --- receiveResponseXML --------------------------------------------------------------------

    def receive_response_xml(
        self, ticket: str | None, response: str | None, hresult: str | None, message: str | None
    ) -> int:
        """0–99 while work remains, 100 when none remains, negative when the session must stop."""
        now = self.clock()
        with self.database.transaction() as session:
            wc_session = self._find_session(session, ticket)
            if wc_session is None:
                return 100
            if wc_session.state != SessionState.OPEN or self._is_stale(wc_session, now):
                if wc_session.state == SessionState.OPEN:
                    queue.end_session(
                        session, wc_session, state=SessionState.EXPIRED, reason="it timed out", now=now
                    )
                # A late answer still tells us what QuickBooks did with a request we gave up on.
                self._settle_late_answer(session, wc_session, response, hresult, message, now)
                return 100
            wc_session.last_seen_at = now
            step = queue.in_flight_step(session, session_id=wc_session.id)
            if step is None:
                wc_session.last_error = (
                    "qbbridge received an answer from QuickBooks it was not waiting for; nothing was changed."
                )
                return -1
            if hresult and hresult.strip():
                outcome = settle_hresult(step, hresult.strip(), message or "")
            else:
                outcome = settle_response(step, response or "")
            self._apply(session, step, response, outcome, now)
            wc_session.steps_done += 1
            if outcome.hresult and outcome.hresult.lower() in _SESSION_FATAL_HRESULTS:
                wc_session.last_error = outcome.error
                return -1
            remaining = queue.count_runnable(session, tenant_id=wc_session.tenant_id, now=now)
            if remaining == 0:
                return 100
            return min(99, (100 * wc_session.steps_done) // (wc_session.steps_done + remaining))

    def _apply(
        self, session: Session, step: Step, response: str | None, outcome: Outcome, now: dt.datetime
    ) -> None:
        step.response = response or None
        step.status_code = outcome.status_code
        step.status_severity = outcome.status_severity
        step.status_message = outcome.status_message
        step.hresult = outcome.hresult
        step.error = outcome.error
        step.result = outcome.result
        job = session.get(Job, step.job_id)
        if job is not None and outcome.warnings:
            job.warnings = [*job.warnings, *outcome.warnings]
        if outcome.retry:
            queue.requeue_step(session, step, not_before=now + _retry_delay(step.attempts), now=now)
        else:
            queue.finish_step(session, step, outcome.state, now=now)

    def _settle_late_answer(
        self,
        session: Session,
        wc_session: WcSession,
        response: str | None,
        hresult: str | None,
        message: str | None,
        now: dt.datetime,
    ) -> None:
        step = session.scalars(
            select(Step)
            .where(Step.session_id == wc_session.id, Step.state == StepState.UNKNOWN_OUTCOME)
            .order_by(Step.claimed_at.desc())
        ).first()
        if step is None or (hresult and hresult.strip()) or not response:
            return
        outcome = settle_response(step, response)
        if outcome.state == StepState.SUCCEEDED or outcome.status_code is not None:
            outcome.retry = False
            self._apply(session, step, response, outcome, now)

    # --- connectionError / getLastError / closeConnection ----------------------------------------

    def connection_error(self, ticket: str | None, hresult: str | None, message: str | None) -> str:
        now = self.clock()
        with self.database.transaction() as session:
            wc_session = self._find_session(session, ticket)
            if wc_session is not None:
                tenant = session.get(Tenant, wc_session.tenant_id)
                text = explain_connection_error(hresult or "", message or "")
                if tenant is not None:
                    tenant.last_connection_error = text
                    tenant.last_connection_error_at = now
                if wc_session.state == SessionState.OPEN:
                    wc_session.last_error = text
                    queue.end_session(
                        session,
                        wc_session,
                        state=SessionState.CLOSED,
                        reason="QuickBooks could not be opened",
                        now=now,
                    )
        return "done"

    def get_last_error(self, ticket: str | None) -> str:
        now = self.clock()
        with self.database.transaction() as session:
            wc_session = self._find_session(session, ticket)
            if wc_session is None:
                return (
                    "This Web Connector session is not known to qbbridge (it may have expired). "
                    "Nothing was lost; the next update will continue."
                )
            if wc_session.state == SessionState.OPEN and wc_session.wait_requested:
                wc_session.wait_requested = False
                wc_session.last_seen_at = now
                return "NoOp"
            if wc_session.state != SessionState.OPEN and not wc_session.last_error:
                return (
                    f"This Web Connector session has ended ({wc_session.close_reason or 'closed'}). "
                    "Nothing was lost; the next update will continue."
                )
            return wc_session.last_error or "qbbridge has nothing more to send. The update is complete."

    def close_connection(self, ticket: str | None) -> str:
        now = self.clock()
        with self.database.transaction() as session:
            wc_session = self._find_session(session, ticket)
            if wc_session is None:
                return "qbbridge: this session had already ended."
            if wc_session.state == SessionState.OPEN:
                queue.end_session(
                    session,
                    wc_session,
                    state=SessionState.CLOSED,
                    reason="the Web Connector closed it",
                    now=now,
                )
            done = wc_session.steps_done
            return f"qbbridge: update complete, {done} request{'s' if done != 1 else ''} processed."

    # --- sessions ------------------------------------------------------------------------------

    def _find_session(self, session: Session, ticket: str | None) -> WcSession | None:
        if not ticket:
            return None
        return session.scalars(
            select(WcSession).where(WcSession.ticket_digest == secret_values.digest(ticket))
        ).first()

    def _is_stale(self, wc_session: WcSession, now: dt.datetime) -> bool:
        return wc_session.last_seen_at < now - self.options.session_timeout

    def _open_session(self, session: Session, ticket: str | None, now: dt.datetime) -> WcSession | None:
        wc_session = self._find_session(session, ticket)
        if wc_session is None or wc_session.state != SessionState.OPEN:
            return None
        if self._is_stale(wc_session, now):
            queue.end_session(session, wc_session, state=SessionState.EXPIRED, reason="it timed out", now=now)
            return None
        wc_session.last_seen_at = now
        return wc_session


def _retry_delay(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=min(30, 2 ** max(0, attempts - 1)))


def explain_connection_error(hresult: str, message: str) -> str:
    return "The Web Connector could not open QuickBooks: " + explain_hresult(hresult, message)
