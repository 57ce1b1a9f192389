"""Onboarding and the tenant's life: the setup checklist, the access test, the company-file binding,
disconnecting, disabling, deleting, editing, and the tenant's API keys (docs/onboarding.md)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Body, HTTPException, Path, Response, status
from pydantic import ConfigDict, Field

from api.auth import DbSession, OnTenant, OnTenantAsAdmin, VisibleTenant
from api.errors import error_responses
from api.models import ApiModel, JobAccepted, TenantOut
from api.params import ID_MAX
from api.routing import api_router
from api.tenants import tenant_out
from db import tenant_life
from db.models import Tenant, utcnow
from mapping import setup
from mapping.fields import SafeText
from mapping.sending import DISABLED_TENANT

router = api_router(prefix="/api/v1/tenants", tags=["onboarding"])
NOT_FOUND = error_responses(404)

KeyId = Annotated[SafeText, Path(max_length=ID_MAX, description="The API key's id.")]


class SetupStepOut(ApiModel):
    key: str = Field(
        description="installConnector, generateToken, testConnection, requestAccess or testAccess."
    )
    status: str = Field(description="notStarted, pending, done or failed.")
    detail: str = Field(description="Plain language: what happened, and what the person should do next.")
    at: dt.datetime | None = Field(description="When the step reached this status.")


class SetupOut(ApiModel):
    steps: list[SetupStepOut]
    ready: bool = Field(description="Every step is done.")


class TenantPatch(ApiModel):
    # A misspelt field would otherwise change nothing and answer 200.
    model_config = ConfigDict(**ApiModel.model_config, extra="forbid")

    name: Annotated[SafeText, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="The customer's name (trimmed; 1 to 200 characters)."
    )


class BindingReplace(ApiModel):
    model_config = ConfigDict(**ApiModel.model_config, extra="forbid")

    company_file: Annotated[SafeText, Field(min_length=3, max_length=1000)] = Field(
        description="The company file's new full path, as QuickBooks shows it.",
        examples=["D:\\QuickBooks\\Acme Manufacturing.qbw"],
    )


class ApiKeyListed(ApiModel):
    id: str
    name: str
    prefix: str = Field(
        description="The key's first characters, to recognise it; the key is never shown again."
    )
    created_at: dt.datetime
    last_used_at: dt.datetime | None = Field(description="To the minute; null when it was never used.")


class ApiKeyList(ApiModel):
    items: list[ApiKeyListed]


def _tenant_out(tenant: Tenant) -> TenantOut:
    return tenant_out(tenant)


@router.get("/{tenant_id}/setup", response_model=SetupOut, responses=NOT_FOUND)
async def get_setup(tenant: VisibleTenant, session: DbSession) -> SetupOut:
    """The five setup steps of the spec, in order, each derived from what happened."""
    steps = setup.checklist(session, tenant)
    return SetupOut(
        steps=[SetupStepOut(key=s.key, status=s.status, detail=s.detail, at=s.at) for s in steps],
        ready=all(s.status == setup.DONE for s in steps),
    )


@router.post(
    "/{tenant_id}/setup/test-access",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
    responses=error_responses(
        404,
        e409="QuickBooks has not let qbbridge in yet, or the tenant is disabled; the message says "
        "what must happen first.",
    ),
)
async def test_access(call: OnTenant) -> JobAccepted:
    """Queue a read and a write that leaves the books unchanged as a user sees them (a custom-field
    definition private to qbbridge). While one is pending, the same job is answered."""
    _refuse_if_disabled(call.tenant)
    try:
        job, _ = setup.queue_test_access(call.session, call.tenant, actor=call.principal.actor)
    except setup.SetupOrderError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return JobAccepted(job_id=job.public_id)


@router.post("/{tenant_id}/disconnect", response_model=TenantOut, responses=NOT_FOUND)
async def disconnect(call: OnTenant) -> TenantOut:
    """Moving to another computer: the token and its sessions end and the company-file binding is
    forgotten; history, links and settings stay. The next connection (a new token) binds again.
    Disconnecting a disconnected tenant changes nothing."""
    if tenant_life.disconnect(call.session, call.tenant, utcnow()):
        call.audit("tenant.disconnect")
    return _tenant_out(call.tenant)


@router.put(
    "/{tenant_id}/binding",
    response_model=TenantOut,
    responses=NOT_FOUND,
)
async def replace_binding(
    call: OnTenant,
    body: Annotated[
        BindingReplace, Body(examples=[{"companyFile": "D:\\QuickBooks\\Acme Manufacturing.qbw"}])
    ],
) -> TenantOut:
    """The same company file moved (another folder or computer): the tenant is bound to the new path.
    Before the first connection, this names the company file in advance."""
    previous = call.tenant.bound_company_file
    tenant_life.replace_binding(call.tenant, body.company_file.strip(), utcnow())
    call.audit("tenant.binding.replace", previous=previous, company_file=call.tenant.bound_company_file)
    return _tenant_out(call.tenant)


@router.patch("/{tenant_id}", response_model=TenantOut, responses=NOT_FOUND)
async def patch_tenant(
    call: OnTenant, body: Annotated[TenantPatch, Body(examples=[{"name": "Acme Manufacturing (US)"}])]
) -> TenantOut:
    """Change the editable fields (the name). Fields left out stay as they are."""
    if body.name is not None:
        name = body.name.strip()
        if not name:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                [{"loc": ["body", "name"], "msg": "the name is empty once trimmed", "type": "value_error"}],
            )
        call.tenant.name = name
    call.audit("tenant.update", name=call.tenant.name)
    return _tenant_out(call.tenant)


@router.post("/{tenant_id}/disable", response_model=TenantOut, responses=error_responses(403, 404))
async def disable_tenant(call: OnTenantAsAdmin) -> TenantOut:
    """The connector gets no work and a plain message; sends and retrievals are refused (409);
    nothing queued is lost."""
    if call.tenant.disabled_at is None:
        tenant_life.set_disabled(call.session, call.tenant, True, utcnow())
        call.audit("tenant.disable")
    return _tenant_out(call.tenant)


@router.post("/{tenant_id}/enable", response_model=TenantOut, responses=error_responses(403, 404))
async def enable_tenant(call: OnTenantAsAdmin) -> TenantOut:
    """What was queued goes out at the connector's next update."""
    if call.tenant.disabled_at is not None:
        tenant_life.set_disabled(call.session, call.tenant, False, utcnow())
        call.audit("tenant.enable")
    return _tenant_out(call.tenant)


