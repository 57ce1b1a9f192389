"""The send buttons and events: Fusion Operations entities queued as QuickBooks documents."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Literal, assert_never

from fastapi import Body, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

from api import examples
from api.auth import (
    CurrentPrincipal,
    DbSession,
    OnTenant,
    Principal,
    bearer_key,
    principal_of_key,
    tenant_or_404,
)
from api.errors import error_responses, issues_from
from api.models import ApiModel
from api.params import ID_MAX, TenantId
from api.routing import DirectHandler, api_router, serve_directly
from db import transaction
from db.models import utcnow
from db.transaction import Work, session_of
from mapping.entities import InventorySend, ProductionOrder, PurchaseOrder, Receiving, SalesOrder, Shipping
from mapping.flows import FLOWS
from mapping.sending import Audit, RefusalReason, SendRefused, SendResult, no_such_tenant, queue_send

router = api_router(prefix="/api/v1/tenants/{tenant_id}", tags=["sends"])

DryRun = Annotated[
    bool,
    Query(
        alias="dry_run",
        description="Return the qbXML that would be sent (validated) and queue nothing.",
    ),
]


class SendAccepted(ApiModel):
    job_id: str
    status: str = Field(description="The job's status now: queued, or succeeded when nothing had to be sent.")
    already_sent: bool = Field(
        description="The entity was sent before: nothing new is created in QuickBooks (updates are not sent)."
    )
    warnings: list[str] = Field(description="What was changed to fit QuickBooks, or deserves attention.")


class DryRunOut(ApiModel):
    dry_run: bool = True
    steps: list[str] = Field(description="What each request does, in order.")
    qbxml: list[str] = Field(
        description="Each request as it would be sent (IDs of earlier steps as placeholders)."
    )
    warnings: list[str]


class EventIn(ApiModel):
    entity: Literal["salesOrder", "purchaseOrder", "receiving", "shipping", "productionOrder", "inventory"]
    action: Literal["created", "updated"]
    data: dict[str, Any] = Field(description="The entity, in the same shape its send endpoint accepts.")


class EventOut(ApiModel):
    queued: bool
    job_id: str | None = None
    reason: str | None = None
    already_sent: bool = False


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def field_location(path: str) -> list[str | int]:
    """``rows[0].product.code`` (or ``rows.0.product.code``) as a FastAPI error location."""
    location: list[str | int] = []
    for name, index in _PATH_PART.findall(path):
        if index:
            location.append(int(index))
        else:
            location.append(int(name) if name.isdigit() else name)
    return location


def refusal_status(reason: RefusalReason) -> int:
    """The HTTP status of each reason a send is refused for."""
    match reason:
        case RefusalReason.NO_SUCH_TENANT:
            return status.HTTP_404_NOT_FOUND
        case RefusalReason.INVALID_ENTITY:
            return status.HTTP_422_UNPROCESSABLE_CONTENT
        case (
            RefusalReason.TENANT_DISABLED
            | RefusalReason.FLOW_OFF
            | RefusalReason.FLOW_NOT_AUTOMATIC
            | RefusalReason.OUTSIDE_US
            | RefusalReason.ORDER_ALREADY_DONE
            | RefusalReason.HELD_BY_ENDED_JOB
            | RefusalReason.FROM_QUICKBOOKS
            | RefusalReason.BEING_SENT
        ):
            return status.HTTP_409_CONFLICT
    assert_never(reason)  # mypy: a new reason needs a status here


def _refusal(exc: SendRefused, where: tuple[str, ...] = ("body",)) -> HTTPException:
    """The HTTP error of a refused send; ``where`` is the location of the entity in the request body
    (an event carries it under ``data``), so the field path points into the body as sent. A 422 always
    names a field (the whole entity when the refusal is about no one field)."""
    code = refusal_status(exc.reason)
    if exc.field is not None or code == status.HTTP_422_UNPROCESSABLE_CONTENT:
        loc = [*where, *field_location(exc.field or "")]
        return HTTPException(code, [{"loc": loc, "msg": exc.message, "type": "send_refused"}])
    return HTTPException(code, exc.message)


def _send(
    work: Work, principal: Principal, tenant_id: str, flow: str, entity: BaseModel, *, dry: bool
) -> Any:
    # The tenant is read with the links the send looks at (one statement, mapping/sending.py); a key
    # that cannot see the tenant gets the same 404 as a tenant that does not exist.
    if not principal.can_see(tenant_id):
        raise _refusal(no_such_tenant(tenant_id))
    try:
        action = Audit(principal.actor, f"send.{flow}")
        result = queue_send(work, tenant_id, flow, entity, now=utcnow(), dry=dry, audit=action)
    except SendRefused as exc:
        raise _refusal(exc) from exc
    if dry:
        preview = DryRunOut(
            steps=[s.description for s in result.plan.steps],
            qbxml=result.dry_run_qbxml,
            warnings=result.warnings,
        )
        return JSONResponse(status_code=status.HTTP_200_OK, content=preview.model_dump(by_alias=True))
    return _accepted(result)


def _accepted(result: SendResult) -> JSONResponse:
    assert result.job is not None
    # The SendAccepted document, written directly: validating what was just built is pure cost.
    body = {
        "jobId": result.job.public_id,
        "status": result.job.status,
        "alreadySent": result.existing,
        "warnings": result.warnings,
    }
    return JSONResponse(status_code=status.HTTP_202_ACCEPTED, content=body)


RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"model": SendAccepted, "description": "Queued (or already in QuickBooks: see alreadySent)."},
    200: {"model": DryRunOut, "description": "With dry_run=true: what would be sent."},
    **error_responses(
        404,
        e409=(
            "The flow is off, the company is outside the US, the order was already shipped/received, or "
            "another request is sending the same entity right now (nothing was queued; retry), or the tenant "
            "is disabled."
        ),
        e422="The payload cannot be sent; the error names the field and what to change.",
    ),
}


def _add_send_route(path: str, name: str, flow: str, entity: type[BaseModel], example: Any, doc: str) -> None:
    """Register ``POST path``: the send button of one flow, its body ``entity`` shown with ``example``.

    The six sends differ only in these values, so one function makes them; ``name`` and ``doc`` become
    the operation's id, summary and description, as a function written out would give them."""

    async def send(
        tenant_id: TenantId,
        body: Any,
        session: DbSession,
        principal: CurrentPrincipal,
        dry_run: DryRun = False,
    ) -> Any:
        return _send(session, principal, tenant_id, flow, body, dry=dry_run)

    send.__name__ = send.__qualname__ = name
    send.__doc__ = doc
    # The real body type, not the text the module's postponed annotations would leave FastAPI to resolve.
    send.__annotations__["body"] = Annotated[entity, Body(examples=[example])]
    router.post(path, responses=RESPONSES, status_code=202, response_model=None)(send)
    serve_directly(router, path, _direct_send(flow, entity))


