"""What a person does to jobs directly: queue a raw qbXML message set as given, cancel, retry."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy.orm import Session

from db import queue
from db.models import Job
from db.states import RETRYABLE_JOB_STATUSES
from mapping.step_kinds import StepKind
from requests_builder.raw import RawQbxmlError, check_and_template_raw_qbxml

__all__ = ["JobRefusalReason", "JobRefused", "RawQbxmlError", "cancel", "queue_raw_qbxml", "retry"]


def queue_raw_qbxml(session: Session, *, tenant_id: str, qbxml: str) -> Job:
    """Queue ``qbxml`` for the tenant, sent as given (with our requestIDs) in one step.

    Raises :class:`RawQbxmlError` (nothing queued) when the document is not a qbXML request message set.
    """
    check, template = check_and_template_raw_qbxml(qbxml, stand_in=queue.STEP_ID_STAND_IN)
    # Prepared now, from the parse that checked it, when it declares its version: a session's claim
    # can then hand it out as it is (mapping/rendering.py renders it otherwise, as before).
    prepared = (
        queue.PreparedRequest(xml=template.xml, level=template.level, requests=template.requests)
        if template is not None
        else None
    )
    return queue.enqueue(
        session,
        tenant_id=tenant_id,
        kind=StepKind.RAW_QBXML,
        payload={"requestTypes": check.request_types},
        steps=[queue.NewStep(kind=StepKind.RAW_QBXML, intent={"qbxml": qbxml}, prepared=prepared)],
    )


class JobRefusalReason(StrEnum):
    """Why a person's cancel or retry of a job was refused."""

    NOTHING_TO_CANCEL = "nothing_to_cancel"  # every step was sent already, or the job has ended
    NOT_RETRYABLE = "not_retryable"  # still going, or it succeeded
    BLOCKER_NOT_DONE = "blocker_not_done"  # the job it needs ended badly: that one goes first
    LINK_TAKEN = "link_taken"  # another job has reserved what this one would create
    PAYLOADS_REMOVED = "payloads_removed"  # retention removed what it would send (db/retention.py)


class JobRefused(Exception):
    """A cancel or retry that changed nothing: ``reason``, and ``message`` for a person."""

    def __init__(self, reason: JobRefusalReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def cancel(session: Session, job: Job, *, now: dt.datetime) -> None:
    """Cancel what of ``job`` has not been sent; JobRefused when nothing could be."""
    if not queue.cancel_job(session, job, now=now):
        raise JobRefused(
            JobRefusalReason.NOTHING_TO_CANCEL,
            f"Job {job.public_id} has nothing left to cancel (it is {job.status}).",
        )


def retry(session: Session, job: Job, *, now: dt.datetime) -> None:
    """Queue again what of ``job`` did not succeed, at the end of its tenant's queue; JobRefused (and
    the caller rolls back) when it may not be retried now."""
    if job.status not in RETRYABLE_JOB_STATUSES:
        raise JobRefused(
            JobRefusalReason.NOT_RETRYABLE,
            f"Job {job.public_id} is {job.status}; only a failed, cancelled or unknown-outcome job can be "
            "retried.",
        )
    # Locked (PostgreSQL) before the check: retention skips a job held here, and a retry waits for a
    # batch pruning this job, then sees it pruned.
    session.refresh(job, with_for_update=True)
    if job.payload_pruned_at is not None:
        raise JobRefused(
            JobRefusalReason.PAYLOADS_REMOVED,
            f"Job {job.public_id} cannot be retried: its payloads were removed by retention "
            "(QBBRIDGE_PAYLOAD_RETENTION_DAYS after it ended). Send it again as a new job.",
        )
    if job.depends_on_job_id is not None:
        blocker = session.get(Job, job.depends_on_job_id)
        if blocker is not None and blocker.status in RETRYABLE_JOB_STATUSES:
            raise JobRefused(
                JobRefusalReason.BLOCKER_NOT_DONE,
                f"Job {job.public_id} needs job {blocker.public_id}, which is {blocker.status}: "
                "retry that one first.",
            )
    conflict = queue.retry_job(session, job, now=now)
    if conflict is not None:
        raise JobRefused(
            JobRefusalReason.LINK_TAKEN,
            f"{conflict.entity} {conflict.code} is already {conflict.status} through another job; "
            "nothing to retry here.",
        )
