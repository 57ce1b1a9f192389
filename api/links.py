"""Which QuickBooks object each Fusion Operations entity became."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Query
from pydantic import Field

from api.auth import DbSession, VisibleTenant
from api.errors import error_responses
from api.models import ApiModel, NextCursor
from api.paging import Cursor, limit_query, one_page, row_number
from api.routing import api_router
from db import links as link_repo
from db.models import Job
from mapping.fields import SafeText

router = api_router(prefix="/api/v1/tenants/{tenant_id}/links", tags=["links"])


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
    next_cursor: NextCursor = None


@router.get("", response_model=LinkList, responses=error_responses(404))
async def list_links(
    tenant: VisibleTenant,
    session: DbSession,
    entity: Annotated[SafeText | None, Query(max_length=64, description="Only this entity type")] = None,
    code: Annotated[SafeText | None, Query(max_length=255, description="Only this entity code")] = None,
    limit: Annotated[int, limit_query(500)] = 100,
    cursor: Cursor = None,
) -> Any:
    """Which QuickBooks object each Fusion Operations entity became, newest first."""
    rows = link_repo.list_links(
        session,
        tenant.id,
        entity=entity,
        code=code,
        before_id=row_number(cursor) if cursor is not None else None,
        limit=limit + 1,
    )
    links, next_cursor = one_page(rows, limit, lambda link: str(link.id))
    items = []
    for link in links:
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
    return LinkList(items=items, next_cursor=next_cursor)
