"""Retrying and cancelling a job: what the admin API and the console both offer, with the same rules.

Each answers ``None`` when it was done, else why not, in words for the person who asked (the API
turns that into a 409, the console shows it).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from db import queue
from db.models import Job

RETRYABLE = frozenset({"failed", "cancelled", "unknown_outcome"})


def retry_refusal(session: Session, job: Job, *, now: dt.datetime) -> str | None:
    """Queue again what did not succeed, at the end of the tenant's queue as it is now; or why not.

    Refused, changing nothing: a job that is not failed, cancelled or of unknown outcome; a job that
    needs another job that itself ended badly; an entity another job has sent meanwhile.
    """
    if job.status not in RETRYABLE:
        return (
            f"Job {job.public_id} is {job.status}; only a failed, cancelled or unknown-outcome job can be "
            "retried."
        )
    if job.depends_on_job_id is not None:
        blocker = session.get(Job, job.depends_on_job_id)
        if blocker is not None and blocker.status in RETRYABLE:
            return (
                f"Job {job.public_id} needs job {blocker.public_id}, which is {blocker.status}: retry that "
                "one first."
            )
    conflict = queue.retry_job(session, job, now=now)
    if conflict is not None:
        return (
            f"{conflict.entity} {conflict.code} is already {conflict.status} through another job; "
            "nothing to retry here."
        )
    return None


def cancel_refusal(session: Session, job: Job, *, now: dt.datetime) -> str | None:
    """Cancel what has not been sent yet; or why nothing was cancelled."""
    if not queue.cancel_job(session, job, now=now):
        return f"Job {job.public_id} has nothing left to cancel (it is {job.status})."
    return None
