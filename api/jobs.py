"""Jobs: queue raw qbXML, read a job with its steps, list a tenant's jobs, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, HTTPException, Query, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import examples
from api.auth import CurrentPrincipal, DbSession, Principal, tenant_or_404
from api.errors import error_responses
from api.models import JobAccepted, JobList, JobOut, JobStatusName, RawQbxmlCreate, StepOut
from api.paging import Cursor, limit_query, one_page, row_number
from api.params import JobId, TenantId
from api.routing import api_router
from db import audit, queue
from db.models import Job, Step, utcnow
from mapping import job_actions
from mapping.sending import DISABLED_TENANT
from mapping.steps import RAW_QBXML
from requests_builder.raw import RawQbxmlError, check_raw_qbxml

router = api_router(tags=["jobs"])
NOT_FOUND = error_responses(404)
CONFLICT = error_responses(404, 409)


def steps_of(session: Session, jobs: list[Job]) -> dict[int, list[Step]]:
    """The steps of these jobs, in position order, read with one statement (not one per job)."""
    found: dict[int, list[Step]] = {job.id: [] for job in jobs}
    if found:
        query = select(Step).where(Step.job_id.in_(list(found))).order_by(Step.job_id, Step.position)
        for step in session.scalars(query):
            found[step.job_id].append(step)
    return found


def job_out(session: Session, job: Job, steps: list[Step] | None = None) -> JobOut:
    if steps is None:
        steps = steps_of(session, [job])[job.id]
    return JobOut(
        id=job.public_id,
        tenant_id=job.tenant_id,
        kind=job.kind,
        status=job.status,  # type: ignore[arg-type]
        error=job.error,
        warnings=job.warnings or [],
        created_at=job.created_at,
        updated_at=job.updated_at,
        finished_at=job.finished_at,
        result=job.result or {},
        steps=[
            StepOut(
                position=s.position,
                kind=s.kind,
                state=s.state,  # type: ignore[arg-type]
                request=s.request,
                response=s.response,
                status_code=s.status_code,
                status_severity=s.status_severity,
                status_message=s.status_message,
                hresult=s.hresult,
                error=s.error,
                attempts=s.attempts,
                claimed_at=s.claimed_at,
                completed_at=s.completed_at,
                result=s.result or {},
            )
            for s in steps
        ],
    )


def job_or_404(session: Session, principal: Principal, job_id: str) -> Job:
    job = session.scalars(select(Job).where(Job.public_id == job_id)).first()
    if job is None or not principal.can_see(job.tenant_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No job with id {job_id!r}.")
    return job


@router.post(
    "/api/v1/tenants/{tenant_id}/qbxml",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
    responses=error_responses(404, 422, e422="The qbXML is malformed; nothing was queued."),
)
async def queue_raw_qbxml(
    tenant_id: TenantId,
    body: Annotated[RawQbxmlCreate, Body(examples=[examples.RAW_QBXML])],
    session: DbSession,
    principal: CurrentPrincipal,
) -> JobAccepted:
    """Queue a raw qbXML request message set, sent as given (with our requestIDs)."""
    tenant = tenant_or_404(session, principal, tenant_id)
    if tenant.disabled_at is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, DISABLED_TENANT)
    try:
        check = check_raw_qbxml(body.qbxml)
    except RawQbxmlError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"loc": ["body", "qbxml"], "msg": str(exc), "type": "qbxml_invalid"}],
        ) from exc
    job = queue.enqueue(
        session,
        tenant_id=tenant.id,
        kind=RAW_QBXML,
        payload={"requestTypes": check.request_types},
        steps=[queue.NewStep(kind=RAW_QBXML, intent={"qbxml": body.qbxml})],
    )
    audit.record(
        session, actor=principal.actor, action="job.queue", tenant_id=tenant.id, job_id=job.public_id
    )
    return JobAccepted(job_id=job.public_id)


@router.get("/api/v1/jobs/{job_id}", response_model=JobOut, responses=NOT_FOUND)
async def get_job(job_id: JobId, session: DbSession, principal: CurrentPrincipal) -> JobOut:
    return job_out(session, job_or_404(session, principal, job_id))


@router.post("/api/v1/jobs/{job_id}/cancel", response_model=JobOut, responses=CONFLICT)
async def cancel_job(job_id: JobId, session: DbSession, principal: CurrentPrincipal) -> JobOut:
    """Cancel what has not been sent yet. A job already sent, or finished, cannot be cancelled (409)."""
    job = job_or_404(session, principal, job_id)
    refusal = job_actions.cancel_refusal(session, job, now=utcnow())
    if refusal is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, refusal)
    audit.record(
        session, actor=principal.actor, action="job.cancel", tenant_id=job.tenant_id, job_id=job.public_id
    )
    return job_out(session, job)


@router.post("/api/v1/jobs/{job_id}/retry", response_model=JobOut, responses=CONFLICT)
async def retry_job(job_id: JobId, session: DbSession, principal: CurrentPrincipal) -> JobOut:
    """Queue again what did not succeed (failed, cancelled, or unknown outcome), at the end of the
    tenant's queue as it is now. Steps that succeeded are not repeated; an unknown outcome is first
    checked against QuickBooks when possible."""
    job = job_or_404(session, principal, job_id)
    refusal = job_actions.retry_refusal(session, job, now=utcnow())
    if refusal is not None:
        # Raising rolls back the transaction: nothing of the retry stays.
        raise HTTPException(status.HTTP_409_CONFLICT, refusal)
    audit.record(
        session, actor=principal.actor, action="job.retry", tenant_id=job.tenant_id, job_id=job.public_id
    )
    session.refresh(job)
    return job_out(session, job)


@router.get("/api/v1/tenants/{tenant_id}/jobs", response_model=JobList, responses=NOT_FOUND)
async def list_jobs(
    tenant_id: TenantId,
    session: DbSession,
    principal: CurrentPrincipal,
    status_filter: Annotated[JobStatusName | None, Query(alias="status")] = None,
    # Jobs carry their steps' qbXML, so their pages are smaller than other lists'.
    limit: Annotated[int, limit_query(200)] = 50,
    cursor: Cursor = None,
) -> JobList:
    """The tenant's jobs, newest first."""
    tenant = tenant_or_404(session, principal, tenant_id)
    query = select(Job).where(Job.tenant_id == tenant.id)
    if status_filter is not None:
        query = query.where(Job.status == status_filter)
    if cursor is not None:
        query = query.where(Job.id < row_number(cursor))
    rows = list(session.scalars(query.order_by(Job.id.desc()).limit(limit + 1)))
    jobs, next_cursor = one_page(rows, limit, lambda job: str(job.id))
    steps = steps_of(session, jobs)
    return JobList(items=[job_out(session, j, steps[j.id]) for j in jobs], next_cursor=next_cursor)
