"""The request queue: jobs, their ordered steps, and how a Web Connector session claims them.

Rules (see ``db/states.py`` for the states):

* A step is handed to exactly one session. The claim is one ``UPDATE … WHERE state = 'queued'``;
  on PostgreSQL its candidate is picked with ``FOR UPDATE SKIP LOCKED`` so concurrent sessions of
  one tenant never wait on each other's row, and on SQLite the whole claim runs under the database
  write lock (``BEGIN IMMEDIATE``, see ``db/engine.py``).
* Steps of one job run in order: a step is runnable only when every earlier step of its job has
  succeeded. Jobs of a tenant are handed out in the order they were queued.
* A transient failure puts a step back to ``queued`` with ``not_before``; nothing else ever moves a
  step backwards. An ``in_flight`` step whose session ends goes to ``unknown_outcome`` and is never
  re-sent by the queue.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from db.models import Job, Step, WcSession, utcnow
from db.states import FINISHED_STEP_STATES, JobStatus, SessionState, StepState


@dataclass(slots=True)
class NewStep:
    kind: str
    intent: dict[str, Any] = field(default_factory=dict)


def enqueue(
    session: Session, *, tenant_id: str, kind: str, payload: dict[str, Any], steps: Sequence[NewStep]
) -> Job:
    if not steps:
        raise ValueError("a job needs at least one step")
    job = Job(
        public_id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        kind=kind,
        status=JobStatus.QUEUED,
        payload=payload,
        warnings=[],
        result={},
    )
    session.add(job)
    session.flush()
    for position, new_step in enumerate(steps):
        session.add(
            Step(
                job_id=job.id,
                tenant_id=tenant_id,
                position=position,
                kind=new_step.kind,
                intent=new_step.intent,
                state=StepState.QUEUED,
                request_ids=[],
                result={},
            )
        )
    session.flush()
    return job


# The runnable-step condition, shared by the claim and the counts. Bound parameters: tenant_id, now.
_RUNNABLE = """
    s.tenant_id = :tenant_id
    AND s.state = 'queued'
    AND (s.not_before IS NULL OR s.not_before <= :now)
    AND NOT EXISTS (
        SELECT 1 FROM job_steps p
        WHERE p.job_id = s.job_id AND p.position < s.position AND p.state <> 'succeeded'
    )
"""

_CLAIM_POSTGRESQL = text(
    f"""
    UPDATE job_steps SET state = 'in_flight', session_id = :session_id, claimed_at = :now,
                         attempts = attempts + 1
    WHERE id = (
        SELECT s.id FROM job_steps s
        WHERE {_RUNNABLE}
        ORDER BY s.job_id, s.position
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    ) AND state = 'queued'
    RETURNING id
    """
)

_CLAIM_SQLITE = text(
    f"""
    UPDATE job_steps SET state = 'in_flight', session_id = :session_id, claimed_at = :now,
                         attempts = attempts + 1
    WHERE id = (
        SELECT s.id FROM job_steps s
        WHERE {_RUNNABLE}
        ORDER BY s.job_id, s.position
        LIMIT 1
    ) AND state = 'queued'
    RETURNING id
    """
)

_COUNT_RUNNABLE = text(f"SELECT count(*) FROM job_steps s WHERE {_RUNNABLE}")


def _now_param(session: Session, now: dt.datetime) -> dt.datetime | str:
    # Raw SQL bypasses the UTCDateTime type; SQLite compares stored text, so pass the same text form.
    if session.get_bind().dialect.name == "sqlite":
        return now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return now


def claim_next_step(session: Session, *, tenant_id: str, session_id: int, now: dt.datetime) -> Step | None:
    """Hand the tenant's next runnable step to ``session_id``, or return None when there is none.

    Commit promptly after this: on PostgreSQL the claimed row stays locked until the transaction ends.
    """
    statement = _CLAIM_POSTGRESQL if session.get_bind().dialect.name == "postgresql" else _CLAIM_SQLITE
    step_id = session.execute(
        statement, {"tenant_id": tenant_id, "session_id": session_id, "now": _now_param(session, now)}
    ).scalar_one_or_none()
    if step_id is None:
        return None
    step = session.get(Step, step_id, populate_existing=True)
    assert step is not None
    job = session.get(Job, step.job_id)
    if job is not None and job.status == JobStatus.QUEUED:
        job.status = JobStatus.IN_FLIGHT
        job.updated_at = now
    return step


def count_runnable(session: Session, *, tenant_id: str, now: dt.datetime) -> int:
    return int(
        session.execute(
            _COUNT_RUNNABLE, {"tenant_id": tenant_id, "now": _now_param(session, now)}
        ).scalar_one()
    )


def count_queued(session: Session, *, tenant_id: str) -> int:
    """Queued steps whatever their readiness: work that is waiting, now or later."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Step)
            .where(Step.tenant_id == tenant_id, Step.state == StepState.QUEUED)
        )
        or 0
    )


def next_not_before(session: Session, *, tenant_id: str) -> dt.datetime | None:
    return session.scalar(
        select(func.min(Step.not_before)).where(Step.tenant_id == tenant_id, Step.state == StepState.QUEUED)
    )


def in_flight_step(session: Session, *, session_id: int) -> Step | None:
    return session.scalars(
        select(Step).where(Step.session_id == session_id, Step.state == StepState.IN_FLIGHT).order_by(Step.id)
    ).first()


