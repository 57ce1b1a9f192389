"""One log line for the operator per job that ends failed or with an unknown outcome.

A job's status is derived in one place (``db/queue/settle.py``: ``_after_job_update``), whatever moved its
steps: an answer, a refusal to render, a session that ended with a request out, a job it waited for
that failed. That place notes the job here when its status has just become ``failed`` or
``unknown_outcome``; the line is written once the transaction commits (a rolled-back one ended
nothing), with the tenant, the job's public id and the plain-language reason, on one line of
bounded length. The reason is the job's error, written for a person: never a request or response
body, nor any secret.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from db import transaction
from db.transaction import Work

log = logging.getLogger("qbbridge.jobs")

MAX_REASON = 300
_PENDING = "qbbridge.ended_jobs"
_NOT_PRINTABLE = re.compile(r"[\x00-\x1f\x7f]+")


def one_line(text: str | None, limit: int = MAX_REASON) -> str:
    """``text`` on one line (control characters and runs of spaces become one space), cut to
    ``limit`` characters with an ellipsis."""
    flat = " ".join(_NOT_PRINTABLE.sub(" ", text or "").split())
    if not flat:
        return "no reason was recorded"
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class EndedJob:
    tenant_id: str
    public_id: str
    kind: str
    status: str
    reason: str


def note_job_ended(work: Work, job: EndedJob) -> None:
    work.info.setdefault(_PENDING, []).append(job)


def _describe(job: EndedJob) -> str:
    what = "failed" if job.status == "failed" else "ended with an unknown outcome"
    return f"job {what}: tenant {job.tenant_id} job {job.public_id} ({job.kind}): {one_line(job.reason)}"


@event.listens_for(Session, "after_commit")
def _write_committed(session: Session) -> None:
    _write(session.info)


def _write(info: dict[Any, Any]) -> None:
    for job in info.pop(_PENDING, ()):
        log.warning("%s", _describe(job), extra={"tenant_id": job.tenant_id, "job_id": job.public_id})


transaction.after_commit(_write)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session, *_: Any) -> None:
    session.info.pop(_PENDING, None)
