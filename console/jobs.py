"""The sync log (a tenant's jobs, newest first, filtered and searched), a job's detail with its qbXML,
and retry and cancel with the admin API's rules (``mapping/jobs.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from console import web
from console.qbxml_view import page_of
from console.session import ConsoleSession
from db import audit
from db.models import Job, Link, Step, utcnow
from db.states import RETRYABLE_JOB_STATUSES, JobStatus
from mapping import jobs as job_rules
from mapping.flows import FLOWS
from mapping.retrieval import RETRIEVAL_JOB
from mapping.step_kinds import StepKind

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
SEARCH_MAX = 200
# "Retry all failed" takes this many jobs a click: one transaction stays short whatever the backlog.
RETRY_ALL_MAX = 500
STATUSES = [status.value for status in JobStatus]
FLOW_NAMES: dict[str, str] = {
    **{name: f"{name} → {spec.qb_document}" for name, spec in FLOWS.items()},
    RETRIEVAL_JOB: "Retrieve Orders",
    StepKind.RAW_QBXML.value: "Raw qbXML",
}


class Refused(Exception):
    """An action the rules refuse: raised inside the transaction so that nothing of it stays."""


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def sync_log(
    db: Session, tenant_id: str, filters: dict[str, Any], *, before: int | None
) -> tuple[list[Job], int | None]:
    """A page of the tenant's jobs, newest first, and the next page's cursor (a job's row number)."""
    query = select(Job).where(Job.tenant_id == tenant_id)
    if filters["status"]:
        query = query.where(Job.status == filters["status"])
    if filters["flow"]:
        query = query.where(Job.kind == filters["flow"])
    if filters["since"] is not None:
        query = query.where(Job.created_at >= dt.datetime.combine(filters["since"], dt.time(), dt.UTC))
    if filters["until"] is not None:
        end = dt.datetime.combine(filters["until"] + dt.timedelta(days=1), dt.time(), dt.UTC)
        query = query.where(Job.created_at < end)
    if filters["q"]:
        # Each part reads an index of its own (migration 0012); an OR across them would read every job.
        q = filters["q"]
        found: Any = union_all(
            select(Job.id).where(Job.tenant_id == tenant_id, Job.link_code == q),
            select(Job.id).where(Job.tenant_id == tenant_id, Job.public_id == q),
            select(Link.job_id).where(
                Link.tenant_id == tenant_id, Link.ref_number == q, Link.job_id.is_not(None)
            ),
        )
        query = query.where(Job.id.in_(found))
    if before is not None:
        query = query.where(Job.id < before)
    rows = list(db.scalars(query.order_by(Job.id.desc()).limit(PAGE_SIZE + 1)))
    if len(rows) > PAGE_SIZE:
        return rows[:PAGE_SIZE], rows[PAGE_SIZE - 1].id
    return rows, None


def _filters(status: str, flow: str, since: str, until: str, q: str) -> tuple[dict[str, Any], list[str]]:
    problems = []
    filters: dict[str, Any] = {
        "status": status if status in STATUSES else "",
        "flow": flow if flow in FLOW_NAMES else "",
        "since": _day(web.text_input(since, 20)),
        "until": _day(web.text_input(until, 20)),
        "q": web.text_input(q, SEARCH_MAX),
    }
    if since and filters["since"] is None:
        problems.append(f"'From' must be a date such as 2026-11-30 (got {web.text_input(since, 40)!r}).")
    if until and filters["until"] is None:
        problems.append(f"'To' must be a date such as 2026-11-30 (got {web.text_input(until, 40)!r}).")
    return filters, problems


@router.get("/console/tenants/{tenant_id}/jobs")
async def jobs_page(
    request: Request,
    tenant_id: str,
    status: str = "",
    flow: str = "",
    since: str = "",
    until: str = "",
    q: str = "",
    before: str = "",
) -> Response:
    filters, problems = _filters(status, flow, since, until, q)
    with web.transaction(request) as db:
        who = web.current_session(request, db)
        tenant = web.tenant_for(db, who, tenant_id)
        rows, next_before = sync_log(db, tenant.id, filters, before=web.number(before))
        query = {
            "status": filters["status"],
            "flow": filters["flow"],
            "since": since if filters["since"] else "",
            "until": until if filters["until"] else "",
            "q": filters["q"],
        }
        context = {
            "who": who,
            "tenant": tenant,
            "jobs": rows,
            "filters": query,
            "problems": problems,
            "statuses": STATUSES,
            "flows": FLOW_NAMES,
            "next_before": next_before,
            "first_page": not before,
            "message": web.text_input(request.query_params.get("done", ""), 20),
        }
        return web.page(request, "jobs.html", context, status_code=422 if problems else 200)


def _job_for(db: Session, who: ConsoleSession, job_id: str) -> Job:
    job = db.scalars(select(Job).where(Job.public_id == web.identifier(job_id))).first()
    if job is None or not who.can_see(job.tenant_id):
        raise web.NotFound("No such job.")
    return job


def _job_context(db: Session, who: ConsoleSession, job: Job, request: Request) -> dict[str, Any]:
    steps = list(db.scalars(select(Step).where(Step.job_id == job.id).order_by(Step.position)))
    # ?step=N&part=request|response&page=K pages through one large document; the others start at 1.
    wanted = (
        web.text_input(request.query_params.get("step", ""), 10),
        web.text_input(request.query_params.get("part", ""), 10),
    )
    wanted_page = web.number(request.query_params.get("page", "1")) or 1
    documents = []
    for step in steps:
        shown = {}
        for part in ("request", "response"):
            text = getattr(step, part)
            if text:
                page = wanted_page if wanted == (str(step.position), part) else 1
                shown[part] = page_of(text, page)
        documents.append((step, shown))
    links = list(db.scalars(select(Link).where(Link.job_id == job.id)))
    return {
        "who": who,
        "job": job,
        "tenant": web.tenant_for(db, who, job.tenant_id),
        "documents": documents,
        "links": links,
        "open_part": wanted,
        "flows": FLOW_NAMES,
        "can_retry": job.status in RETRYABLE_JOB_STATUSES,
        "can_cancel": job.status in {JobStatus.QUEUED, JobStatus.IN_FLIGHT},
        "message": {"retried": "retried", "cancelled": "cancelled"}.get(
            request.query_params.get("done", ""), ""
        ),
        "error": None,
    }



def _refusal(change: str, db: Session, job: Job, *, now: dt.datetime) -> str | None:
    """Retry or cancel ``job`` (``change``) with the admin API's rules; None when done, else why not
    (for the page)."""
    try:
        (job_rules.retry if change == "retry" else job_rules.cancel)(db, job, now=now)
    except job_rules.JobRefused as exc:
        return exc.message
    return None

@router.get("/console/jobs/{job_id}")
async def job_page(request: Request, job_id: str) -> Response:
    with web.transaction(request) as db:
        who = web.current_session(request, db)
        job = _job_for(db, who, job_id)
        return web.page(request, "job.html", _job_context(db, who, job, request))


async def _act(request: Request, job_id: str, action: str) -> Response:
    refusal = None
    try:
        with web.transaction(request) as db:
            who = web.current_session(request, db)
            job = _job_for(db, who, job_id)
            await web.check_csrf(request, who)
            refusal = _refusal(action, db, job, now=utcnow())
            if refusal is not None:
                raise Refused(refusal)
            audit.record(
                db, actor=who.actor, action=f"job.{action}", tenant_id=job.tenant_id, job_id=job.public_id
            )
    except Refused:
        pass
    if refusal is None:
        done = "retried" if action == "retry" else "cancelled"
        return web.see_other(f"/console/jobs/{job_id}?done={done}")
    with web.transaction(request) as db:
        who = web.current_session(request, db)
        job = _job_for(db, who, job_id)
        context = _job_context(db, who, job, request)
        context["error"] = refusal
        return web.page(request, "job.html", context, status_code=409)


def _action_route(action: str) -> Callable[[Request, str], Awaitable[Response]]:
    async def act(request: Request, job_id: str) -> Response:
        return await _act(request, job_id, action)

    act.__name__ = action
    return act


for _action in ("retry", "cancel"):
    router.add_api_route(f"/console/jobs/{{job_id}}/{_action}", _action_route(_action), methods=["POST"])


def _failed_ids(db: Session, tenant_id: str) -> list[int]:
    return list(
        db.scalars(
            select(Job.id)
            .where(Job.tenant_id == tenant_id, Job.status == JobStatus.FAILED)
            .order_by(Job.queue_seq)
            .limit(RETRY_ALL_MAX)
        )
    )


@router.get("/console/tenants/{tenant_id}/retry-failed")
async def retry_all_confirm(request: Request, tenant_id: str) -> Response:
    with web.transaction(request) as db:
        who = web.current_session(request, db)
        tenant = web.tenant_for(db, who, tenant_id)
        count = len(_failed_ids(db, tenant.id))
        context = {"who": who, "tenant": tenant, "count": count, "limit": RETRY_ALL_MAX, "results": None}
        return web.page(request, "retry_all.html", context)


@router.post("/console/tenants/{tenant_id}/retry-failed")
async def retry_all(request: Request, tenant_id: str) -> Response:
    """Retry every failed job of the tenant (oldest first, up to ``RETRY_ALL_MAX``); each one a
    refused retry leaves as it was, the others are queued again."""
    with web.transaction(request) as db:
        who, tenant, _ = await web.posted_to_tenant(request, db, tenant_id)
        retried: list[str] = []
        refused: list[tuple[str, str]] = []
        for job_id in _failed_ids(db, tenant.id):
            job = db.get(Job, job_id)
            assert job is not None
            savepoint = db.begin_nested()
            refusal = _refusal("retry", db, job, now=utcnow())
            if refusal is None:
                savepoint.commit()
                retried.append(job.public_id)
            else:
                savepoint.rollback()
                refused.append((job.public_id, refusal))
        audit.record(
            db, actor=who.actor, action="job.retry_all_failed", tenant_id=tenant.id, count=len(retried)
        )
        context = {
            "who": who,
            "tenant": tenant,
            "count": len(retried) + len(refused),
            "limit": RETRY_ALL_MAX,
            "results": {"retried": retried, "refused": refused},
        }
        return web.page(request, "retry_all.html", context)
