"""Job bookkeeping: queueing a job (its number, its row, its steps, in one batch), cancelling,
retrying, and moving a job to the end of its tenant's queue."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session, make_transient_to_detached

from db import batch, links
from db.batch import Statement
from db.models import Job, Link, utcnow
from db.queue.refs import NewStep
from db.queue.settle import fail_dependents, refresh_job
from db.queue.sql import (
    CANCEL_QUEUED_STEPS,
    INSERT_JOB,
    INSERT_STEP,
    NEXT_QUEUE_SEQ,
    REOPEN_JOB,
    RETRY_STEPS,
    TO_END_OF_QUEUE,
)
from db.results import affected_rows
from db.states import JobStatus


def job_statements(
    *,
    public_id: str,
    tenant_id: str,
    kind: str,
    payload: dict[str, Any],
    steps: Sequence[NewStep],
    warnings: Sequence[str],
    link_entity: str | None,
    link_code: str | None,
    depends_on_job_id: int | None,
    now: dt.datetime,
) -> list[tuple[Statement, dict[str, Any]]]:
    """The batch that queues a job: its tenant's next number, the job, its steps (the job's row is
    the second statement's result: ``id``, ``queue_seq``)."""
    if not steps:
        raise ValueError("a job needs at least one step")
    job = {
        "public_id": public_id,
        "tenant_id": tenant_id,
        "kind": kind,
        "payload": payload,
        "warnings": list(warnings),
        "link_entity": link_entity,
        "link_code": link_code,
        "depends_on_job_id": depends_on_job_id,
        "now": now,
    }
    return [
        (NEXT_QUEUE_SEQ, {"tenant_id": tenant_id}),
        (INSERT_JOB, job),
        *(
            (
                INSERT_STEP,
                {
                    "public_id": public_id,
                    "tenant_id": tenant_id,
                    "position": position,
                    "kind": step.kind,
                    "intent": step.intent,
                    "reconcilable": step.reconcilable,
                    "now": now,
                    "prepared_request": step.prepared.xml if step.prepared else None,
                    "prepared_level": step.prepared.level if step.prepared else None,
                    "prepared_requests": step.prepared.requests if step.prepared else None,
                },
            )
            for position, step in enumerate(steps)
        ),
    ]


def enqueue(
    session: Session,
    *,
    tenant_id: str,
    kind: str,
    payload: dict[str, Any],
    steps: Sequence[NewStep],
    warnings: Sequence[str] = (),
    link_entity: str | None = None,
    link_code: str | None = None,
    depends_on_job_id: int | None = None,
) -> Job:
    """Queue a job at the end of its tenant's queue: one batch (one round trip on PostgreSQL)."""
    now = utcnow()
    public_id = str(uuid.uuid4())
    statements = job_statements(
        public_id=public_id,
        tenant_id=tenant_id,
        kind=kind,
        payload=payload,
        steps=steps,
        warnings=warnings,
        link_entity=link_entity,
        link_code=link_code,
        depends_on_job_id=depends_on_job_id,
        now=now,
    )
    results = batch.run(session, statements)
    [inserted] = results[1]
    # The caller gets the Job as stored, attached to the session as if it had been read back (callers
    # may still change it, e.g. a retrieval's initial result), without reading it back.
    job = Job(
        id=inserted.id,
        queue_seq=inserted.queue_seq,
        public_id=public_id,
        tenant_id=tenant_id,
        kind=kind,
        status=JobStatus.QUEUED.value,
        error=None,
        payload=payload,
        warnings=list(warnings),
        result={},
        link_entity=link_entity,
        link_code=link_code,
        depends_on_job_id=depends_on_job_id,
        created_at=now,
        updated_at=now,
        finished_at=None,
    )
    make_transient_to_detached(job)
    session.add(job)
    return job


def cancel_job(session: Session, job: Job, *, now: dt.datetime) -> bool:
    """Cancel whatever of the job has not been sent. Returns False when nothing could be cancelled."""
    result = session.execute(CANCEL_QUEUED_STEPS.clause, {"job_id": job.id, "now": now})
    if not affected_rows(result):
        return False
    refresh_job(session, job.id, now=now)
    return True


def record_finished_job(
    session: Session,
    *,
    tenant_id: str,
    kind: str,
    payload: dict[str, Any],
    status: JobStatus,
    result: dict[str, Any],
    now: dt.datetime,
    link_entity: str | None = None,
    link_code: str | None = None,
) -> Job:
    """A job with nothing to send (the entity is already in QuickBooks), kept for the history."""
    queue_seq = batch.run_one(session, NEXT_QUEUE_SEQ, {"tenant_id": tenant_id})[0].last_queue_seq
    job = Job(
        queue_seq=queue_seq,
        public_id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        kind=kind,
        status=status,
        payload=payload,
        warnings=[],
        result=result,
        created_at=now,
        updated_at=now,
        finished_at=now,
        link_entity=link_entity,
        link_code=link_code,
    )
    session.add(job)
    session.flush()
    return job


def retry_job(session: Session, job: Job, *, now: dt.datetime) -> Link | None:
    """Queue again what did not succeed, at the end of the tenant's queue as it is now (the job takes
    a new place: it goes after every job queued before the retry). Steps that succeeded are not
    repeated; a step whose outcome is unknown is first reconciled against QuickBooks when it can be,
    and sent as is otherwise (the person retrying has checked QuickBooks).

    Takes back the links the job had reserved; returns the link another job holds meanwhile (nothing
    is queued then, and the caller rolls back). A job still queued waiting for this one (queued while
    it was ending) fails, to be retried after it."""
    # The tenant's queue number first: it is the lock that orders retries and sends (NEXT_QUEUE_SEQ),
    # taken before the links' rows, as a send takes it before its own.
    batch.run_one(session, NEXT_QUEUE_SEQ, {"tenant_id": job.tenant_id})
    conflict = links.reserve_again(session, job, now=now)
    if conflict is not None:
        return conflict
    fail_dependents(session, job.id, now=now)
    session.execute(RETRY_STEPS, {"job_id": job.id})
    batch.run_one(session, TO_END_OF_QUEUE, {"tenant_id": job.tenant_id, "job_id": job.id})
    session.execute(REOPEN_JOB.clause, {"job_id": job.id, "now": now})
    refresh_job(session, job.id, now=now)
    return None


def requeue_at_end(session: Session, *, tenant_id: str, job_id: int) -> None:
    """A job that had ended has steps to go again (a late answer settled its unknown step): it takes
    the end of the queue, as a retry does, rather than its old place ahead of jobs already running."""
    batch.run_one(session, NEXT_QUEUE_SEQ, {"tenant_id": tenant_id})
    batch.run_one(session, TO_END_OF_QUEUE, {"tenant_id": tenant_id, "job_id": job_id})
