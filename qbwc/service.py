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

from sqlalchemy.orm import Session

from db import login_throttle, queue, sessions
from db import secrets as secret_values
from db import tenants as tenant_repo
from db.engine import Database
from db.models import Job, Tenant, WcSession, utcnow
from db.outcome_log import one_line
from db.states import JobStatus, SessionState, StepState
from mapping import retrieval
from mapping.explain import explain_connection_error, explain_hresult
from mapping.host import DEFAULT_QBXML_VERSION, HostInfo, describe_host, host_version
from mapping.rendering import SHARED_KIND, HostContext, render_message
from mapping.retrieval_pages import DEFAULT_SOAP_BODY_LIMIT
from mapping.settling import settle_answer
from mapping.steps import apply_outcome
from qbwc import arguments, onboarding
from qbwc.versions import version_tuple

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
    # Failed logins per user name and address, and per address across user names, within the window
    # (db/login_throttle.py).
    auth_failure_limit: int = 5
    auth_address_failure_limit: int = 30
    auth_failure_window: dt.timedelta = dt.timedelta(minutes=15)
    # The Web Connector runs one session per application at a time, so a new authenticate means an
    # older session of the same tenant that has been silent this long is over (its connector died).
    supersede_after: dt.timedelta = dt.timedelta(seconds=60)
    # How many typed requests of different jobs may travel in one message set (docs/qbwc.md); 1 sends
    # each alone.
    requests_per_message: int = 10
    # QBBRIDGE_MAX_SOAP_BODY_BYTES, the largest answer the endpoint reads: retrieval pages are sized
    # against it (mapping.retrieval_pages).
    max_soap_body_bytes: int = DEFAULT_SOAP_BODY_LIMIT


