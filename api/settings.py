"""A tenant's settings: every option of the integration, with the spec's defaults.

The answer is the settings document plus ``problems``: what of the stored document does not validate
(stored by an older version with looser rules, or edited in the database) and so has its default
instead. A ``PUT`` merges into the settings that apply, so it also clears those problems.
"""

from __future__ import annotations

from typing import Any

from fastapi import Body, HTTPException, status
from pydantic import Field

from api.auth import OnTenant, VisibleTenant
from api.errors import error_responses
from api.models import ApiModel
from api.routing import api_router
from mapping.settings import Settings, SettingsError, StoredSettings, merge_settings, read_stored_settings

router = api_router(prefix="/api/v1/tenants/{tenant_id}/settings", tags=["settings"])

PROBLEMS = "problems"


class SettingsProblem(ApiModel):
    path: str = Field(description="The option, e.g. retrievalIntervalMinutes or syncWindow.start.")
    message: str = Field(description="Why the stored value does not apply; its default applies instead.")


class SettingsOut(Settings):
    problems: list[SettingsProblem] = Field(
        default_factory=list,
        description=(
            "Read-only: options of the stored settings that do not validate, each replaced by its "
            "default. A PUT clears them (and ignores this key)."
        ),
        json_schema_extra={"readOnly": True},
    )


def _answer(stored: StoredSettings) -> dict[str, Any]:
    document = stored.settings.model_dump(mode="json", by_alias=True)
    document[PROBLEMS] = [{"path": path, "message": message} for path, message in stored.problems]
    return document


@router.get("", response_model=SettingsOut, response_model_by_alias=True, responses=error_responses(404))
async def get_settings(tenant: VisibleTenant) -> dict[str, Any]:
    return _answer(read_stored_settings(tenant.settings, tenant_id=tenant.id))


@router.put(
    "",
    response_model=SettingsOut,
    response_model_by_alias=True,
    responses=error_responses(
        404, e422="An option or a combination of options is invalid; nothing was changed."
    ),
)
async def put_settings(
    call: OnTenant,
    patch: dict[str, Any] = Body(  # noqa: B008 - FastAPI's way to declare a free-form JSON body
        ...,
        description="A partial settings document: objects merge key by key, lists and nulls replace.",
        examples=[{"documentNumber": "orderCode", "sends": {"salesOrder": {"automatic": True}}}],
    ),
) -> dict[str, Any]:
    """Change some settings. Changes apply to jobs queued afterwards."""
    # ``problems`` is what GET reports, not a setting: a document read, changed and sent back is fine.
    patch = {key: value for key, value in patch.items() if key != PROBLEMS}
    current = read_stored_settings(call.tenant.settings, tenant_id=call.tenant.id).settings
    try:
        merged = merge_settings(current.model_dump(mode="json", by_alias=True), patch)
    except SettingsError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {"loc": ["body", *path.split(".")], "msg": message, "type": "settings_invalid"}
                for path, message in exc.problems
            ],
        ) from exc
    call.tenant.settings = merged.model_dump(mode="json", by_alias=True)
    call.audit("settings.update", changed=sorted(patch))
    return _answer(StoredSettings(merged))
