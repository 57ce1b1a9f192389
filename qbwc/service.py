"""The Web Connector protocol, as a plain class that knows nothing of SOAP or HTTP.

Each public method is one Web Connector callback with its documented arguments and return value
(see docs/qbwc.md). Every call runs in its own database transaction and keeps no state in memory,
so any process of the service can answer any call of a session.

What the calls decide lives beside it: ``login.py`` (authenticate), ``host_check.py`` (a session's
first sendRequestXML), ``late_answers.py`` (an answer after the session ended), ``ticket_queue.py``
(the session a ticket names) and ``update_report.py`` (what the connector is told of progress and end).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from db import queue, transaction
from db import secrets as secret_values
from db import tenants as tenant_repo
from db.engine import Database
from db.models import utcnow
from db.outcome_log import one_line
from db.states import SessionState, StepState
from db.transaction import Work
from mapping.explain import explain_connection_error, explain_hresult
from mapping.host import DEFAULT_QBXML_VERSION, describe_host, host_version
from mapping.rendering import SHARED_KIND, HostContext, render_message
from mapping.settling import settle_answer
from mapping.steps import apply_outcome
from qbwc import arguments, login, onboarding
from qbwc.host_check import record_host, refuse_company, refuse_host
from qbwc.late_answers import settle_late_answer
from qbwc.options import ServiceOptions
from qbwc.ticket_sessions import end_if_expired, find_wc_session, keep_refusal
from qbwc.update_report import closing_status, end_of_work_message, progress_percent
from qbwc.versions import version_tuple

log = logging.getLogger("qbbridge.qbwc")

SERVER_VERSION = "qbbridge 0.1.0"

# QuickBooks itself is unusable for the rest of the session after these; stop instead of failing
# every queued request in turn.
_SESSION_FATAL_HRESULTS = frozenset({"0x80040408", "0x80040420", "0x80040401", "0x8004041d"})
# How many 5-second waits (NoOp) a session may spend on work that is about to become ready.
MAX_WAITS = 6
WAIT_HORIZON = dt.timedelta(seconds=30)
# closeConnection on a ticket no session has (or one the Web Connector mangled).
ALREADY_ENDED = "qbbridge: this session had already ended."
# How many sessions a worker remembers whether their last request was handed out as prepared
# (``WebConnectorService._prepared_last``): forgotten all at once beyond it, which costs each
# session one attempt at most.
_REMEMBERED_SESSIONS = 10_000


class WebConnectorService:
    def __init__(
        self, database: Database, options: ServiceOptions, *, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self.database = database
        self.options = options
        self.clock = clock
        # By session (ticket digest), whether its last request was handed out as prepared: on
        # PostgreSQL sendRequestXML first tries the whole call in one round trip
        # (``queue.send_prepared``), and a session whose steps are rendered (typed sends, retrievals)
        # would pay a round trip for nothing at every call; it pays it once, and tries again only
        # after a prepared step came its way. A hint only: every path keeps the queue's guarantees.
        self._prepared_last: dict[str, bool] = {}

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
            with transaction.begin(self.database) as work:
                tenant_repo.remember_client_version(work, client_address, text, self.clock())
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
        """``["", "nvu"]`` for bad credentials; ``[ticket, "none"]`` or ``[ticket, company file]``
        (qbwc/login.py)."""
        return login.authenticate(
            self.database, self.options, username, password, client_address=client_address, now=self.clock()
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
            keep_refusal(
                self.database,
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
        touch = queue.touch_params(
            secret_values.digest(ticket),
            now=now,
            cutoff=now - self.options.session_timeout,
            company_file=company_file,
            country=country,
            qbxml_version=decided.version,
        )
        digest = touch["ticket_digest"]
        # Not the session's first call: that one records the host, and may refuse it.
        first = bool(hcp_response) or decided.refusal is not None
        if self.database.is_postgresql and not first and self._prepared_last.get(digest, True):
            with transaction.begin(self.database) as work:
                sent = queue.send_prepared(work, touch)
            if sent is not None:
                return sent
            self._remember(digest, prepared=False)
        # A transaction without an SQLAlchemy session unless a rarer branch needs the ORM
        # (db/transaction.py): the common call is batches only.
        with transaction.begin(self.database) as work:
            if hcp_response and refuse_company(work.session, touch, company_file, now):
                return ""
            if decided.refusal is not None:
                return refuse_host(
                    work.session, touch, hcp_response, described, reported, decided.refusal, now
                )
            # Touch, orphan what the session left unanswered, claim: one batch (see queue.start_send).
            start = queue.start_send(work, touch, orphan_reason="the Web Connector asked for more work")
            wc_row = start.session
            if wc_row is None:
                end_if_expired(work, touch["ticket_digest"], now)
                return ""
            for job_id in start.orphaned_job_ids:
                queue.refresh_job(work, job_id, now=now)
            if hcp_response and not wc_row.hcp_received:
                record_host(work.session, wc_row, hcp_response, described, reported, now)
            host = HostContext(
                qbxml_version=wc_row.qbxml_version or DEFAULT_QBXML_VERSION,
                country=wc_row.country or "US",
                session_id=wc_row.id,
                soap_body_limit=self.options.max_soap_body_bytes,
            )
            step = start.step
            if step is not None:
                self._remember(digest, prepared=step.sent_xml is not None)
            while True:
                if step is None:
                    return self._nothing_to_send(work, wc_row, now)
                if step.sent_xml is not None:
                    # Prepared when it was queued, and marked sent by its claim (PostgreSQL:
                    # db/queue/sql.py, ``_PREPARED_READY``): nothing to render or store, only the COMMIT.
                    queue.mark_sent(work, [], clear_wait_of=wc_row.id if wc_row.waits else None)
                    return step.sent_xml
                steps = [step]
                if self.options.requests_per_message > 1 and queue.shares_message(step, SHARED_KIND):
                    steps += queue.claim_companions(
                        work,
                        tenant_id=wc_row.tenant_id,
                        session_id=wc_row.id,
                        head=step,
                        now=now,
                        limit=self.options.requests_per_message - 1,
                        kind=SHARED_KIND,
                    )
                message = render_message(work, steps, host, now=now)
                for refused, why_refused in message.refused:
                    queue.finish_step(work, refused, StepState.FAILED, now=now, error=str(why_refused))
                for unknowable, why in message.unknowable:
                    queue.park_unknown(work, unknowable, now=now, error=str(why))
                if not message.sent:
                    step = queue.claim_next_step(
                        work, tenant_id=wc_row.tenant_id, session_id=wc_row.id, now=now
                    )
                    continue
                # The transaction's last work: on PostgreSQL the same round trip commits it.
                queue.mark_sent(
                    work,
                    [
                        (sent, rendered.xml, rendered.request_ids, rendered.sent_version)
                        for sent, rendered in message.sent
                    ],
                    clear_wait_of=wc_row.id if wc_row.waits else None,
                )
                return message.xml

    def _remember(self, digest: str, *, prepared: bool) -> None:
        if len(self._prepared_last) >= _REMEMBERED_SESSIONS and digest not in self._prepared_last:
            self._prepared_last.clear()
        self._prepared_last[digest] = prepared

    def _nothing_to_send(self, work: Work, wc_row: queue.SessionRow, now: dt.datetime) -> str:
        if wc_row.waits < MAX_WAITS and queue.has_runnable(
            work, tenant_id=wc_row.tenant_id, now=now + WAIT_HORIZON
        ):
            # Work becomes ready within seconds (a short retry delay): ask the connector to wait.
            queue.ask_to_wait(work, wc_row.id, waits=wc_row.waits + 1)
            return ""
        outcomes = queue.session_outcomes(work, session_id=wc_row.id)
        queue.set_last_error(work, wc_row.id, end_of_work_message(outcomes))
        return ""

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
            refused = keep_refusal(
                self.database,
                ticket,
                f"qbbridge could not use the Web Connector's answer: its {exc}. Nothing was recorded "
                "from it; the request is handled as one whose answer was lost (see the job in qbbridge).",
                now,
            )
            return -1 if refused else 100
        try:
            return self._receive(ticket, response, hresult, message, now, commit_with_settle=True)
        except queue.WorkFollows:
            # The settled job needs more work (it was cancelled meanwhile, say): nothing was committed,
            # and the call is made again with that work before its COMMIT.
            return self._receive(ticket, response, hresult, message, now, commit_with_settle=False)

    def _receive(
        self,
        ticket: str,
        response: str | None,
        hresult: str | None,
        message: str | None,
        now: dt.datetime,
        *,
        commit_with_settle: bool,
    ) -> int:
        """``receive_response_xml`` in one transaction. With ``commit_with_settle``, on PostgreSQL an
        answer that settles one step, which is all the call does, commits in the batch that settles
        it (``apply_outcome``'s ``last_work``): one round trip fewer."""
        with transaction.begin(self.database) as work:
            cutoff = now - self.options.session_timeout
            digest = secret_values.digest(ticket)
            touch = queue.touch_params(digest, now=now, cutoff=cutoff, count_step=True)
            wc_row, steps = queue.start_receive(work, touch)
            if wc_row is None:
                # Unknown, closed or expired: a late answer still tells us what QuickBooks did.
                settle_late_answer(work, digest, response, hresult, now)
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
                queue.set_last_error(
                    work,
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
            # Nothing follows the settling of a lone step whose answer is all its own (below).
            alone = commit_with_settle and len(steps) == 1 and not fatal and not settlement.foreign
            for index, (step, part, outcome) in enumerate(settled):
                last = index == len(settled) - 1
                more = apply_outcome(
                    work,
                    step,
                    part,
                    outcome,
                    now=now,
                    session_id=wc_row.id,
                    check_runnable_for=wc_row.tenant_id if last and not fatal else None,
                    last_work=alone and last and not outcome.page and not outcome.foreign,
                )
            if len(steps) > 1:
                # The touch counted one answered request; the message set carried len(steps).
                queue.count_more_steps(work, wc_row.id, len(steps) - 1)
            if fatal:
                queue.set_last_error(work, wc_row.id, explain_hresult(code, message or ""))
                return -1
            # A retrieval page's own responses are known only once it was stored (``apply_outcome``).
            foreign = settlement.foreign + sum(outcome.foreign for _, _, outcome in settled)
            if foreign:
                self._refuse_foreign(work, wc_row.tenant_id, wc_row.id, foreign)
                return -1
            if more is None:
                more = queue.has_runnable(work, tenant_id=wc_row.tenant_id, now=now)
            done = wc_row.steps_done + len(steps) - 1
            return progress_percent(done, wc_row.planned_steps) if more else 100

    def _refuse_foreign(self, work: Work, tenant_id: str, session_id: int, foreign: int) -> None:
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
        queue.set_last_error(
            work,
            session_id,
            "The Web Connector returned an answer with responses to requests this session did not send; "
            "qbbridge ignored them. What this session had sent will be checked in QuickBooks before "
            "anything is sent again; the next update continues.",
        )

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
            wc_session = find_wc_session(session, ticket)
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
            wc_session = find_wc_session(session, ticket)
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
        ticket = arguments.ticket(ticket)
        if ticket is None:
            return ALREADY_ENDED
        with transaction.begin(self.database) as work:
            closed = queue.close_by_ticket(
                work, secret_values.digest(ticket), reason="the Web Connector closed it", now=now
            )
        if closed is None:
            return ALREADY_ENDED
        if closed.refusal and closed.last_error:
            # Refused (disabled, another company file, QuickBooks not opened): the status line
            # shows why rather than "0 requests processed".
            return closed.last_error
        return closing_status(closed.steps_done, closed.outcomes)