# A tenant id the direct path takes as it is: what ``TenantId`` accepts unchanged (tenant ids are
# UUIDs); any other goes through FastAPI's validation.
_PLAIN_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{ID_MAX}}}")


def _is_json(content_type: str | None) -> bool:
    """Whether FastAPI reads a body of this content type as JSON (``application/json``, with or
    without parameters); an odd one goes through FastAPI, which decides."""
    if content_type is None:
        return False
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json"


# What a direct call does once its body validated: (transaction, caller, path's tenant id, body) to
# the answer, exactly as the operation's own function gives it.
_Answer = Callable[[Work, Principal, str, Any], Any]


def _direct(model: type[BaseModel], answer: _Answer) -> DirectHandler:
    """An operation's common call served without FastAPI's dependency solving, with its very
    functions: a JSON body that validates as ``model``, no query (``dry_run`` goes through FastAPI),
    a bearer key. Anything else is left to FastAPI's handler (``None``) before anything is done, so
    every error is FastAPI's own, in its order; ``tests/adminapi/test_direct_sends.py`` holds the two
    paths to one answer."""

    async def serve(request: Request) -> Response | None:
        tenant_id = request.path_params.get("tenant_id", "")
        if request.scope.get("query_string") or not _PLAIN_ID.fullmatch(tenant_id):
            return None
        if not _is_json(request.headers.get("content-type")):
            return None
        key = bearer_key(request.headers.get("authorization"))
        if key is None or not await request.body():
            return None
        try:
            body = model.model_validate(await request.json())
        except (HTTPException, ValidationError):
            return None
        # A transaction without an SQLAlchemy session unless a rarer branch needs the ORM
        # (db/transaction.py): the common send is two batches.
        with transaction.begin(request.app.state.database) as work:
            principal = principal_of_key(request, work, key)
            answered = answer(work, principal, tenant_id, body)
        if isinstance(answered, Response):
            return answered
        # A model returned as the operation's response model: what FastAPI would answer for it.
        return JSONResponse(answered.model_dump(mode="json", by_alias=True))

    return serve


