"""Which QuickBooks object each Fusion Operations entity became."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Any

from fastapi import Query
from pydantic import Field

from api.auth import DbSession, VisibleTenant
from api.errors import error_responses
from api.models import ApiModel, NextCursor, out_of
from api.paging import Cursor, limit_query, numbered_page
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
    read = partial(link_repo.list_links, session, tenant.id, entity=entity, code=code)
    links, next_cursor = numbered_page(read, cursor, limit)
    items = []
    for link in links:
        job = session.get(Job, link.job_id) if link.job_id is not None else None
        items.append(
            out_of(
                LinkOut,
                link,
                quickbooks_type=link.qb_type,
                job_id=job.public_id if job is not None else None,
            )
        )
    return LinkList(items=items, next_cursor=next_cursor)
