"""An answer on the ticket of a session that is no longer open (``receiveResponseXML`` after the
session expired, was closed or superseded): it may still settle what that session left unknown."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session

from db import queue
from db.models import Job, Tenant, WcSession
from db.states import JobStatus, SessionState
from db.transaction import Work, session_of
from mapping.settling import settle_answer
from mapping.steps import apply_outcome
from qbwc.ticket_sessions import end_if_expired

log = logging.getLogger("qbbridge.qbwc")


def settle_late_answer(
    work: Work,
    ticket_digest: str,
    response: str | None,
    hresult: str | None,
    now: dt.datetime,
) -> None:
    """An answer on the ticket of a session that is no longer open: it may still settle the steps
    of that session whose outcome is unknown (its connector was slow, not dead), matched by
    requestID, unless the session's trust ended with a token rotation."""
    wc_session = end_if_expired(work, ticket_digest, now)
    if wc_session is None:
        return
    session = session_of(work)
    if not trusted_after_rotation(session, wc_session):
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


def trusted_after_rotation(session: Session, wc_session: WcSession) -> bool:
    """A token rotation ends trust in every ticket issued before it: the sessions it ended
    (revoked) and any that had ended before it, whose tickets came from the replaced token."""
    if wc_session.state == SessionState.REVOKED:
        return False
    tenant = session.get(Tenant, wc_session.tenant_id)
    issued = tenant.token_created_at if tenant is not None else None
    return issued is None or wc_session.created_at >= issued
