"""The Web Connector session's lifecycle as the queue sees it: what a session did, its in-flight
steps orphaned when it ends, and ending, expiring, superseding or revoking sessions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import batch
from db.models import WcSession
from db.queue.refs import SessionOutcomes
from db.queue.settle import orphan_texts, refresh_job
from db.queue.sql import OPEN_SESSIONS_OLDER_THAN, ORPHAN, SESSION_OUTCOMES
from db.states import SessionState


def session_outcomes(session: Session, *, session_id: int) -> SessionOutcomes:
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


def has_idle_sessions(session: Session, *, tenant_id: str, idle_since: dt.datetime) -> bool:
    """Cheap check before the locking work of expiring or superseding sessions (usually there are none)."""
    return (
        session.execute(OPEN_SESSIONS_OLDER_THAN, {"cutoff": idle_since, "tenant_id": tenant_id}).first()
        is not None
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
