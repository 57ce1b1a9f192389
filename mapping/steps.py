"""Applying what an answer means (:mod:`mapping.settling`) to the queue, the step's job and its links,
through ``db/``: the use case of settling a step."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from db import links as link_repo
from db import queue
from db.batch import Statement
from db.models import Job
from db.states import StepPhase, StepState
from db.transaction import Work, session_of
from mapping import retrieval_store
from mapping.plan import PlannedStep
from mapping.retries import retry_delay
from mapping.settling import Outcome
from mapping.step_kinds import StepKind

# --- applying an outcome -----------------------------------------------------------------------


def apply_outcome(
    session: Work,
    step: queue.StepRef,
    response: str | None,
    outcome: Outcome,
    *,
    now: dt.datetime,
    session_id: int | None = None,
    check_runnable_for: str | None = None,
    last_work: bool = False,
) -> bool | None:
    """Store the answer on the step, move the step and its job, and write the link it created.

    With ``check_runnable_for``: whether that tenant has a step to send afterwards, asked in the batch
    that settles the step (see ``queue.settle_step``); None for a retrieval's page, where the caller
    asks. With ``last_work`` (the caller does nothing in the transaction afterwards), a success may
    commit in its settling batch (``queue.settle_step``'s ``commit``: it may raise
    ``queue.WorkFollows``).
    """
    if outcome.page:
        # Responses of the page that are not the step's own are only known once it is read.
        outcome.foreign = retrieval_store.apply_page(
            session_of(session), step, response or "", now=now, session_id=session_id
        )
        return None
    if outcome.warnings:
        job = session_of(session).get(Job, step.job_id)
        assert job is not None
        job.warnings = [*job.warnings, *outcome.warnings]
    answer = queue.Answer(
        response=response or None,
        status_code=outcome.status_code,
        status_severity=outcome.status_severity,
        status_message=outcome.status_message,
        hresult=outcome.hresult,
        error=outcome.error,
        result=outcome.result,
    )

    def requeue(*, phase: StepPhase | None = None, not_before: dt.datetime | None = None) -> bool | None:
        return queue.settle_step(
            session,
            step,
            StepState.QUEUED,
            answer,
            now=now,
            phase=phase,
            not_before=not_before,
            check_runnable_for=check_runnable_for,
        )

    if outcome.resend:
        return requeue(phase=StepPhase.SEND)
    if outcome.retry:
        # After an error from the Web Connector (an hresult) QuickBooks may have saved the request
        # before it failed: look for it before sending it again, as for a lost answer.
        phase = StepPhase.RECONCILE if outcome.hresult and _can_reconcile(step) else None
        return requeue(phase=phase, not_before=now + retry_delay(step.attempts))
    state = outcome.state
    if state == StepState.UNKNOWN_OUTCOME and _can_reconcile(step):
        # Unreadable answer: ask QuickBooks before deciding, exactly as for a lost one.
        return requeue(phase=StepPhase.RECONCILE)
    before: list[tuple[Statement, dict[str, Any]]] = []
    if state == StepState.SUCCEEDED and step.kind == StepKind.QBXML_REQUEST:
        planned = PlannedStep.from_intent(step.intent)
        job_ref = step.job or _job_ref(session_of(session), step.job_id)
        if planned.creates_link and job_ref.link_entity and job_ref.link_code:
            # The link and the job's result are written in the batch that settles the step.
            link = link_repo.complete_params(
                tenant_id=job_ref.tenant_id,
                entity=job_ref.link_entity,
                code=job_ref.link_code,
                qb_type=outcome.qb_type,
                ids=outcome.ids,
                now=now,
            )
            result = {**job_ref.result, "quickbooks": {"type": outcome.qb_type, **outcome.ids}}
            before += [
                (link_repo.COMPLETE, link),
                (queue.SET_JOB_RESULT, {"job_id": step.job_id, "result": result}),
            ]
    return queue.settle_step(
        session,
        step,
        state,
        answer,
        now=now,
        before=before,
        check_runnable_for=check_runnable_for,
        # Warnings went to the job through the ORM session, flushed by the batch: kept apart.
        commit=last_work and not outcome.warnings,
    )


def _can_reconcile(step: queue.StepRef) -> bool:
    """Whether the step can be looked for in QuickBooks (or safely sent again) before it is re-sent:
    a typed request in phase ``send`` with a reconciliation query, or one safe to repeat."""
    if step.kind != StepKind.QBXML_REQUEST or step.phase != StepPhase.SEND:
        return False
    planned = PlannedStep.from_intent(step.intent)
    return planned.reconcile is not None or planned.safe_to_repeat


def _job_ref(session: Session, job_id: int) -> queue.JobRef:
    job = session.get(Job, job_id)
    assert job is not None
    return queue.JobRef(
        tenant_id=job.tenant_id,
        link_entity=job.link_entity,
        link_code=job.link_code,
        result=dict(job.result or {}),
    )
