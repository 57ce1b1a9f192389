"""Which QuickBooks object each Fusion Operations entity became."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from api.auth import CurrentPrincipal, DbSession, tenant_or_404
from api.models import ApiModel
from db import links as link_repo
from db.models import Job

router = APIRouter(prefix="/api/v1/tenants/{tenant_id}/links", tags=["links"])


class LinkOut(ApiModel):
    entity: str = Field(description="salesOrder, purchaseOrder, receiving, shipping, productionOrder, …")
    code: str
    status: str = Field(description="pending (being sent) or linked (in QuickBooks)")
    quickbooks_type: str | None
    txn_id: str | None
    list_id: str | None
    ref_number: str | None
    job_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class LinkList(ApiModel):
    items: list[LinkOut]


@router.get("", response_model=LinkList)
def list_links(
    tenant_id: str,
    session: DbSession,
    principal: CurrentPrincipal,
    entity: Annotated[str | None, Query(description="Only this entity type")] = None,
    code: Annotated[str | None, Query(description="Only this entity code")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    tenant = tenant_or_404(session, principal, tenant_id)
    items = []
    for link in link_repo.list_links(session, tenant.id, entity=entity, code=code, limit=limit):
        job = session.get(Job, link.job_id) if link.job_id is not None else None
        items.append(
            LinkOut(
                entity=link.entity,
                code=link.code,
                status=link.status,
                quickbooks_type=link.qb_type,
                txn_id=link.txn_id,
                list_id=link.list_id,
                ref_number=link.ref_number,
                job_id=job.public_id if job is not None else None,
                created_at=link.created_at,
                updated_at=link.updated_at,
            )
        )
    return LinkList(items=items)
