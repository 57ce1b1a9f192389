"""Tenants, their Web Connector credentials, the .qwc file and what we know of their connection."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, HTTPException, Query, Request, Response, status
from sqlalchemy import func, select

from api import examples
from api.auth import AdminPrincipal, CurrentPrincipal, DbSession, OnTenant, VisibleTenant, tenant_or_404
from api.errors import error_responses
from api.models import (
    ApiKeyCreate,
    ApiKeyOut,
    ConnectionOut,
    TenantCreate,
    TenantList,
    TenantOut,
    TokenOut,
    out_of,
)
from api.paging import Cursor, limit_query, one_page, refuse_cursor
from api.params import TenantId
from api.routing import api_router
from db import audit
from db import tenants as tenant_repo
from db.models import Tenant, WcSession, utcnow
from db.states import SessionState
from mapping.fields import SafeText
from mapping.qwc import QwcError, download_for

router = api_router(prefix="/api/v1/tenants", tags=["tenants"])
NOT_FOUND = error_responses(404)


def tenant_out(tenant: Tenant) -> TenantOut:
    return TenantOut(
        id=tenant.id,
        name=tenant.name,
        qbwc_username=tenant.qbwc_username,
        file_id=tenant.file_id,
        has_token=tenant.token_digest is not None,
        token_created_at=tenant.token_created_at,
        company_file=tenant.bound_company_file or "",
        company_name=tenant.bound_company_name,
        disabled=tenant.disabled_at is not None,
        disabled_at=tenant.disabled_at,
        created_at=tenant.created_at,
    )


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=TenantOut, responses=error_responses(403)
)
async def create_tenant(
    body: Annotated[TenantCreate, Body(examples=[examples.TENANT])],
    session: DbSession,
    principal: AdminPrincipal,
) -> TenantOut:
    """A new tenant; its name is trimmed and must not be empty."""
    tenant = tenant_repo.create_tenant(session, body.name)
    audit.record(
        session, actor=principal.actor, action="tenant.create", tenant_id=tenant.id, name=tenant.name
    )
    return tenant_out(tenant)


@router.get("", response_model=TenantList)
async def list_tenants(
    session: DbSession,
    principal: CurrentPrincipal,
    limit: Annotated[int, limit_query(500)] = 100,
    cursor: Cursor = None,
    name: Annotated[
        SafeText | None,
        Query(min_length=1, max_length=200, description="Only tenants whose name contains this (any case)."),
    ] = None,
) -> TenantList:
    """Tenants in the order they were created (a tenant's API key sees its own only)."""
    only = None if principal.is_admin else principal.tenant_id
    rows = tenant_repo.list_tenants(session, only_id=only, after_id=cursor, limit=limit + 1, name=name)
    if rows is None:
        assert cursor is not None
        raise refuse_cursor(cursor)
    tenants, next_cursor = one_page(rows, limit, lambda tenant: tenant.id)
    return TenantList(items=[tenant_out(t) for t in tenants], next_cursor=next_cursor)


@router.get("/{tenant_id}", response_model=TenantOut, responses=NOT_FOUND)
async def get_tenant(tenant_id: TenantId, session: DbSession, principal: CurrentPrincipal) -> TenantOut:
    return tenant_out(tenant_or_404(session, principal, tenant_id))


@router.post(
    "/{tenant_id}/token", status_code=status.HTTP_201_CREATED, response_model=TokenOut, responses=NOT_FOUND
)
async def generate_token(call: OnTenant) -> TokenOut:
    """A new Web Connector password. The previous one stops working and its open sessions end."""
    token = tenant_repo.issue_token(call.session, call.tenant)
    call.audit("tenant.token.generate")
    return TokenOut(token=token)


@router.post(
    "/{tenant_id}/api-keys",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyOut,
    responses=NOT_FOUND,
)
async def create_api_key(
    call: OnTenant, body: Annotated[ApiKeyCreate, Body(examples=[examples.API_KEY])]
) -> ApiKeyOut:
    """An API key that reaches only this tenant."""
    record, key = tenant_repo.create_api_key(call.session, call.tenant, body.name)
    call.audit("tenant.api_key.create", key_id=record.id)
    return ApiKeyOut(
        id=record.id,
        tenant_id=record.tenant_id,
        name=record.name,
        prefix=record.prefix,
        key=key,
        created_at=record.created_at,
    )


@router.get(
    "/{tenant_id}/qwc",
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {}}, "description": "The .qwc file, as an attachment."},
        **error_responses(404, e409="The service's public URL cannot be used by the Web Connector."),
    },
)
async def download_qwc(tenant: VisibleTenant, request: Request) -> Response:
    settings = request.app.state.settings
    try:
        body, filename = download_for(tenant, settings, now=utcnow())
    except QwcError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return Response(
        body,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/{tenant_id}/connection", response_model=ConnectionOut, responses=NOT_FOUND)
async def get_connection(tenant: VisibleTenant, session: DbSession) -> ConnectionOut:
    """What we know of the customer's Web Connector and QuickBooks, from their last calls."""
    open_sessions = session.scalar(
        select(func.count())
        .select_from(WcSession)
        .where(WcSession.tenant_id == tenant.id, WcSession.state == SessionState.OPEN)
    )
    return out_of(
        ConnectionOut,
        tenant,
        tenant_id=tenant.id,
        web_connector_version=tenant.qbwc_version,
        company_file=tenant.connected_company_file,
        quickbooks_product=tenant.qb_product,
        country=tenant.qb_country,
        open_sessions=int(open_sessions or 0),
    )
