"""What retrievals brought from QuickBooks: skipped ones and why, delivery to Fusion Operations, and
acknowledging them by hand."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from console import web
from db import audit
from db import imports as import_repo
from db.models import Import, utcnow

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
STATUSES = ("pending", "delivered", "acknowledged", "skipped")
ENTITIES = ("salesOrder", "purchaseOrder", "product")


@router.get("/console/tenants/{tenant_id}/imports")
async def imports_page(
    request: Request, tenant_id: str, status: str = "", entity: str = "", before: str = ""
) -> Response:
    status = status if status in STATUSES else ""
    entity = entity if entity in ENTITIES else ""
    with web.transaction(request) as db:
        who = web.current_session(request, db)
        tenant = web.tenant_for(db, who, tenant_id)
        query = select(Import).where(Import.tenant_id == tenant.id)
        if status:
            query = query.where(Import.status == status)
        if entity:
            query = query.where(Import.entity == entity)
        cursor = web.number(before)
        if cursor is not None:
            query = query.where(Import.id < cursor)
        rows = list(db.scalars(query.order_by(Import.id.desc()).limit(PAGE_SIZE + 1)))
        next_before = rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None
        context = {
            "who": who,
            "tenant": tenant,
            "imports": rows[:PAGE_SIZE],
            "status": status,
            "entity": entity,
            "statuses": STATUSES,
            "entities": ENTITIES,
            "next_before": next_before,
            "first_page": cursor is None,
            "message": str(web.number(request.query_params.get("done", "")) or ""),
        }
        return web.page(request, "imports.html", context)


@router.post("/console/tenants/{tenant_id}/imports/ack")
async def acknowledge(request: Request, tenant_id: str) -> Response:
    with web.transaction(request) as db:
        who, tenant, form = await web.posted_to_tenant(request, db, tenant_id)
        chosen = form.get("ids") or []
        ids = [web.identifier(value) for value in (chosen if isinstance(chosen, list) else [chosen])][
            :PAGE_SIZE
        ]
        if ids:
            import_repo.acknowledge(db, tenant.id, ids, now=utcnow())
            audit.record(db, actor=who.actor, action="imports.ack", tenant_id=tenant.id, count=len(ids))
    return web.see_other(f"/console/tenants/{tenant_id}/imports?done={len(ids)}")
