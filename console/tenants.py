"""The Tenants page (search, paging, each tenant at a glance) and a tenant's own page (connection,
``.qwc``, a new Web Connector token shown once)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from console import web
from console.session import ConsoleSession
from db import audit, tenant_life
from db import tenants as tenant_repo
from db.models import Job, Tenant, WcSession, utcnow
from db.states import SessionState
from mapping import setup
from mapping.qwc import QwcError, download_for

router = APIRouter(include_in_schema=False)
# The spec's five setup steps, as its help-center article names them.
STEP_TITLES = {
    "installConnector": "Install the Web Connector and add the .qwc file",
    "generateToken": "Token",
    "testConnection": "Test Connection",
    "requestAccess": "Authorize (QuickBooks' access prompt)",
    "testAccess": "Confirm (test access)",
}
# The same steps in a word or two, for the Tenants list's progress column.
STEP_SHORT = {
    "installConnector": "Install",
    "generateToken": "Token",
    "testConnection": "Test Connection",
    "requestAccess": "Authorize",
    "testAccess": "Confirm",
}
STATUS_WORDS = {
    setup.NOT_STARTED: "not started",
    setup.PENDING: "waiting",
    setup.DONE: "done",
    setup.FAILED: "failed",
}
PAGE_SIZE = 50
SEARCH_MAX = 200
DISABLED = "This tenant is disabled: enable it first."
# Jobs that need someone: failed, or waiting for a person to check QuickBooks (unknown outcome).
NEEDS_ATTENTION = ("failed", "unknown_outcome")


def attention_counts(db: Session, tenant_ids: list[str]) -> dict[str, dict[str, int]]:
    """Failed and unknown-outcome jobs per tenant, for a page of tenants: one grouped statement."""
    counts: dict[str, dict[str, int]] = {t: dict.fromkeys(NEEDS_ATTENTION, 0) for t in tenant_ids}
    if tenant_ids:
        rows = db.execute(
            select(Job.tenant_id, Job.status, func.count())
            .where(Job.tenant_id.in_(tenant_ids), Job.status.in_(NEEDS_ATTENTION))
            .group_by(Job.tenant_id, Job.status)
        )
        for tenant_id, status, count in rows:
            counts[tenant_id][status] = int(count)
    return counts


def progress_of(steps: list[setup.SetupStep]) -> dict[str, Any]:
    """How far setup got (steps done, of five) and the first step not done, with its status."""
    upcoming = next((step for step in steps if step.status != setup.DONE), None)
    return {
        "done": sum(step.status == setup.DONE for step in steps),
        "of": len(steps),
        "next": STEP_SHORT[upcoming.key] if upcoming else None,
        "status": upcoming.status if upcoming else setup.DONE,
    }


def tenants_page(
    db: Session, who: ConsoleSession, *, search: str, after: str | None
) -> tuple[list[Tenant], str | None]:
    """A page of tenants in name order (a tenant key sees its own), and the next page's cursor."""
    query = select(Tenant)
    if not who.is_admin:
        query = query.where(Tenant.id == who.tenant_id)
    if search:
        query = query.where(func.lower(Tenant.name).contains(search.lower(), autoescape=True))
    if after:
        last = db.get(Tenant, after)
        if last is not None:
            query = query.where(
                or_(Tenant.name > last.name, and_(Tenant.name == last.name, Tenant.id > last.id))
            )
    rows = list(db.scalars(query.order_by(Tenant.name, Tenant.id).limit(PAGE_SIZE + 1)))
    if len(rows) > PAGE_SIZE:
        return rows[:PAGE_SIZE], rows[PAGE_SIZE - 1].id
    return rows, None


@router.get("/console")
async def console_home(request: Request) -> Response:
    return web.see_other("/console/tenants")


@router.get("/console/tenants")
async def tenants(request: Request, q: str = "", after: str = "") -> Response:
    search = web.text_input(q, SEARCH_MAX)
    after = web.identifier(after)
    with web.transaction(request) as db:
        who = web.current_session(request, db)
        rows, next_after = tenants_page(db, who, search=search, after=after)
        counts = attention_counts(db, [tenant.id for tenant in rows])
        progress = {tenant_id: progress_of(steps) for tenant_id, steps in setup.checklists(db, rows).items()}
        context: dict[str, Any] = {
            "who": who,
            "tenants": rows,
            "counts": counts,
            "progress": progress,
            "status_words": STATUS_WORDS,
            "search": search,
            "next_after": next_after,
            "first_page": not after,
        }
        return web.page(request, "tenants.html", context)


