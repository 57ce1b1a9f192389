"""Settling: a step's answer stored, its job's status derived again (db/states.py: the rule), and
what follows a job's new status (links released or confirmed, dependents failed, the outcome log)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from db import batch, links, observed, outcome_log
from db.batch import Statement
from db.models import Job, Step
from db.queue.refs import Answer, StepRef, dialect_of, step_ref
from db.queue.sql import (
    ANY_RUNNABLE,
    CANCEL_REST,
    DEPENDENTS,
    FAIL_QUEUED_STEPS,
    FINISHED,
    JOB_PUBLIC_ID,
    JOB_STATUS_BEFORE,
    LATEST_UNKNOWN_OF_SESSION,
    PARK_UNKNOWN,
    SETTLE,
    UPDATE_JOB,
)
from db.states import FINISHED_STEP_STATES, JobStatus, StepState
from db.transaction import Work, is_postgresql, session_of

# The job statuses after which more work follows in the same transaction (``_after_job_update``):
# links released, dependents failed.
_FOLLOWED_UP = frozenset({JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.UNKNOWN_OUTCOME})
# Before the COMMIT of a settling batch (``settle_step`` with ``commit``): fails the batch, COMMIT
# included, when the job's new status is one of those (migration 0021, SQLSTATE ``QB002``).
_NOTHING_FOLLOWS = Statement(
    "SELECT qbbridge_commit_only_if(status NOT IN ("
    + ", ".join(f"'{status.value}'" for status in sorted(_FOLLOWED_UP))
    + ")) FROM jobs WHERE id = :job_id"
)
_WORK_FOLLOWS = "QB002"


class WorkFollows(Exception):
    """A settling batch meant to commit found its job's new status needs more work first; nothing of
    the transaction was committed, and it must be made again without ``commit``."""


def latest_unknown_steps(session: Session, *, session_id: int) -> list[StepRef]:
    """The steps of this (ended) session whose answer was lost most recently: the last message
    set's, one step or several."""
    rows = session.execute(LATEST_UNKNOWN_OF_SESSION, {"session_id": session_id}).all()
    return [step_ref(row) for row in rows]


def settle_step(
    session: Work,
    step: StepRef,
    state: StepState,
    answer: Answer,
    *,
    now: dt.datetime,
    not_before: dt.datetime | None = None,
    phase: str | None = None,
    before: Sequence[tuple[Statement, dict[str, Any]]] = (),
    check_runnable_for: str | None = None,
    commit: bool = False,
) -> bool | None:
    """Store QuickBooks' answer and the step's new state in one statement, then update its job.

    ``state`` is final, or ``queued`` (with ``not_before`` for a transient error to retry later, or
    with ``phase`` to send again after reconciliation found nothing). ``before``: statements of the
    caller's to run first in the same batch (what a success wrote: its link, the job's result).

    With ``check_runnable_for``, the batch ends by asking whether that tenant has a step to send
    (what ``has_runnable`` says), saving the Web Connector's answer a round trip, and returns it.
    What ``_after_job_update`` does next cannot change it: the jobs it fails were waiting for this one,
    and a job waiting for an unfinished one is not runnable.

    With ``commit``, settling a step that succeeded is the transaction's last work, on PostgreSQL:
    the batch ends with the COMMIT, unless the job's new status needs more work (``_FOLLOWED_UP``),
    in which case the batch fails before it and this raises :class:`WorkFollows`. Any other state,
    and SQLite, commit as usual.
    """
    final = state != StepState.QUEUED
    statements: list[tuple[Statement, dict[str, Any]]] = [
        *before,
        (
            SETTLE,
            {
                "state": state.value,
                "completed_at": now if final else None,
                "final": final,
                "not_before": not_before,
                "phase": phase,
                "step_id": step.id,
                "response": answer.response,
                "status_code": answer.status_code,
                "status_severity": answer.status_severity,
                "status_message": answer.status_message,
                "hresult": answer.hresult,
                "error": answer.error,
                "result": answer.result,
            },
        ),
    ]
    if state == StepState.FAILED:
        # A failed step stops its own job: the steps after it will never run.
        statements.append((CANCEL_REST, {"now": now, "job_id": step.job_id, "position": step.position}))
    before_index = None
    if state in {StepState.FAILED, StepState.UNKNOWN_OUTCOME}:
        before_index = len(statements)
        statements.append((JOB_STATUS_BEFORE[dialect_of(session)], {"job_id": step.job_id}))
    # The job is derived after its steps changed, in the same batch (one round trip on PostgreSQL).
    statements.append((UPDATE_JOB, {"now": now, "job_id": step.job_id}))
    job_index = len(statements) - 1
    # The step that finishes a job confirms what the job reserved, still in the same batch. Only send
    # jobs reserve links (raw and retrieval jobs have no link entity).
    confirm = state == StepState.SUCCEEDED and (step.job is None or step.job.link_entity is not None)
    if confirm:
        statements.append((links.CONFIRM_IF_JOB_SUCCEEDED, {"now": now, "job_id": step.job_id}))
    # A failed or lost step's job always has work to follow (above); a success's almost never.
    commit = commit and state == StepState.SUCCEEDED and is_postgresql(session)
    if commit:
        statements.append((_NOTHING_FOLLOWS, {"job_id": step.job_id}))
    if check_runnable_for is not None:
        statements.append((ANY_RUNNABLE, {"tenant_id": check_runnable_for, "now": now}))
    try:
        results = batch.run(session, statements, commit=commit)
    except DBAPIError as exc:
        if commit and getattr(exc.orig, "sqlstate", None) == _WORK_FOLLOWS:
            raise WorkFollows(f"job {step.job_id} has work to follow its new status") from exc
        raise
    if answer.status_code is not None:
        observed.note(session, observed.QUICKBOOKS_STATUS, code=str(answer.status_code))
    previous = results[before_index][0].status if before_index is not None else None
    _after_job_update(
        session, step.job_id, results[job_index][0], now=now, confirmed=confirm, previous=previous
    )
    return bool(results[-1][0].runnable) if check_runnable_for is not None else None


