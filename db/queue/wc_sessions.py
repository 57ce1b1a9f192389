"""The Web Connector session's lifecycle as the queue sees it: its touch at every call and what the
calls note on it, what a session did, its in-flight steps orphaned when it ends, and ending, expiring,
superseding or revoking sessions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db import batch
from db.models import WcSession
from db.queue.refs import SessionOutcomes, SessionRow, session_row
from db.queue.settle import orphan_texts, refresh_job
from db.queue.sql import (
    ASK_TO_WAIT,
    CLOSE_BY_TICKET,
    CLOSED_SESSION,
    COUNT_MORE_STEPS,
    ORPHAN,
    ORPHAN_BY_TICKET,
    SESSION_OUTCOMES,
    SESSION_WITH_TICKET,
    SET_LAST_ERROR,
    TOUCH,
    sessions_table,
)
from db.states import SessionState
from db.transaction import Work


def session_outcomes(session: Work, *, session_id: int) -> SessionOutcomes:
    """How many of the requests this session took failed, or ended with an unknown outcome."""
    row = batch.run_one(session, SESSION_OUTCOMES, {"session_id": session_id})[0]
    return SessionOutcomes(failed=int(row.failed), unknown=int(row.unknown))


def orphan_in_flight(session: Session, *, session_id: int, reason: str, now: dt.datetime) -> int:
    """The session ended with requests still out: their outcome is unknown, never silently re-sent."""
    rows = batch.run_one(session, ORPHAN, {"now": now, "session_id": session_id, **orphan_texts(reason)})
    affected = sorted({row.job_id for row in rows})
    for job_id in affected:
        refresh_job(session, job_id, now=now)
    return len(affected)


def end_session(
    session: Session, wc_session: WcSession, *, state: SessionState, reason: str, now: dt.datetime
) -> None:
    wc_session.state = state
    wc_session.closed_at = now
    wc_session.close_reason = reason
    orphan_in_flight(session, session_id=wc_session.id, reason=reason, now=now)


# Before any session: as ``cutoff``, ORPHAN_BY_TICKET finds an open session however long silent.
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class ClosedSession:
    """A session as ``closeConnection`` left it: what it did, and why it was refused if it was."""

    steps_done: int
    refusal: str | None
    last_error: str | None
    outcomes: SessionOutcomes


def close_by_ticket(work: Work, ticket_digest: str, *, reason: str, now: dt.datetime) -> ClosedSession | None:
    """End the ticket's session if it is open (its requests still out orphaned, as ``end_session``
    does) and read it in any state: one batch (one round trip on PostgreSQL). None: no such ticket."""
    params = {
        "ticket_digest": ticket_digest,
        "now": now,
        "cutoff": EPOCH,
        "close_reason": reason,
        **orphan_texts(reason),
    }
    orphaned, _, found = batch.run(
        work, [(ORPHAN_BY_TICKET, params), (CLOSE_BY_TICKET, params), (CLOSED_SESSION, params)]
    )
    for job_id in sorted({row.job_id for row in orphaned}):
        refresh_job(work, job_id, now=now)
    if not found:
        return None
    row = found[0]
    return ClosedSession(
        steps_done=int(row.steps_done),
        refusal=row.refusal,
        last_error=row.last_error,
        outcomes=SessionOutcomes(failed=int(row.failed), unknown=int(row.unknown)),
    )


def expire_stale_sessions(
    session: Session, *, tenant_id: str | None, cutoff: dt.datetime, now: dt.datetime
) -> int:
    """Sessions of ``tenant_id`` (or all) silent since ``cutoff`` are expired; returns how many."""
    query = select(WcSession).where(WcSession.state == SessionState.OPEN, WcSession.last_seen_at < cutoff)
    if tenant_id is not None:
        query = query.where(WcSession.tenant_id == tenant_id)
    stale = list(session.scalars(query.with_for_update(skip_locked=True)))
    for wc_session in stale:
        end_session(session, wc_session, state=SessionState.EXPIRED, reason="it timed out", now=now)
    return len(stale)


def supersede_sessions(session: Session, *, tenant_id: str, idle_since: dt.datetime, now: dt.datetime) -> int:
    """A new session started: the tenant's open sessions silent since ``idle_since`` are over."""
    idle = list(
        session.scalars(
            select(WcSession)
            .where(
                WcSession.tenant_id == tenant_id,
                WcSession.state == SessionState.OPEN,
                WcSession.last_seen_at < idle_since,
            )
            .with_for_update(skip_locked=True)
        )
    )
    for wc_session in idle:
        end_session(
            session,
            wc_session,
            state=SessionState.CLOSED,
            reason="a newer Web Connector session started",
            now=now,
        )
    return len(idle)