def connection_of(db: Session, tenant: Tenant) -> dict[str, Any]:
    open_sessions = db.scalar(
        select(func.count())
        .select_from(WcSession)
        .where(WcSession.tenant_id == tenant.id, WcSession.state == SessionState.OPEN)
    )
    counts = attention_counts(db, [tenant.id])[tenant.id]
    return {"open_sessions": int(open_sessions or 0), "counts": counts}


def _tenant_context(request: Request, db: Session, who: ConsoleSession, tenant: Tenant) -> dict[str, Any]:
    settings = request.app.state.settings
    return {
        "who": who,
        "tenant": tenant,
        "connection": connection_of(db, tenant),
        "qbwc_url": settings.qbwc_url,
        "support_url": settings.support_url,
        "token": None,
        "checklist": [(STEP_TITLES[step.key], step) for step in setup.checklist(db, tenant)],
        "status_words": STATUS_WORDS,
        "error": None,
        "message": None,
    }


@router.get("/console/tenants/{tenant_id}")
async def tenant_page(request: Request, tenant_id: str) -> Response:
    with web.transaction(request) as db:
        who = web.current_session(request, db)
        tenant = web.tenant_for(db, who, tenant_id)
        return web.page(request, "tenant.html", _tenant_context(request, db, who, tenant))


@router.post("/console/tenants/{tenant_id}/token")
async def new_token(request: Request, tenant_id: str) -> Response:
    """A new Web Connector password, shown once on the page this answers (never in a URL)."""
    with web.transaction(request) as db:
        who, tenant, _ = await web.posted_to_tenant(request, db, tenant_id)
        token = tenant_repo.issue_token(db, tenant)
        audit.record(db, actor=who.actor, action="tenant.token.generate", tenant_id=tenant.id)
        context = _tenant_context(request, db, who, tenant)
        context["token"] = token
        return web.page(request, "tenant.html", context)


@router.get("/console/tenants/{tenant_id}/qwc")
async def download_qwc(request: Request, tenant_id: str) -> Response:
    settings = request.app.state.settings
    with web.transaction(request) as db:
        who = web.current_session(request, db)
        tenant = web.tenant_for(db, who, tenant_id)
        try:
            body, filename = download_for(tenant, settings, now=utcnow())
        except QwcError as exc:
            context = _tenant_context(request, db, who, tenant)
            context["error"] = f"The .qwc file cannot be made: {exc}"
            return web.page(request, "tenant.html", context, status_code=409)
    return Response(
        body,
        media_type="application/xml",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            **web.NO_STORE,
        },
    )


async def tenant_action(request: Request, tenant_id: str, action: str) -> Response:
    """Test access, disconnect, disable and enable, with the admin API's rules (``api/onboarding.py``);
    disabling and enabling need the admin key, as there."""
    with web.transaction(request) as db:
        who, tenant, _ = await web.posted_to_tenant(request, db, tenant_id)
        now = utcnow()
        error = message = None
        if action == "test-access":
            if tenant.disabled_at is not None:
                error = DISABLED
            else:
                try:
                    setup.queue_test_access(db, tenant, actor=who.actor)
                except setup.SetupOrderError as exc:
                    error = str(exc)
                else:
                    message = "Access test queued: it runs at the Web Connector's next update."
        elif action == "disconnect":
            if tenant_life.disconnect(db, tenant, now):
                audit.record(db, actor=who.actor, action="tenant.disconnect", tenant_id=tenant.id)
            message = "Disconnected: the token and its sessions ended and the company file is forgotten."
        elif not who.is_admin:
            error = "Disabling and enabling a tenant needs the service's admin key."
        else:
            disable = action == "disable"
            if (tenant.disabled_at is None) == disable:
                tenant_life.set_disabled(db, tenant, disable, now)
                audit.record(db, actor=who.actor, action=f"tenant.{action}", tenant_id=tenant.id)
            message = "Disabled: nothing is sent or retrieved until it is enabled." if disable else "Enabled."
        context = _tenant_context(request, db, who, tenant)
        context["error"] = error
        context["message"] = message
        return web.page(request, "tenant.html", context, status_code=409 if error else 200)


def _action_route(action: str) -> Callable[[Request, str], Awaitable[Response]]:
    async def act(request: Request, tenant_id: str) -> Response:
        return await tenant_action(request, tenant_id, action)

    act.__name__ = action.replace("-", "_")
    return act


# One form a button of the tenant page: each posts to its own address.
for _action in ("test-access", "disconnect", "disable", "enable"):
    router.add_api_route(
        f"/console/tenants/{{tenant_id}}/{_action}", _action_route(_action), methods=["POST"]
    )