def find_step_by_request_id(session: Session, *, session_id: int, request_id: str) -> Step | None:
    """The in-flight step of this session that we sent with ``request_id`` (``{step id}.{n}``)."""
    head, _, _ = request_id.partition(".")
    if not head.isdigit():
        return None
    step = session.get(Step, int(head))
    if step is None or step.session_id != session_id or step.state != StepState.IN_FLIGHT:
        return None
    return step


def finish_step(session: Session, step: Step, state: StepState, *, now: dt.datetime) -> None:
    """Move an in-flight step to a final state and bring its job's status up to date."""
    step.state = state
    step.completed_at = now
    if state == StepState.FAILED:
        # A failed step stops its own job: the steps after it will never run.
        session.execute(
            update(Step)
            .where(Step.job_id == step.job_id, Step.position > step.position, Step.state == StepState.QUEUED)
            .values(state=StepState.CANCELLED, completed_at=now, error="not sent: an earlier step failed")
        )
    refresh_job(session, step.job_id, now=now)


def requeue_step(session: Session, step: Step, *, not_before: dt.datetime, now: dt.datetime) -> None:
    step.state = StepState.QUEUED
    step.session_id = None
    step.not_before = not_before
    refresh_job(session, step.job_id, now=now)


def derive_job_status(states: Sequence[str]) -> JobStatus:
    present = set(states)
    if StepState.FAILED in present:
        return JobStatus.FAILED
    if StepState.UNKNOWN_OUTCOME in present:
        return JobStatus.UNKNOWN_OUTCOME
    if present and present <= {StepState.CANCELLED}:
        return JobStatus.CANCELLED
    if present and present <= {StepState.SUCCEEDED}:
        return JobStatus.SUCCEEDED
    if present & {StepState.IN_FLIGHT, StepState.SUCCEEDED}:
        return JobStatus.IN_FLIGHT
    return JobStatus.QUEUED


def refresh_job(session: Session, job_id: int, *, now: dt.datetime) -> Job:
    job = session.get(Job, job_id)
    assert job is not None
    session.flush()
    rows = session.execute(
        select(Step.state, Step.error).where(Step.job_id == job_id).order_by(Step.position)
    ).all()
    status = derive_job_status([row.state for row in rows])
    job.status = status
    job.updated_at = now
    if status in {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.UNKNOWN_OUTCOME}:
        job.finished_at = job.finished_at or now
        if status == JobStatus.FAILED:
            job.error = next(
                (row.error for row in rows if row.state == StepState.FAILED and row.error), job.error
            )
        elif status == JobStatus.UNKNOWN_OUTCOME:
            job.error = next(
                (row.error for row in rows if row.state == StepState.UNKNOWN_OUTCOME and row.error), job.error
            )
    else:
        job.finished_at = None
    return job


def orphan_in_flight(session: Session, *, session_id: int, reason: str, now: dt.datetime) -> int:
    """The session ended with requests still out: their outcome is unknown, never silently re-sent."""
    steps = list(
        session.scalars(select(Step).where(Step.session_id == session_id, Step.state == StepState.IN_FLIGHT))
    )
    for step in steps:
        step.state = StepState.UNKNOWN_OUTCOME
        step.completed_at = now
        step.error = (
            f"The Web Connector session ended ({reason}) before QuickBooks' answer arrived, so we cannot "
            "tell whether QuickBooks saved this request. It will not be sent again automatically; check "
            "QuickBooks, then retry or cancel the job."
        )
        refresh_job(session, step.job_id, now=now)
    return len(steps)


def end_session(
    session: Session, wc_session: WcSession, *, state: SessionState, reason: str, now: dt.datetime
) -> None:
    wc_session.state = state
    wc_session.closed_at = now
    wc_session.close_reason = reason
    orphan_in_flight(session, session_id=wc_session.id, reason=reason, now=now)


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


def revoke_open_sessions(session: Session, *, tenant_id: str, reason: str, now: dt.datetime) -> int:
    open_sessions = list(
        session.scalars(
            select(WcSession).where(WcSession.tenant_id == tenant_id, WcSession.state == SessionState.OPEN)
        )
    )
    for wc_session in open_sessions:
        end_session(session, wc_session, state=SessionState.REVOKED, reason=reason, now=now)
    return len(open_sessions)


def cancel_job(session: Session, job: Job, *, now: dt.datetime) -> bool:
    """Cancel whatever of the job has not been sent. Returns False when nothing could be cancelled."""
    result = session.execute(
        update(Step)
        .where(Step.job_id == job.id, Step.state == StepState.QUEUED)
        .values(state=StepState.CANCELLED, completed_at=now, error="cancelled before it was sent")
    )
    if not result.rowcount:
        return False
    refresh_job(session, job.id, now=now)
    return True


def is_finished(step: Step) -> bool:
    return step.state in FINISHED_STEP_STATES


__all__ = [
    "NewStep",
    "cancel_job",
    "claim_next_step",
    "count_queued",
    "count_runnable",
    "derive_job_status",
    "end_session",
    "enqueue",
    "expire_stale_sessions",
    "find_step_by_request_id",
    "finish_step",
    "in_flight_step",
    "is_finished",
    "next_not_before",
    "orphan_in_flight",
    "refresh_job",
    "requeue_step",
    "revoke_open_sessions",
    "utcnow",
]