def finish_step(
    session: Work, step: StepRef, state: StepState, *, now: dt.datetime, error: str | None = None
) -> None:
    """Move a step to a final state without an answer from QuickBooks (e.g. it could not be rendered)."""
    settle_step(session, step, state, Answer(error=error), now=now)


def park_unknown(session: Work, step: StepRef, *, now: dt.datetime, error: str) -> None:
    """A step whose answer was lost and that QuickBooks cannot be asked about on this host: it waits
    for a person (``error`` says what to look for). Nothing will reconcile it, so the person's retry
    sends it again as it is (``retry_job``); a lost answer to that is again left to a person."""
    batch.run_one(session, PARK_UNKNOWN, {"now": now, "error": error, "step_id": step.id})
    refresh_job(session, step.job_id, now=now)


def refresh_job(session: Work, job_id: int, *, now: dt.datetime) -> JobStatus:
    """Derive the job's status from its steps and store it (with the deciding step's error)."""
    before, updated = batch.run(
        session,
        [
            (JOB_STATUS_BEFORE[dialect_of(session)], {"job_id": job_id}),
            (UPDATE_JOB, {"now": now, "job_id": job_id}),
        ],
    )
    return _after_job_update(session, job_id, updated[0], now=now, previous=before[0].status)


_ENDED_BADLY = frozenset({JobStatus.FAILED, JobStatus.UNKNOWN_OUTCOME})


def _after_job_update(
    session: Work,
    job_id: int,
    row: Any,
    *,
    now: dt.datetime,
    confirmed: bool = False,
    previous: str | None = None,
) -> JobStatus:
    """What follows a job's new status: links released or confirmed (unless the caller's batch
    ``confirmed`` them already), dependents failed, and, when the job has just failed or lost its
    outcome (its status was ``previous``), a line for the operator. Every change of a job's status
    passes here."""
    status = JobStatus(row.status)
    if status in FINISHED and previous != status:
        observed.note(session, observed.JOB_FINISHED, flow=row.kind, status=status.value)
    if previous is not None and previous != status and status in _ENDED_BADLY:
        outcome_log.note_job_ended(
            session,
            outcome_log.EndedJob(
                tenant_id=row.tenant_id,
                public_id=row.public_id,
                kind=row.kind,
                status=status.value,
                reason=row.error or "",
            ),
        )
    link_entity = row.link_entity
    # Keep any loaded Job object in step with the row just written. (A Web Connector call mostly has
    # no ORM session, or loads none: an empty identity map spares working out the key.)
    orm = session if isinstance(session, Session) else session.session_if_open
    if orm is not None and len(orm.identity_map):
        job = orm.identity_map.get(orm.identity_key(Job, job_id))
        if job is not None:
            orm.expire(job)
    if status in {JobStatus.FAILED, JobStatus.CANCELLED}:
        links.release_for_job(session_of(session), job_id)
        fail_dependents(session, job_id, now=now)
    elif status == JobStatus.UNKNOWN_OUTCOME:
        # Its links stay reserved (QuickBooks may have the document), but a job waiting for it cannot
        # run until a person settles it; left queued, that job would hold the tenant's queue.
        fail_dependents(session, job_id, now=now)
    elif status == JobStatus.SUCCEEDED and link_entity is not None and not confirmed:
        # Only send jobs reserve links; raw and retrieval jobs have nothing to confirm.
        links.confirm_for_job(session_of(session), job_id, now=now)
    return status


def fail_dependents(work: Work, job_id: int, *, now: dt.datetime) -> None:
    """Jobs waiting for this one (a bill for a purchase order that could not be created, or whose
    outcome is unknown) cannot run: they fail, and are retried after it."""
    session = session_of(work)
    public_id = session.execute(JOB_PUBLIC_ID.clause, {"job_id": job_id}).scalar_one()
    error = (
        f"Not sent: it needs what job {public_id} was creating in QuickBooks, and that job did not "
        "succeed. Fix and retry that job, then retry this one."
    )
    for dependent in session.execute(DEPENDENTS, {"job_id": job_id}).scalars().all():
        session.execute(FAIL_QUEUED_STEPS, {"now": now, "error": error, "job_id": dependent})
        refresh_job(session, dependent, now=now)


def orphan_texts(reason: str) -> dict[str, str]:
    """The errors an orphaned step is left with: for a person, or while it is being reconciled."""
    return {
        "error": (
            f"The Web Connector session ended ({reason}) before QuickBooks' answer arrived, so we cannot "
            "tell whether QuickBooks saved this request. It will not be sent again automatically; check "
            "QuickBooks, then retry or cancel the job."
        ),
        "reconcile_note": (
            f"The Web Connector session ended ({reason}) before QuickBooks' answer arrived; qbbridge "
            "will ask QuickBooks whether it was saved before sending anything again."
        ),
    }


def is_finished(step: Step) -> bool:
    return step.state in FINISHED_STEP_STATES
