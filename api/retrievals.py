"""Retrieving from QuickBooks: "Retrieve Orders", the imports Fusion Operations reads and
acknowledges, and where imports are pushed."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import Body, HTTPException, Query, Request, status
from fastapi.responses import Response
from pydantic import Field, StringConstraints, field_validator

from api import examples
from api.auth import DbSession, OnTenant, VisibleTenant
from api.errors import error_responses
from api.models import ApiModel, NextCursor, out_of
from api.paging import Cursor, limit_query, numbered_page
from api.params import ID_MAX
from api.routing import api_router
from db import imports as import_repo
from db.models import utcnow
from mapping import retrieval
from mapping.fields import STORABLE, DayOrInstant, SafeText
from mapping.sending import DISABLED_TENANT
from mapping.settings import stored_settings

router = api_router(prefix="/api/v1/tenants/{tenant_id}", tags=["retrievals"])
NOT_FOUND = error_responses(404)

RetrievalEntity = Literal["salesOrder", "purchaseOrder", "invoice", "estimate"]


class RetrievalCreate(ApiModel):
    entities: list[RetrievalEntity] = Field(min_length=1, description="QuickBooks documents to retrieve.")
    since: DayOrInstant = Field(
        description="Everything modified or created since this date (midnight in the tenant's time zone) "
        "or date-time is retrieved."
    )

    @field_validator("entities")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class RetrievalAccepted(ApiModel):
    job_id: str


class ImportSource(ApiModel):
    type: str = Field(description="SalesOrder, PurchaseOrder, Invoice, Estimate, or Item (products)")
    txn_id: str | None
    ref_number: str | None


class ImportOut(ApiModel):
    id: str
    entity: str = Field(description="salesOrder, purchaseOrder or product")
    status: str = Field(description="pending, delivered, acknowledged or skipped")
    reason: str | None = Field(description="Why it was skipped, or a note (later changes are not applied).")
    notes: list[str] = Field(
        description="What of the QuickBooks document is not in `data` as QuickBooks shows it: lines that are "
        "not rows (subtotals aside), discounts spread over prices, sales tax, payments, units converted, "
        "a foreign currency, rows that do not add up to QuickBooks' subtotal."
    )
    source: ImportSource
    data: dict[str, Any] = Field(
        description="The Fusion Operations entity, shaped as the send endpoints accept."
    )
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    last_error: str | None = Field(description="Why the last push to Fusion Operations failed, if it did.")


class ImportList(ApiModel):
    items: list[ImportOut]
    next_cursor: NextCursor = None


class AckIn(ApiModel):
    ids: list[Annotated[str, StringConstraints(max_length=ID_MAX), STORABLE]] = Field(
        min_length=1, max_length=1000, description="Import ids Fusion Operations has taken."
    )


class AckOut(ApiModel):
    acknowledged: int
    not_found: list[str]


class FusionApiIn(ApiModel):
    base_url: SafeText = Field(
        min_length=1, max_length=500, description="Fusion Operations API base URL (https)."
    )
    api_key: SafeText = Field(
        min_length=1, max_length=500, description="Credential qbbridge sends; never shown again."
    )

    @field_validator("base_url")
    @classmethod
    def _https(cls, value: str) -> str:
        try:
            parts = urlsplit(value)
            host = parts.hostname
        except ValueError:
            raise ValueError("not a URL; give the API's https:// address") from None
        local = host in {"localhost", "127.0.0.1", "::1"}
        if parts.scheme != "https" and not (parts.scheme == "http" and local):
            raise ValueError("use an https:// URL (plain http is only allowed for localhost)")
        if not host:
            raise ValueError("the URL has no host; give the API's https:// address")
        return value.rstrip("/")


class FusionApiOut(ApiModel):
    base_url: str | None
    has_api_key: bool


@router.post(
    "/retrievals",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RetrievalAccepted,
    responses=error_responses(
        404,
        e409="The retrieval of one of these documents is turned off in the settings (the message names "
        "the option to turn on and its key, `retrievals.<entity>.enabled`), or the tenant is disabled. "
        "Nothing is queued.",
    ),
)
async def retrieve_orders(
    call: OnTenant, body: Annotated[RetrievalCreate, Body(examples=[examples.RETRIEVAL])]
) -> Any:
    """ "Retrieve Orders": everything modified or created since the date, whatever the automatic setting,
    for documents whose retrieval is turned on."""
    if call.tenant.disabled_at is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, DISABLED_TENANT)
    settings = stored_settings(call.tenant.settings, tenant_id=call.tenant.id)
    try:
        retrieval.check_retrieval_enabled(settings, list(body.entities))
    except retrieval.RetrievalRefused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    since = body.since
    if not isinstance(since, dt.datetime):
        since = dt.datetime.combine(since, dt.time(), tzinfo=ZoneInfo(settings.timezone))
    elif since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    job = retrieval.queue_retrieval(
        call.session,
        call.tenant,
        list(body.entities),
        since=since.astimezone(dt.UTC),
        now=utcnow(),
        automatic=False,
    )
    call.audit("retrieval.queue", job_id=job.public_id)
    return RetrievalAccepted(job_id=job.public_id)


@router.get("/imports", response_model=ImportList, responses=NOT_FOUND)
async def list_imports(
    tenant: VisibleTenant,
    session: DbSession,
    entity: Annotated[Literal["salesOrder", "purchaseOrder", "product"] | None, Query()] = None,
    status_filter: Annotated[
        Literal["pending", "delivered", "acknowledged", "skipped"] | None, Query(alias="status")
    ] = None,
    cursor: Cursor = None,
    limit: Annotated[int, limit_query(500)] = 100,
) -> Any:
    """What was retrieved from QuickBooks, oldest first, for Fusion Operations to create."""
    read = partial(import_repo.list_imports, session, tenant.id, entity=entity, status=status_filter)
    rows, next_cursor = numbered_page(read, cursor, limit)
    items = [
        out_of(
            ImportOut,
            row,
            id=row.public_id,
            notes=list(row.notes or []),
            source=ImportSource(
                type=row.source_type,
                txn_id=row.source_id if row.source_type != "Item" else None,
                ref_number=row.ref_number,
            ),
            data=row.data or {},
        )
        for row in rows
    ]
    return ImportList(items=items, next_cursor=next_cursor)


@router.post("/imports/ack", response_model=AckOut, responses=NOT_FOUND)
async def acknowledge_imports(
    call: OnTenant, body: Annotated[AckIn, Body(examples=[examples.IMPORTS_ACK])]
) -> Any:
    """Fusion Operations confirms it has created these imports; they leave the pending list."""
    missing = import_repo.acknowledge(
        call.session, call.tenant.id, list(dict.fromkeys(body.ids)), now=utcnow()
    )
    call.audit("imports.ack", count=len(body.ids))
    return AckOut(acknowledged=len(set(body.ids)) - len(missing), not_found=missing)


@router.get("/fusion-api", response_model=FusionApiOut, responses=NOT_FOUND)
async def get_fusion_api(tenant: VisibleTenant) -> Any:
    """Where imports are pushed (404 when nowhere: Fusion Operations reads GET …/imports)."""
    if tenant.fusion_api_base_url is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"Tenant {tenant.id} has no Fusion Operations API configured; set one with PUT …/fusion-api.",
        )
    return FusionApiOut(
        base_url=tenant.fusion_api_base_url, has_api_key=tenant.fusion_api_key_sealed is not None
    )


@router.put("/fusion-api", response_model=FusionApiOut, responses=NOT_FOUND)
async def put_fusion_api(
    call: OnTenant, body: Annotated[FusionApiIn, Body(examples=[examples.FUSION_API])], request: Request
) -> Any:
    """Where imports are pushed. Without it, Fusion Operations reads GET …/imports instead. The key is
    stored encrypted and never shown again."""
    call.tenant.fusion_api_base_url = body.base_url
    call.tenant.fusion_api_key_sealed = request.app.state.keyring.seal(body.api_key)
    call.audit("fusion_api.update", base_url=body.base_url)
    return FusionApiOut(base_url=call.tenant.fusion_api_base_url, has_api_key=True)


@router.delete("/fusion-api", status_code=204, response_class=Response, responses=NOT_FOUND)
async def delete_fusion_api(call: OnTenant) -> Response:
    """Stop pushing imports; they stay readable at GET …/imports. Deleting twice is no error."""
    call.tenant.fusion_api_base_url = None
    call.tenant.fusion_api_key_sealed = None
    call.audit("fusion_api.delete")
    return Response(status_code=204)
