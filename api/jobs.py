"""Jobs: queue raw qbXML, read a job with its steps, list a tenant's jobs, cancel."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import Body, HTTPException, Query, status
from sqlalchemy.orm import Session

from api import examples
from api.auth import CurrentPrincipal, DbSession, OnTenant, Principal, VisibleTenant
from api.errors import error_responses
from api.models import JobAccepted, JobList, JobOut, JobStatusName, RawQbxmlCreate, StepOut, out_of
from api.paging import Cursor, limit_query, numbered_page
from api.params import JobId
from api.routing import api_router
from db import audit
from db import jobs as job_repo
from db.models import Job, Step, utcnow
from mapping import jobs as job_rules
from mapping.sending import DISABLED_TENANT

router = api_router(tags=["jobs"])
NOT_FOUND = error_responses(404)
CONFLICT = error_responses(404, 409)


def job_out(session: Session, job: Job, steps: list[Step] | None = None) -> JobOut:
    if steps is None:
        steps = job_repo.steps_of(session, job.id)
    return out_of(
        JobOut,
        job,
        id=job.public_id,
        warnings=job.warnings or [],
        result=job.result or {},
        payloads_removed_at=job.payload_pruned_at,
        steps=[out_of(StepOut, s, result=s.result or {}) for s in steps],
    )


def _refusal(exc: job_rules.JobRefused) -> HTTPException:
    # Every refusal of a cancel or retry is about the job's state, not the request: a conflict.
    return HTTPException(status.HTTP_409_CONFLICT, exc.message)


def job_or_404(session: Session, principal: Principal, job_id: str) -> Job:
    job = job_repo.by_public_id(session, job_id)
    if job is None or not principal.can_see(job.tenant_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No job with id {job_id!r}.")
    return job


@router.post(
    "/api/v1/tenants/{tenant_id}/qbxml",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
    responses=error_responses(
        404,
        e409="The tenant is disabled; nothing is queued until it is enabled again.",
        e422="The qbXML is malformed; nothing was queued.",
    ),
)
async def queue_raw_qbxml(
    call: OnTenant, body: Annotated[RawQbxmlCreate, Body(examples=[examples.RAW_QBXML])]
) -> JobAccepted:
    """Queue a raw qbXML request message set, sent as given (with our requestIDs)."""
    if call.tenant.disabled_at is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, DISABLED_TENANT)
    try:
        job = job_rules.queue_raw_qbxml(call.session, tenant_id=call.tenant.id, qbxml=body.qbxml)
    except job_rules.RawQbxmlError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"loc": ["body", "qbxml"], "msg": str(exc), "type": "qbxml_invalid"}],
        ) from exc
    call.audit("job.queue", job_id=job.public_id)
    return JobAccepted(job_id=job.public_id)


def _change(session: Session, principal: Principal, job_id: str, change: str) -> Job:
    """Cancel or retry (``change``) the caller's job with the job rules, audited; refused as 404 or 409."""
    job = job_or_404(session, principal, job_id)
    try:
        (job_rules.cancel if change == "cancel" else job_rules.retry)(session, job, now=utcnow())
    except job_rules.JobRefused as exc:
        # Raising rolls back the transaction: nothing of the change stays.
        raise _refusal(exc) from exc
    audit.record(
        session, actor=principal.actor, action=f"job.{change}", tenant_id=job.tenant_id, job_id=job.public_id
    )
    return job


@router.get("/api/v1/jobs/{job_id}", response_model=JobOut, responses=NOT_FOUND)
async def get_job(job_id: JobId, session: DbSession, principal: CurrentPrincipal) -> JobOut:
    return job_out(session, job_or_404(session, principal, job_id))


@router.post("/api/v1/jobs/{job_id}/cancel", response_model=JobOut, responses=CONFLICT)
async def cancel_job(job_id: JobId, session: DbSession, principal: CurrentPrincipal) -> JobOut:
    """Cancel what has not been sent yet. A job already sent, or finished, cannot be cancelled (409)."""
    return job_out(session, _change(session, principal, job_id, "cancel"))


@router.post("/api/v1/jobs/{job_id}/retry", response_model=JobOut, responses=CONFLICT)
async def retry_job(job_id: JobId, session: DbSession, principal: CurrentPrincipal) -> JobOut:
    """Queue again what did not succeed (failed, cancelled, or unknown outcome), at the end of the
    tenant's queue as it is now. Steps that succeeded are not repeated; an unknown outcome is first
    checked against QuickBooks when possible."""
    job = _change(session, principal, job_id, "retry")
    session.refresh(job)
    return job_out(session, job)


@router.get("/api/v1/tenants/{tenant_id}/jobs", response_model=JobList, responses=NOT_FOUND)
async def list_jobs(
    tenant: VisibleTenant,
    session: DbSession,
    status_filter: Annotated[JobStatusName | None, Query(alias="status")] = None,
    # Jobs carry their steps' qbXML, so their pages are smaller than other lists'.
    limit: Annotated[int, limit_query(200)] = 50,
    cursor: Cursor = None,
) -> JobList:
    """The tenant's jobs, newest first."""
    read = partial(job_repo.newest_of_tenant, session, tenant.id, status=status_filter)
    jobs, next_cursor = numbered_page(read, cursor, limit)
    steps = job_repo.steps_of_jobs(session, [job.id for job in jobs])
    return JobList(items=[job_out(session, j, steps[j.id]) for j in jobs], next_cursor=next_cursor)