def revoke_open_sessions(session: Session, *, tenant_id: str, reason: str, now: dt.datetime) -> int:
    open_sessions = list(
        session.scalars(
            select(WcSession).where(WcSession.tenant_id == tenant_id, WcSession.state == SessionState.OPEN)
        )
    )
    for wc_session in open_sessions:
        end_session(session, wc_session, state=SessionState.REVOKED, reason=reason, now=now)
    return len(open_sessions)


# --- the touch and what a call notes on the session ----------------------------------------------


def touch_session(session: Session, params: dict[str, Any]) -> SessionRow | None:
    """``TOUCH`` alone (``touch_params``), for a call that does nothing else with the queue."""
    return session_row(batch.run_one(session, TOUCH, params))


def touch_params(
    ticket_digest: str,
    *,
    now: dt.datetime,
    cutoff: dt.datetime,
    count_step: bool = False,
    company_file: str | None = None,
    country: str | None = None,
    qbxml_version: str | None = None,
) -> dict[str, Any]:
    """TOUCH's parameters: what the Web Connector reports (company file, country) is stored in the same
    statement; the qbXML version the session speaks is kept from its first call, so every request of a
    session, and the reconciliation of one, is written for the same version. ``count_step`` counts one
    more answered request for the progress."""
    return {
        "now": now,
        "cutoff": cutoff,
        "company_file": company_file,
        "country": country,
        "qbxml_version": qbxml_version,
        "step": 1 if count_step else 0,
        "ticket_digest": ticket_digest,
    }


def count_more_steps(session: Work, session_id: int, more: int) -> None:
    """TOUCH counts one answered request per ``receiveResponseXML``; an answer to a message set that
    carried several steps counts the others with this."""
    batch.run_one(session, COUNT_MORE_STEPS, {"more": more, "session_id": session_id})


def find_session(session: Session, ticket_digest: str) -> WcSession | None:
    """The session with this ticket in any state (for the rare paths: expiry, late answers, close)."""
    return session.scalars(select(WcSession).where(WcSession.ticket_digest == ticket_digest)).first()


def has_session(work: Work, ticket_digest: str) -> bool:
    """Whether a session, in any state, has this ticket (a batch, not the ORM: see ``find_session``)."""
    return bool(batch.run_one(work, SESSION_WITH_TICKET, {"ticket_digest": ticket_digest}))


def ask_to_wait(session: Work, session_id: int, *, waits: int) -> None:
    """The session is asked to wait (its ``waits``-th time): work is due within seconds. The wait ends
    with the next request handed out (``mark_sent``'s ``clear_wait_of``)."""
    batch.run_one(session, ASK_TO_WAIT, {"waits": waits, "session_id": session_id})


def set_last_error(session: Work, session_id: int, text: str | None) -> None:
    batch.run_one(session, SET_LAST_ERROR, {"text": text, "session_id": session_id})


def mark_host_received(session: Session, session_id: int) -> None:
    """The Web Connector session has sent what QuickBooks it runs (its first sendRequestXML)."""
    session.execute(update(sessions_table).where(sessions_table.c.id == session_id).values(hcp_received=True))