def progress_percent(done: int, planned: int) -> int:
    """What ``receiveResponseXML`` reports while work remains: the answers so far against what was
    waiting when the session started. Work queued during the session, and retried requests, can take
    ``done`` to the plan and past it; at least one more request is then known to remain, so the
    estimate becomes ``done / (done + 1)``, below 100 % (which ends the session: it is only returned
    when nothing remains)."""
    return min(99, (100 * done) // max(planned, done + 1))


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
        """``""`` to go on; ``W:`` (a warning the user may click through) below the minimum version,
        or for a version that cannot be read (then nothing is remembered)."""
        if not str_version or not str_version.strip():
            return ""
        version = arguments.client_version(str_version)
        if version is None:
            return (
                "W:qbbridge could not read the version this QuickBooks Web Connector reported, so it "
                "cannot tell whether it is one qbbridge is tested with. If updates fail, install the "
                "current Web Connector from Intuit's download page."
            )
        text = ".".join(str(part) for part in version)
        if client_address:
            # clientVersion carries no username or ticket; remember it by address so the
            # authenticate that follows from the same address can put it on the tenant.
            with self.database.transaction() as session:
                tenant_repo.remember_client_version(session, client_address, text, self.clock())
        if version < version_tuple(self.options.min_client_version):
            return (
                f"W:This QuickBooks Web Connector ({text}) is older than "
                f"{self.options.min_client_version}, the oldest version qbbridge is tested with. "
                "Please update the Web Connector from Intuit's download page."
            )
        return ""

    # --- authenticate --------------------------------------------------------------------------

    def authenticate(
        self, username: str | None, password: str | None, *, client_address: str | None = None
    ) -> list[str]:
        """``["", "nvu"]`` for bad credentials; ``[ticket, "none"]`` or ``[ticket, company file]``."""
        # A user name or password no tenant can have is refused without a look at the database.
        username, password = arguments.username(username), arguments.password(password)
        if not username or not password:
            return ["", INVALID_USER]
        now = self.clock()
        address = login_throttle.address_key(client_address)
        where = address or "an unknown address"
        with self.database.transaction() as session:
            if login_throttle.is_blocked(session, username, address, now):
                log.warning("authenticate refused from %s: too many failed logins", where)
                return ["", INVALID_USER]
            # Locked until the session is stored: a token rotation waits for it (and then ends it),
            # or this waits for the rotation (and then checks the new token), never both missing it.
            tenant = tenant_repo.find_by_username(session, username, lock=True)
            if tenant is None or not secret_values.matches(password, tenant.token_digest):
                counted = login_throttle.record_failure(
                    session, username, address, now, rule=self._throttle_rule()
                )
                if tenant is not None:
                    # The connector is installed and knows the user name (the setup checklist).
                    tenant_repo.note_failed_login(tenant, now=now)
                # The user name itself is not logged: a person may type a password into that field.
                who = f"tenant {tenant.id}" if tenant is not None else "an unknown user name"
                log.info("authenticate refused for %s from %s: wrong token", who, where)
                minutes = int(self.options.auth_failure_window.total_seconds() // 60)
                if counted.address_blocked:
                    log.warning(
                        "logins from %s are refused, whatever the user name, for %d minutes after %d "
                        "failed attempts",
                        where,
                        minutes,
                        counted.address_failures,
                    )
                elif counted.blocked:
                    log.warning(
                        "logins as %s from %s are refused for %d minutes after %d failed attempts",
                        who,
                        where,
                        minutes,
                        counted.failures,
                    )
                return ["", INVALID_USER]
            login_throttle.clear_failures(session, username, address)
            if tenant.disabled_at is None:
                retrieval.schedule_automatic(session, tenant, now=now)
            idle_since = now - min(self.options.session_timeout, self.options.supersede_after)
            if queue.has_idle_sessions(session, tenant_id=tenant.id, idle_since=idle_since):
                queue.expire_stale_sessions(
                    session, tenant_id=tenant.id, cutoff=now - self.options.session_timeout, now=now
                )
                queue.supersede_sessions(
                    session, tenant_id=tenant.id, idle_since=now - self.options.supersede_after, now=now
                )
            ticket = secret_values.new_secret(24)
            client_version = (
                tenant_repo.recall_client_version(session, client_address, now) if client_address else None
            )
            tenant_repo.note_contact(tenant, now=now, client_version=client_version)
            disabled = tenant.disabled_at is not None
            if disabled:
                # No work and a plain reason, which closeConnection gives the Web Connector to show.
                has_work, company = False, None
            else:
                has_work = queue.has_runnable(session, tenant_id=tenant.id, now=now)
                company = onboarding.company_to_open(session, tenant, has_work=has_work)
            session.add(
                WcSession(
                    client_version=client_version,
                    tenant_id=tenant.id,
                    ticket_digest=secret_values.digest(ticket),
                    # A disabled tenant's session is over as soon as it starts: nothing can be claimed.
                    state=SessionState.CLOSED if disabled else SessionState.OPEN,
                    closed_at=now if disabled else None,
                    close_reason="the tenant is disabled" if disabled else None,
                    created_at=now,
                    last_seen_at=now,
                    steps_done=0,
                    planned_steps=queue.count_queued(session, tenant_id=tenant.id) if has_work else 0,
                    waits=0,
                    requested_company_file=company or None,
                    refusal=onboarding.Refusal.DISABLED.value if disabled else None,
                    last_error=onboarding.disabled_message(tenant) if disabled else None,
                )
            )
            return [ticket, company] if company is not None else [ticket, NO_WORK]

    def _throttle_rule(self) -> login_throttle.ThrottleRule:
        return login_throttle.ThrottleRule(
            limit=self.options.auth_failure_limit,
            address_limit=self.options.auth_address_failure_limit,
            window=self.options.auth_failure_window,
        )

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
        ticket = arguments.ticket(ticket)
        if ticket is None:
            return ""
        try:
            reported = arguments.qbxml_version(major_version, minor_version)
            company_file = arguments.company_file(company_file)
            country = arguments.country(country)
        except arguments.ArgumentError as exc:
            self._refuse(
                ticket,
                f"qbbridge sent nothing to QuickBooks: the Web Connector's {exc}, which QuickBooks never "
                "reports. Install the current QuickBooks Web Connector, then run the update again.",
                now,
            )
            return ""
        # The first call of a session carries the host's description (strHCPResponse), with every
        # qbXML version it supports; later calls carry only the level the Web Connector reports.
        described = describe_host(hcp_response) if hcp_response else None
        decided = host_version(
            reported=reported,
            listed=described.supported_versions if described else (),
            product=described.product_name if described else None,
        )
        with self.database.transaction() as session:
            touch = sessions.touch_params(
                secret_values.digest(ticket),
                now=now,
                cutoff=now - self.options.session_timeout,
                company_file=company_file,
                country=country,
                qbxml_version=decided.version,
            )
            if hcp_response and self._refuse_company(session, touch, company_file, now):
                return ""
            if decided.refusal is not None:
                return self._refuse_host(
                    session, touch, hcp_response, described, reported, decided.refusal, now
                )
            # Touch, orphan what the session left unanswered, claim: one batch (see queue.start_send).
            start = queue.start_send(session, touch, orphan_reason="the Web Connector asked for more work")
            wc_row = start.session
            if wc_row is None:
                self._end_if_expired(session, touch["ticket_digest"], now)
                return ""
            for job_id in start.orphaned_job_ids:
                queue.refresh_job(session, job_id, now=now)
            if hcp_response and not wc_row.hcp_received:
                self._record_host(session, wc_row, hcp_response, described, reported, now)
            host = HostContext(
                qbxml_version=wc_row.qbxml_version or DEFAULT_QBXML_VERSION,
                country=wc_row.country or "US",
                session_id=wc_row.id,
                soap_body_limit=self.options.max_soap_body_bytes,
            )
            step = start.step
            while True:
                if step is None:
                    return self._nothing_to_send(session, wc_row, now)
                steps = [step]
                if self.options.requests_per_message > 1 and queue.shares_message(step, SHARED_KIND):
                    steps += queue.claim_companions(
                        session,
                        tenant_id=wc_row.tenant_id,
                        session_id=wc_row.id,
                        head=step,
                        now=now,
                        limit=self.options.requests_per_message - 1,
                        kind=SHARED_KIND,
                    )
                message = render_message(session, steps, host, now=now)
                for refused, why_refused in message.refused:
                    queue.finish_step(session, refused, StepState.FAILED, now=now, error=str(why_refused))
                for unknowable, why in message.unknowable:
                    queue.park_unknown(session, unknowable, now=now, error=str(why))
                if not message.sent:
                    step = queue.claim_next_step(
                        session, tenant_id=wc_row.tenant_id, session_id=wc_row.id, now=now
                    )
                    continue
                queue.mark_sent(
                    session,
                    [
                        (sent, rendered.xml, rendered.request_ids, rendered.sent_version)
                        for sent, rendered in message.sent
                    ],
                )
                if wc_row.waits:
                    sessions.set_wait(session, wc_row.id, wait=False)
                return message.xml

    def _refuse_company(
        self, session: Session, touch: dict[str, object], company_file: str | None, now: dt.datetime
    ) -> bool:
        """A session's first call: refused when its tenant was disabled or QuickBooks has another
        company file open than the tenant's (qbwc/onboarding.py). Read only here, once a session."""
        wc_session = sessions.find_session(session, str(touch["ticket_digest"]))
        if wc_session is None or wc_session.state != SessionState.OPEN or wc_session.hcp_received:
            return False
        reason = onboarding.check_company_file(session, wc_session, company_file, now)
        if reason is None:
            return False
        log.warning("sendRequestXML refused: tenant %s: %s", wc_session.tenant_id, wc_session.refusal)
        return True

    def _refuse(self, ticket: str, reason: str, now: dt.datetime) -> bool:
        """Keep ``reason`` for ``getLastError`` on the ticket's open session; whether there is one."""
        with self.database.transaction() as session:
            wc_session = sessions.find_session(session, secret_values.digest(ticket))
            if wc_session is None or wc_session.state != SessionState.OPEN:
                return False
            wc_session.last_error = reason
            wc_session.wait_requested = False
            wc_session.last_seen_at = now
            return True

    def _nothing_to_send(self, session: Session, wc_row: sessions.SessionRow, now: dt.datetime) -> str:
        if wc_row.waits < MAX_WAITS and queue.has_runnable(
            session, tenant_id=wc_row.tenant_id, now=now + WAIT_HORIZON
        ):
            # Work becomes ready within seconds (a short retry delay): ask the connector to wait.
            sessions.set_wait(session, wc_row.id, wait=True, waits=wc_row.waits + 1)
            return ""
        outcomes = queue.session_outcomes(session, session_id=wc_row.id)
        sessions.set_last_error(session, wc_row.id, end_of_work_message(outcomes))
        return ""

    def _refuse_host(
        self,
        session: Session,
        touch: dict[str, object],
        hcp_response: str | None,
        described: HostInfo | None,
        reported: str | None,
        refusal: str,
        now: dt.datetime,
    ) -> str:
        """A QuickBooks too old for qbbridge: nothing is claimed or sent, what waits stays queued, and
        ``getLastError`` gives the Web Connector the refusal to show (which QuickBooks was found and
        what qbbridge needs). The tenant's connection shows it too."""
        wc_row = sessions.touch(session, touch)
        if wc_row is None:
            self._end_if_expired(session, str(touch["ticket_digest"]), now)
            return ""
        if hcp_response and not wc_row.hcp_received:
            self._record_host(session, wc_row, hcp_response, described, reported, now)
        sessions.set_last_error(session, wc_row.id, refusal)
        tenant_repo.note_connection_error(session, wc_row.tenant_id, refusal, now=now)
        log.info("sendRequestXML refused: QuickBooks older than qbbridge supports (%s)", reported)
        return ""

    def _record_host(
        self,
        session: Session,
        wc_row: sessions.SessionRow,
        hcp_response: str,
        described: HostInfo | None,
        reported: str | None,
        now: dt.datetime,
    ) -> None:
        """The first sendRequestXML of a session says what QuickBooks the customer runs."""
        sessions.mark_host_received(session, wc_row.id)
        described = described or describe_host(hcp_response)
        tenant_repo.note_host(
            session,
            wc_row.tenant_id,
            raw=hcp_response,
            company_file=wc_row.company_file,
            company_name=described.company_name,
            country=wc_row.country or described.country,
            qbxml_version=reported,
            qbwc_version=wc_row.client_version,
            product=described.product_name,
            supported_versions=list(described.supported_versions),
            now=now,
        )

    # --- receiveResponseXML --------------------------------------------------------------------

    def receive_response_xml(
        self, ticket: str | None, response: str | None, hresult: str | None, message: str | None
    ) -> int:
        """0–99 while work remains, 100 when none remains, negative when the session must stop."""
        now = self.clock()
        ticket = arguments.ticket(ticket)
        if ticket is None:
            return 100
        try:
            hresult = arguments.hresult(hresult)
            message = arguments.message(message)
        except arguments.ArgumentError as exc:
            refused = self._refuse(
                ticket,
                f"qbbridge could not use the Web Connector's answer: its {exc}. Nothing was recorded "
                "from it; the request is handled as one whose answer was lost (see the job in qbbridge).",
                now,
            )
            return -1 if refused else 100
        with self.database.transaction() as session:
            cutoff = now - self.options.session_timeout
            digest = secret_values.digest(ticket)
            touch = sessions.touch_params(digest, now=now, cutoff=cutoff, count_step=True)
            wc_row, steps = queue.start_receive(session, touch)
            if wc_row is None:
                # Unknown, closed or expired: a late answer still tells us what QuickBooks did.
                self._settle_late_answer(session, digest, response, hresult, now)
                return 100
            if not steps:
                # Nothing was handed out that it could answer: refused like any other answer to
                # requests this session was not given.
                log.warning(
                    "receiveResponseXML refused an answer: the session had no request out "
                    "(tenant %s, session %s)",
                    wc_row.tenant_id,
                    wc_row.id,
                )
                sessions.set_last_error(
                    session,
                    wc_row.id,
                    "qbbridge received an answer from QuickBooks it was not waiting for; "
                    "nothing was changed.",
                )
                return -1
            code = (hresult or "").strip()
            fatal = code.lower() in _SESSION_FATAL_HRESULTS
            more: bool | None = None
            settlement = settle_answer(steps, response, code, message or "")
            settled = settlement.steps
            for index, (step, part, outcome) in enumerate(settled):
                last = index == len(settled) - 1
                more = apply_outcome(
                    session,
                    step,
                    part,
                    outcome,
                    now=now,
                    session_id=wc_row.id,
                    check_runnable_for=wc_row.tenant_id if last and not fatal else None,
                )
            if len(steps) > 1:
                # The touch counted one answered request; the message set carried len(steps).
                sessions.count_more_steps(session, wc_row.id, len(steps) - 1)
            if fatal:
                sessions.set_last_error(session, wc_row.id, explain_hresult(code, message or ""))
                return -1
            # A retrieval page's own responses are known only once it was stored (``apply_outcome``).
            foreign = settlement.foreign + sum(outcome.foreign for _, _, outcome in settled)
            if foreign:
                self._refuse_foreign(session, wc_row.tenant_id, wc_row.id, foreign)
                return -1
            if more is None:
                more = queue.has_runnable(session, tenant_id=wc_row.tenant_id, now=now)
            done = wc_row.steps_done + len(steps) - 1
            return progress_percent(done, wc_row.planned_steps) if more else 100

    def _refuse_foreign(self, session: Session, tenant_id: str, session_id: int, foreign: int) -> None:
        """The answer carried responses to requests this session was not handed: nothing was settled
        from them (each step without a response of its own has an unknown outcome, and is looked for
        in QuickBooks before anything is sent again). The session stops: the connector is answering
        something other than what it was given."""
        # Never the body: it is not ours to log, and may not even be QuickBooks'.
        log.warning(
            "receiveResponseXML refused %d response(s) whose requestID this session was not given "
            "(tenant %s, session %s)",
            foreign,
            tenant_id,
            session_id,
        )
        sessions.set_last_error(
            session,
            session_id,
            "The Web Connector returned an answer with responses to requests this session did not send; "
            "qbbridge ignored them. What this session had sent will be checked in QuickBooks before "
            "anything is sent again; the next update continues.",
        )

    def _settle_late_answer(
        self,
        session: Session,
        ticket_digest: str,
        response: str | None,
        hresult: str | None,
        now: dt.datetime,
    ) -> None:
        """An answer on the ticket of a session that is no longer open: it may still settle the steps
        of that session whose outcome is unknown (its connector was slow, not dead), matched by
        requestID, unless the session's trust ended with a token rotation."""
        wc_session = self._end_if_expired(session, ticket_digest, now)
        if wc_session is None:
            return
        if not self._trusted_after_rotation(session, wc_session):
            log.warning(
                "late receiveResponseXML refused: the session's token was replaced (tenant %s, session %s)",
                wc_session.tenant_id,
                wc_session.id,
            )
            return
        if (hresult and hresult.strip()) or not response:
            return
        steps = queue.latest_unknown_steps(session, session_id=wc_session.id)
        if not steps:
            return
        settlement = settle_answer(steps, response, "", "")
        if settlement.foreign:
            log.warning(
                "late receiveResponseXML: ignored %d response(s) whose requestID the session was not "
                "given (tenant %s, session %s)",
                settlement.foreign,
                wc_session.tenant_id,
                wc_session.id,
            )
        for step, part, outcome in settlement.steps:
            if outcome.status_code is not None:
                outcome.retry = False
                apply_outcome(session, step, part, outcome, now=now)
                job = session.get(Job, step.job_id)
                if job is not None and job.status in {JobStatus.QUEUED, JobStatus.IN_FLIGHT}:
                    # It has steps to go again: behind what was queued while it waited.
                    queue.requeue_at_end(session, tenant_id=wc_session.tenant_id, job_id=step.job_id)

    @staticmethod
    def _trusted_after_rotation(session: Session, wc_session: WcSession) -> bool:
        """A token rotation ends trust in every ticket issued before it: the sessions it ended
        (revoked) and any that had ended before it, whose tickets came from the replaced token."""
        if wc_session.state == SessionState.REVOKED:
            return False
        tenant = session.get(Tenant, wc_session.tenant_id)
        issued = tenant.token_created_at if tenant is not None else None
        return issued is None or wc_session.created_at >= issued

    # --- connectionError / getLastError / closeConnection ----------------------------------------

    def connection_error(self, ticket: str | None, hresult: str | None, message: str | None) -> str:
        now = self.clock()
        try:
            text = explain_connection_error(arguments.hresult(hresult), arguments.message(message))
        except arguments.ArgumentError as exc:
            text = (
                "The Web Connector could not open QuickBooks, and reported why in a form qbbridge "
                f"cannot read (its {exc}). Open QuickBooks with the company file, then run the update again."
            )
        logged: tuple[str, str] | None = None
        with self.database.transaction() as session:
            wc_session = self._find_wc_session(session, ticket)
            if (
                wc_session is not None
                and wc_session.state == SessionState.OPEN
                and onboarding.retry_with_open_file(wc_session, hresult or "")
            ):
                # Once: the file qbbridge named could not be opened; the retry with the open one
                # tells which file that is (sendRequestXML refuses it if it is another).
                wc_session.last_seen_at = now
                return ""
            if wc_session is not None:
                text += onboarding.requested_file_note(wc_session)
                logged = (wc_session.tenant_id, text)
                wc_session.refusal = onboarding.Refusal.CONNECTION_ERROR.value
                tenant_repo.note_connection_error(session, wc_session.tenant_id, text, now=now)
                if wc_session.state == SessionState.OPEN:
                    wc_session.last_error = text
                    queue.end_session(
                        session,
                        wc_session,
                        state=SessionState.CLOSED,
                        reason="QuickBooks could not be opened",
                        now=now,
                    )
        if logged is not None:
            # After the commit: the line says what was recorded. The message comes from the customer's
            # PC, so it is put on one bounded line.
            log.warning("connectionError: tenant %s: %s", logged[0], one_line(logged[1]))
        return "done"

    def get_last_error(self, ticket: str | None) -> str:
        now = self.clock()
        with self.database.transaction() as session:
            wc_session = self._find_wc_session(session, ticket)
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
            wc_session = self._find_wc_session(session, ticket)
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
            if wc_session.refusal and wc_session.last_error:
                # Refused (disabled, another company file, QuickBooks not opened): the status line
                # shows why rather than "0 requests processed".
                return wc_session.last_error
            outcomes = queue.session_outcomes(session, session_id=wc_session.id)
            return closing_status(wc_session.steps_done, outcomes)

    # --- sessions ------------------------------------------------------------------------------

    def _find_wc_session(self, session: Session, ticket: str | None) -> WcSession | None:
        ticket = arguments.ticket(ticket)
        if ticket is None:
            return None
        return sessions.find_session(session, secret_values.digest(ticket))

    def _end_if_expired(self, session: Session, ticket_digest: str, now: dt.datetime) -> WcSession | None:
        """The session of this ticket in any state (None if unknown). Called when the touch found no
        open session: one still open has been silent past the timeout, and is ended here."""
        stale = sessions.find_session(session, ticket_digest)
        if stale is not None and stale.state == SessionState.OPEN:
            queue.end_session(session, stale, state=SessionState.EXPIRED, reason="it timed out", now=now)
        return stale


# Where the bookkeeper, who sees the Web Connector, is sent when requests of an update failed: the
# person who runs the integration, who sees each job's plain-language error and what to do.
WHERE_TO_LOOK = "Your Fusion Operations admin can see why in the qbbridge job list."


def _problems(outcomes: queue.SessionOutcomes) -> list[str]:
    parts = []
    if outcomes.failed:
        parts.append(f"{outcomes.failed} failed")
    if outcomes.unknown:
        parts.append(f"{outcomes.unknown} may not have been saved")
    return parts


def closing_status(processed: int, outcomes: queue.SessionOutcomes) -> str:
    """``closeConnection``'s text, which the Web Connector shows on its status line: how many
    requests QuickBooks answered, and how many of the session's requests failed or may not have
    been saved, with where to look."""
    requests = f"{processed} request{'s' if processed != 1 else ''} processed"
    problems = _problems(outcomes)
    if not problems:
        return f"qbbridge: update complete, {requests}."
    return f"qbbridge: {requests}, {', '.join(problems)}. {WHERE_TO_LOOK}"


def end_of_work_message(outcomes: queue.SessionOutcomes) -> str:
    """``getLastError``'s text when nothing more is to be sent (the connector shows it, then closes)."""
    problems = _problems(outcomes)
    if not problems:
        return "qbbridge has nothing more to send. The update is complete."
    return (
        f"qbbridge has nothing more to send. Of this update's requests, {' and '.join(problems)}. "
        f"{WHERE_TO_LOOK}"
    )

