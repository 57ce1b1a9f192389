"""A tenant's settings: every option of the integration, with the spec's defaults."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, HTTPException, status

from api.auth import CurrentPrincipal, DbSession, tenant_or_404
from db import audit
from mapping.settings import Settings, SettingsError, merge_settings, stored_settings

router = APIRouter(prefix="/api/v1/tenants/{tenant_id}/settings", tags=["settings"])


def _document(settings: Settings) -> dict[str, Any]:
    return settings.model_dump(mode="json", by_alias=True)


@router.get("", response_model=Settings, response_model_by_alias=True)
def get_settings(tenant_id: str, session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    tenant = tenant_or_404(session, principal, tenant_id)
    return _document(stored_settings(tenant.settings))


@router.put(
    "",
    response_model=Settings,
    response_model_by_alias=True,
    responses={
        422: {"description": "An option or a combination of options is invalid; nothing was changed."}
    },
)
def put_settings(
    tenant_id: str,
    session: DbSession,
    principal: CurrentPrincipal,
    patch: dict[str, Any] = Body(  # noqa: B008 - FastAPI's way to declare a free-form JSON body
        ...,
        description="A partial settings document: objects merge key by key, lists and nulls replace.",
        examples=[{"documentNumber": "orderCode", "sends": {"salesOrder": {"automatic": True}}}],
    ),
) -> dict[str, Any]:
    """Change some settings. Changes apply to jobs queued afterwards."""
    tenant = tenant_or_404(session, principal, tenant_id)
    try:
        merged = merge_settings(tenant.settings or None, patch)
    except SettingsError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {"loc": ["body", *path.split(".")], "msg": message, "type": "settings_invalid"}
                for path, message in exc.problems
            ],
        ) from exc
    tenant.settings = _document(merged)
    audit.record(
        session, actor=principal.actor, action="settings.update", tenant_id=tenant.id, changed=sorted(patch)
    )
    return tenant.settings
