"""A tenant's webhook: where its events are sent, signed per Standard Webhooks (mapping/webhooks.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, HTTPException, Request, Response, status
from pydantic import ConfigDict, Field

from api.auth import OnTenant, VisibleTenant
from api.errors import error_responses
from api.models import ApiModel
from api.routing import api_router
from db.models import utcnow
from mapping import webhooks
from mapping.fields import SafeText

router = api_router(prefix="/api/v1/tenants/{tenant_id}", tags=["webhooks"])


class WebhookIn(ApiModel):
    model_config = ConfigDict(**ApiModel.model_config, extra="forbid")

    url: Annotated[SafeText, Field(min_length=1, max_length=500)] = Field(
        description="Where events are POSTed: http(s); not a private address when the service runs on https.",
        examples=["https://fusion.example.com/qbbridge-events"],
    )
    secret: Annotated[SafeText, Field(min_length=24, max_length=200)] | None = Field(
        default=None,
        description="A Standard Webhooks secret (`whsec_`, base64); generated and shown once when omitted.",
    )


class WebhookOut(ApiModel):
    url: str
    events: list[str] = Field(description="The event types sent.")
    secret: str | None = Field(
        default=None, description="Only in the answer that generated it; never shown again."
    )
    since: str | None = Field(
        default=None, description="Events of what happened from this moment on are sent."
    )


def _out(tenant: object, secret: str | None = None) -> WebhookOut:
    since = getattr(tenant, "webhook_since", None)
    return WebhookOut(
        url=getattr(tenant, "webhook_url", "") or "",
        events=list(webhooks.EVENT_TYPES),
        secret=secret,
        since=since.isoformat() if since else None,
    )


@router.put("/webhook", response_model=WebhookOut, responses=error_responses(404))
async def put_webhook(
    call: OnTenant,
    body: Annotated[WebhookIn, Body(examples=[{"url": "https://fusion.example.com/qbbridge-events"}])],
    request: Request,
) -> WebhookOut:
    """Set where the tenant's events go. Events are made of what happens from now on."""
    public_https = request.app.state.settings.public_url.startswith("https://")
    try:
        url = webhooks.check_url(body.url, public_https=public_https)
    except webhooks.WebhookUrlError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"loc": ["body", "url"], "msg": str(exc), "type": "url_refused"}],
        ) from None
    secret = body.secret
    generated = secret is None
    if secret is None:
        secret = webhooks.new_secret()
    elif not webhooks.valid_secret(secret):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {
                    "loc": ["body", "secret"],
                    "msg": "not a Standard Webhooks secret: give whsec_ and the base64 of 16 to 64 bytes, "
                    "or leave it out to get one",
                    "type": "secret_invalid",
                }
            ],
        )
    now = utcnow()
    tenant = call.tenant
    if tenant.webhook_url is None:
        tenant.webhook_since = now
        tenant.webhook_connection_seen_at = tenant.last_connection_error_at
        webhooks.start_imports_mark(call.session, tenant)
    tenant.webhook_url = url
    tenant.webhook_secret_sealed = request.app.state.keyring.seal(secret)
    call.audit("webhook.update", url=url)
    return _out(tenant, secret if generated else None)


@router.get("/webhook", response_model=WebhookOut, responses=error_responses(404))
async def get_webhook(tenant: VisibleTenant) -> WebhookOut:
    """The webhook (404 when none is set); the secret is never shown."""
    if not tenant.webhook_url:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "This tenant has no webhook; set one with PUT.")
    return _out(tenant)


@router.delete("/webhook", status_code=204, response_class=Response, responses=error_responses(404))
async def delete_webhook(call: OnTenant) -> Response:
    """No more events are made; those not delivered yet wait, and go if a webhook is set again."""
    tenant = call.tenant
    if tenant.webhook_url is not None:
        tenant.webhook_url = None
        tenant.webhook_secret_sealed = None
        tenant.webhook_since = None
        call.audit("webhook.delete")
    return Response(status_code=204)
