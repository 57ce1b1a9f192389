"""Accepting a send from Fusion Operations: settings, country, plan, links, then a queued job.

Everything that can be known before QuickBooks is asked is checked here, so a send that cannot work
is refused at once with what to change, and nothing is queued. The link (``db/links.py``) is
reserved in the same transaction as the job: sending an entity twice never creates two documents.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from db import imports as import_repo
from db import links as link_repo
from db import queue
from db.models import Job, Link, Tenant
from db.states import JobStatus
from mapping.flows import FLOWS, FlowSpec, PlanContext, receiving_blocker_key, shipping_blocker_key
from mapping.flows.validate import validate_plan, with_placeholders
from mapping.plan import LinkInfo, LinkKey, Plan, PlanError
from mapping.settings import Settings, stored_settings
from mapping.steps import NON_US_REFUSAL, QBXML_REQUEST
from requests_builder import build_message_set

DEFAULT_VERSION = "13.0"

# One bill per purchase order and one invoice per sales order: each carries the whole order (FAQ 2, 6).
_BLOCKERS = {"shipping": shipping_blocker_key, "receiving": receiving_blocker_key}
_BLOCKER_NOUNS = {"shipping": ("sales order", "invoiced"), "receiving": ("purchase order", "billed")}


class SendRefused(Exception):
    """The send cannot be queued. ``status`` is the HTTP status; ``field`` the payload path, if any."""

    def __init__(self, status: int, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


@dataclass(slots=True)
class SendResult:
    job: Job | None
    plan: Plan
    warnings: list[str] = field(default_factory=list)
    existing: bool = False  # the entity was already sent: the job reports the existing link
    dry_run_qbxml: list[str] = field(default_factory=list)


def link_info(link: Link) -> LinkInfo:
    return LinkInfo(
        entity=link.entity,
        code=link.code,
        status=link.status,
        qb_type=link.qb_type,
        txn_id=link.txn_id,
        list_id=link.list_id,
        ref_number=link.ref_number,
        edit_sequence=link.edit_sequence,
        job_id=str(link.job_id) if link.job_id is not None else None,
        data=dict(link.data or {}),
    )


def _flow(name: str) -> FlowSpec:
    return FLOWS[name]


FLOW_TITLES = {
    "salesOrder": "Sales Order",
    "purchaseOrder": "Purchase Order",
    "receiving": "Receiving",
    "shipping": "Shipping",
    "productionOrder": "Production Order",
    "inventory": "Inventory",
}


def check_flow_enabled(settings: Settings, flow: FlowSpec, *, automatic: bool) -> None:
    options = getattr(settings.sends, _attr(flow.settings_key))
    title = f"{FLOW_TITLES[flow.name]} → QuickBooks {flow.qb_document}"
    if not options.enabled:
        raise SendRefused(
            409,
            f"The {title} flow is turned off (settings: sends.{flow.settings_key}.enabled). "
            "Turn it on to send.",
        )
    if automatic and not getattr(options, "automatic", False):
        raise SendRefused(
            409,
            f"The {title} flow is not automatic (settings: sends.{flow.settings_key}.automatic), so "
            "events do not send it; use the send button, or turn automatic on.",
        )


def _attr(camel: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in camel)


def plan_send(
    session: Session, tenant: Tenant, flow_name: str, entity: BaseModel, *, now: dt.datetime
) -> tuple[Plan, list[str], Settings]:
    flow = _flow(flow_name)
    settings = stored_settings(tenant.settings)
    check_flow_enabled(settings, flow, automatic=False)
    if tenant.qb_country and tenant.qb_country.upper() != "US":
        raise SendRefused(409, NON_US_REFUSAL.format(country=tenant.qb_country))

    def lookup(entity_type: str, code: str) -> LinkInfo | None:
        link = link_repo.get(session, tenant.id, entity_type, code)
        return link_info(link) if link is not None else None

    context = PlanContext(tenant_id=tenant.id, now=now, link_lookup=lookup, country=tenant.qb_country or "US")
    try:
        plan = flow.planner(entity, settings, context)
        warnings = [*plan.warnings, *validate_plan(plan, version=host_version(tenant))]
    except PlanError as exc:
        raise SendRefused(422, exc.message, field=exc.field) from exc
    return plan, warnings, settings


def host_version(tenant: Tenant) -> str:
    """The qbXML version to check a plan against: what the customer's QuickBooks last reported."""
    return (
        tenant.qbxml_version
        if tenant.qbxml_version and tenant.qbxml_version[0].isdigit()
        else DEFAULT_VERSION
    )


def dry_run(plan: Plan, tenant: Tenant) -> list[str]:
    """The qbXML of each step as it would be sent now (IDs from earlier steps shown as placeholders)."""
    version = host_version(tenant)
    return [
        build_message_set([with_placeholders(step.request, step.bindings)], version=version).xml
        for step in plan.steps
    ]


