"""A tenant's settings page: every option, problems shown beside their field, "saved: what changed"."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console import settings_form, web
from db import audit
from mapping.settings import read_stored_settings

router = APIRouter(include_in_schema=False)


def _context(who: Any, tenant: Any, values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "who": who,
        "tenant": tenant,
        "groups": settings_form.GROUPS,
        "values": values,
        "errors": {},
        "unplaced": [],
        "changed": None,
        "problems": [],
        **extra,
    }


@router.get("/console/tenants/{tenant_id}/settings")
async def settings_page(request: Request, tenant_id: str) -> Response:
    with web.transaction(request) as db:
        who = web.current_session(request, db)
        tenant = web.tenant_for(db, who, tenant_id)
        stored = read_stored_settings(tenant.settings, tenant_id=tenant.id)
        values = settings_form.form_values(stored.settings)
        return web.page(request, "settings.html", _context(who, tenant, values, problems=stored.problems))


@router.post("/console/tenants/{tenant_id}/settings")
async def save_settings(request: Request, tenant_id: str) -> Response:
    with web.transaction(request) as db:
        who, tenant, form = await web.posted_to_tenant(request, db, tenant_id)
        before = read_stored_settings(tenant.settings, tenant_id=tenant.id).settings
        outcome = settings_form.validate(before.model_dump(mode="json", by_alias=True), form)
        if outcome.settings is None:
            # Shown as posted, so the person corrects what they typed; nothing was saved.
            values = {path: form.get(path, "") for path in settings_form.FIELDS}
            for path, item in settings_form.FIELDS.items():
                if item.kind == "bool":
                    values[path] = path in form
            context = _context(who, tenant, values, errors=outcome.errors, unplaced=outcome.unplaced)
            return web.page(request, "settings.html", context, status_code=422)
        changed = settings_form.changes(before, outcome.settings)
        tenant.settings = outcome.settings.model_dump(mode="json", by_alias=True)
        audit.record(
            db,
            actor=who.actor,
            action="settings.update",
            tenant_id=tenant.id,
            changed=[label for label, _, _ in changed],
        )
        values = settings_form.form_values(outcome.settings)
        return web.page(request, "settings.html", _context(who, tenant, values, changed=changed))