def _direct_send(flow: str, entity: type[BaseModel]) -> DirectHandler:
    def answer(work: Work, principal: Principal, tenant_id: str, body: Any) -> Any:
        return _send(work, principal, tenant_id, flow, body, dry=False)

    return _direct(entity, answer)


# fmt: off
_SEND_ROUTES: tuple[tuple[str, str, str, type[BaseModel], Any, str], ...] = (
    ("/sales-orders", "send_sales_order", "salesOrder", SalesOrder, examples.SALES_ORDER,
     "Sales Order (Fusion Operations) → Sales Order (QuickBooks)."),
    ("/purchase-orders", "send_purchase_order", "purchaseOrder", PurchaseOrder, examples.PURCHASE_ORDER,
     "Purchase Order (Fusion Operations) → Purchase Order (QuickBooks)."),
    ("/receivings", "send_receiving", "receiving", Receiving, examples.RECEIVING,
     "Receiving (Fusion Operations) → Bill (QuickBooks), linked to the purchase order, full quantities."),
    ("/shippings", "send_shipping", "shipping", Shipping, examples.SHIPPING,
     "Shipping (Fusion Operations) → Invoice (QuickBooks), closing the sales order; one per sales order."),
    ("/production-orders", "send_production_order", "productionOrder", ProductionOrder,
     examples.PRODUCTION_ORDER,
     "Production Order (Fusion Operations) → one Timesheet entry (QuickBooks) per time record."),
    ("/inventory", "send_inventory", "inventory", InventorySend, examples.INVENTORY,
     'Inventory (one product, or all: "Send All Inventory to Quickbooks") → one Inventory Adjustment.'),
)
# fmt: on
for _route in _SEND_ROUTES:
    _add_send_route(*_route)


@router.post(
    "/events",
    response_model=EventOut,
    responses={
        202: {"model": EventOut, "description": "Queued"},
        **error_responses(
            404,
            e409="Another request is sending the same entity right now (nothing was queued; retry), or the "
            "tenant is disabled.",
            e422="The event or its entity is invalid; the error names the field.",
        ),
    },
)
async def receive_event(call: OnTenant, body: Annotated[EventIn, Body(examples=[examples.EVENT])]) -> Any:
    """A Fusion Operations create/update event: queued only when that flow is automatic (never inventory)."""
    return _event(call.session, call.principal, call.tenant.id, body)


def _event(session: Session, principal: Principal, tenant_id: str, body: EventIn) -> Any:
    """The event queued as its flow's send (202), or the reason it is not (200, nothing queued)."""
    if body.entity == "inventory":
        return EventOut(
            queued=False, reason="Inventory is sent to QuickBooks manually only; events never send it."
        )
    flow = FLOWS[body.entity]
    try:
        entity = flow.model.model_validate(body.data)
    except ValidationError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            issues_from({**e, "loc": ("body", "data", *e["loc"])} for e in exc.errors()),
        ) from exc
    action = Audit(principal.actor, f"event.{body.entity}.{body.action}")
    try:
        result = queue_send(
            session, tenant_id, body.entity, entity, now=utcnow(), automatic=True, audit=action
        )
    except SendRefused as exc:
        if refusal_status(exc.reason) == status.HTTP_409_CONFLICT and not exc.written:
            # The event is fine; the state says not to send it (flow off or manual, order already
            # invoiced, company outside the US, order that came from QuickBooks): say why, queue nothing.
            return EventOut(queued=False, reason=exc.message)
        raise _refusal(exc, ("body", "data")) from exc
    assert result.job is not None
    out = EventOut(queued=not result.existing, job_id=result.job.public_id, already_sent=result.existing)
    if result.existing:
        out.reason = result.warnings[0] if result.warnings else "already sent"
    return JSONResponse(status_code=202, content=out.model_dump(by_alias=True))


def _answer_event(work: Work, principal: Principal, tenant_id: str, body: EventIn) -> Any:
    # As the ``OnTenant`` the operation takes: the tenant the key reaches, or 404.
    session = session_of(work)
    tenant = tenant_or_404(session, principal, tenant_id)
    return _event(session, principal, tenant.id, body)


serve_directly(router, "/events", _direct(EventIn, _answer_event))