@router.delete(
    "/{tenant_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(403, 404, e409="The tenant is not disabled: disable it first."),
)
async def delete_tenant(call: OnTenantAsAdmin) -> Response:
    """Remove a disabled tenant and all its data; one audit record of the deletion is kept and its
    Web Connector user name is never given to another tenant."""
    if call.tenant.disabled_at is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "Only a disabled tenant can be deleted: disable it first (POST /api/v1/tenants/{id}/disable).",
        )
    name, username = call.tenant.name, call.tenant.qbwc_username
    tenant_life.delete_tenant(call.session, call.tenant, utcnow())
    call.audit("tenant.delete", name=name, username=username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{tenant_id}/api-keys", response_model=ApiKeyList, responses=NOT_FOUND)
async def list_api_keys(tenant: VisibleTenant, session: DbSession) -> ApiKeyList:
    """The tenant's keys that work (never the key itself)."""
    return ApiKeyList(
        items=[
            ApiKeyListed(
                id=k.id, name=k.name, prefix=k.prefix, created_at=k.created_at, last_used_at=k.last_used_at
            )
            for k in tenant_life.list_api_keys(session, tenant.id)
        ]
    )


@router.delete(
    "/{tenant_id}/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=NOT_FOUND,
)
async def revoke_api_key(call: OnTenant, key_id: KeyId) -> Response:
    """Revoked at once: every worker reads keys from the database on each call. Revoking a revoked
    key changes nothing."""
    revoked = tenant_life.revoke_api_key(call.session, call.tenant.id, key_id, utcnow())
    if revoked is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No API key with id {key_id!r} for this tenant.")
    if revoked:
        call.audit("tenant.api_key.revoke", key_id=key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _refuse_if_disabled(tenant: Tenant) -> None:
    if tenant.disabled_at is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, DISABLED_TENANT)