def queue_send(
    session: Session,
    tenant: Tenant,
    flow_name: str,
    entity: BaseModel,
    *,
    now: dt.datetime,
    dry: bool = False,
    automatic: bool = False,
) -> SendResult:
    flow = _flow(flow_name)
    if automatic:
        check_flow_enabled(stored_settings(tenant.settings), flow, automatic=True)
    blocker_key = _BLOCKERS[flow_name](entity) if flow_name in _BLOCKERS else None  # type: ignore[arg-type]
    if blocker_key is not None:
        holder = link_repo.get(session, tenant.id, blocker_key.entity, blocker_key.code)
        held_by = (holder.data or {}).get(flow_name) if holder is not None else None
        if holder is not None and held_by != getattr(entity, "code", None):
            noun, done = _BLOCKER_NOUNS[flow_name]
            raise SendRefused(
                409,
                f"{noun.capitalize()} {blocker_key.code} was already {done} by {flow_name} {held_by}; "
                f"several {flow_name}s for one {noun} are not supported (QuickBooks gets the whole {noun} "
                "at once).",
            )
    if flow_name in {"salesOrder", "purchaseOrder"}:
        _refuse_if_from_quickbooks(session, tenant, flow_name, str(getattr(entity, "code", "")))
    plan, warnings, _ = plan_send(session, tenant, flow_name, entity, now=now)
    if dry:
        return SendResult(job=None, plan=plan, warnings=warnings, dry_run_qbxml=dry_run(plan, tenant))
    entity_data = entity.model_dump(mode="json", by_alias=True)

    if plan.link is not None:
        existing = link_repo.get(session, tenant.id, plan.link.entity, plan.link.code)
        if existing is not None:
            return _already_sent(session, tenant, flow, plan, existing, entity_data, now=now)

    depends_on = None
    for required in plan.requires:
        link = link_repo.get(session, tenant.id, required.entity, required.code)
        if link is not None and link.status == link_repo.PENDING:
            depends_on = link.job_id

    reservations = _reservations(plan.link, blocker_key, flow_name, entity_data)
    job = queue.enqueue(
        session,
        tenant_id=tenant.id,
        kind=flow_name,
        payload={
            "entity": entity_data,
            "summary": plan.summary,
            # Kept so a retry after a failure can take the same links back.
            "reservations": [{"entity": k.entity, "code": k.code, "data": d} for k, d in reservations],
        },
        steps=[
            queue.NewStep(
                kind=QBXML_REQUEST,
                intent=step.to_intent(),
                reconcilable=step.reconcile is not None or step.safe_to_repeat,
            )
            for step in plan.steps
        ],
        warnings=warnings,
        link_entity=plan.link.entity if plan.link else None,
        link_code=plan.link.code if plan.link else None,
        depends_on_job_id=depends_on,
    )
    for key, data in reservations:
        conflict = link_repo.reserve(
            session, tenant_id=tenant.id, entity=key.entity, code=key.code, job_id=job.id, data=data, now=now
        )
        if conflict is not None:
            # Another request reserved it between our check and our insert: let the caller retry.
            raise SendRefused(
                409, f"{key.entity} {key.code} is being sent by another request right now; retry."
            )
    return SendResult(job=job, plan=plan, warnings=warnings)


def _refuse_if_from_quickbooks(session: Session, tenant: Tenant, flow_name: str, code: str) -> None:
    """An order retrieved from QuickBooks is already there: sending it back would duplicate it."""
    source = import_repo.imported_as(session, tenant.id, flow_name, code)
    if source is None:
        return
    document = f"{source.source_type} {source.ref_number or source.source_id}"
    raise SendRefused(
        409,
        f"{FLOW_TITLES[flow_name]} {code} came from QuickBooks ({document}, retrieved "
        f"{source.created_at:%Y-%m-%d}); it is already in QuickBooks, so it is not sent back. "
        "Nothing was sent.",
    )


def _reservations(
    link: LinkKey | None, blocker: LinkKey | None, flow_name: str, entity_data: dict[str, Any]
) -> list[tuple[LinkKey, dict[str, Any]]]:
    reservations = []
    if link is not None:
        reservations.append((link, entity_data))
    if blocker is not None:
        reservations.append((blocker, {flow_name: entity_data.get("code")}))
    return reservations


def _already_sent(
    session: Session,
    tenant: Tenant,
    flow: FlowSpec,
    plan: Plan,
    link: Link,
    entity_data: dict[str, Any],
    *,
    now: dt.datetime,
) -> SendResult:
    """Sending an entity again creates nothing in QuickBooks; the job says where it already is."""
    if link.status == link_repo.PENDING and link.job_id is not None:
        job = session.get(Job, link.job_id)
        if job is not None:
            return SendResult(job=job, plan=plan, existing=True)
    where = link.ref_number or link.txn_id or "QuickBooks"
    message = (
        f"{flow.name} {link.code} is already in QuickBooks as {link.qb_type or flow.qb_document} {where}. "
        "Nothing was sent: changes made in Fusion Operations after the first send are not applied to "
        "QuickBooks; update the document in QuickBooks if needed."
    )
    job = queue.record_finished_job(
        session,
        tenant_id=tenant.id,
        kind=flow.name,
        payload={"entity": entity_data},
        status=JobStatus.SUCCEEDED,
        result={
            "alreadySent": True,
            "message": message,
            "quickbooks": {
                "type": link.qb_type,
                "txnId": link.txn_id,
                "listId": link.list_id,
                "refNumber": link.ref_number,
            },
        },
        now=now,
        link_entity=link.entity,
        link_code=link.code,
    )
    return SendResult(job=job, plan=plan, warnings=[message], existing=True)
