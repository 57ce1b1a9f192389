"""Reading jobs and their steps for people (the admin API): by public id, a tenant's newest first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Job, Step
from db.pages import tenant_rows


def by_public_id(session: Session, public_id: str) -> Job | None:
    return session.scalars(select(Job).where(Job.public_id == public_id)).first()


def steps_of(session: Session, job_id: int) -> list[Step]:
    """The job's steps in order."""
    return list(session.scalars(select(Step).where(Step.job_id == job_id).order_by(Step.position)))


def newest_of_tenant(
    session: Session, tenant_id: str, before_id: int | None, limit: int, *, status: str | None
) -> list[Job]:
    """Up to ``limit`` of the tenant's jobs, newest first, older than row ``before_id`` when given."""
    return tenant_rows(session, Job, tenant_id, before_id, limit, newest_first=True, status=status)


def steps_of_jobs(session: Session, job_ids: list[int]) -> dict[int, list[Step]]:
    """The steps of each of these jobs, in order, read with one statement (not one per job)."""
    found: dict[int, list[Step]] = {job_id: [] for job_id in job_ids}
    if found:
        query = select(Step).where(Step.job_id.in_(job_ids)).order_by(Step.job_id, Step.position)
        for step in session.scalars(query):
            found[step.job_id].append(step)
    return found
