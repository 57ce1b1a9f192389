"""Accepting a send from Fusion Operations: settings, country, plan, links, then a queued job.

Everything that can be known before QuickBooks is asked is checked here, so a send that cannot work
is refused at once with what to change, and nothing is queued. The link is reserved in the same
transaction as the job: sending an entity twice never creates two documents. What a send reads
(its tenant, the links it looks at) is one statement, and what it writes (the job, its steps, the
reservations, the audit row) one batch: see ``db/sends.py``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from db import audit as audit_log
from db import imports as import_repo
from db import links as link_repo
from db import queue
from db import sends as send_repo
from db.models import Job, Link
from db.sends import AuditEntry, LinkRow, NewSendStep, Reservation, SendReads
from db.states import JobStatus
from db.transaction import Work, session_of
from mapping.entities import ProductionOrder, Receiving, Shipping
from mapping.explain import remedies_for
from mapping.flows import FLOWS, FlowSpec, PlanContext, receiving_blocker_key, shipping_blocker_key
from mapping.flows.context import ItemTypesLookup
from mapping.flows.validate import planned_warnings, with_placeholders
from mapping.host import version_for_sends
from mapping.item_types import KNOWN_FOR, KnownType, known_item_types
from mapping.plan import SENT_AS, LinkInfo, LinkKey, Plan, PlanError
from mapping.rendering import NON_US_REFUSAL
from mapping.settings import Settings, settings_from_text
from mapping.step_kinds import StepKind
from requests_builder import build_message_set

# One bill per purchase order and one invoice per sales order: each carries the whole order (FAQ 2, 6).
# Each takes its own flow's entity (queue_send passes the entity of that flow), hence Any.
_BLOCKERS: dict[str, Callable[[Any], LinkKey]] = {
    "shipping": shipping_blocker_key,
    "receiving": receiving_blocker_key,
}
_BLOCKER_NOUNS = {"shipping": ("sales order", "invoiced"), "receiving": ("purchase order", "billed")}


class RefusalReason(StrEnum):
    """Why a send was refused, in the domain's terms (api/sends.py says which HTTP status each gets)."""

    NO_SUCH_TENANT = "no_such_tenant"
    TENANT_DISABLED = "tenant_disabled"  # nothing is sent for it until it is enabled again
    # The entity itself cannot be sent as given (``field`` names what to change).
    INVALID_ENTITY = "invalid_entity"
    # What the tenant's state says, the entity being fine:
    FLOW_OFF = "flow_off"
    FLOW_NOT_AUTOMATIC = "flow_not_automatic"
    OUTSIDE_US = "outside_us"
    ORDER_ALREADY_DONE = "order_already_done"  # its one bill or invoice exists (FAQ 2, 6)
    HELD_BY_ENDED_JOB = "held_by_ended_job"  # a job that ended without creating it holds its link
    FROM_QUICKBOOKS = "from_quickbooks"  # retrieved from QuickBooks: sending it back would duplicate it
    BEING_SENT = "being_sent"  # another request reserved it between our read and our write


class SendRefused(Exception):
    """The send cannot be queued: ``reason`` says why, ``message`` says it to a person, ``field`` is
    the payload path, if any.

    ``written``: the refusal came after the send's rows were written (another request reserved the
    same entity first), so the caller must roll its transaction back rather than commit it.
    """

    def __init__(
        self, reason: RefusalReason, message: str, *, field: str | None = None, written: bool = False
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.field = field
        self.written = written


@dataclass(frozen=True, slots=True)
class QueuedJob:
    """A job this send queued: what the caller is told of it."""

    public_id: str
    status: str


@dataclass(frozen=True, slots=True)
class Audit:
    """Who asked for the send, and what to call it in the audit log."""

    actor: str
    action: str


@dataclass(slots=True)
class SendResult:
    """What a send came to: the job queued (or the one already there), the plan it follows, and the
    qbXML it would send when it was a dry run."""

    job: Job | QueuedJob | None
    plan: Plan
    warnings: list[str] = field(default_factory=list)
    existing: bool = False  # the entity was already sent: the job reports the existing link
    dry_run_qbxml: list[str] = field(default_factory=list)


def link_info(link: Link | LinkRow) -> LinkInfo:
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
            RefusalReason.FLOW_OFF,
            f"The {title} flow is turned off (settings: sends.{flow.settings_key}.enabled). "
            "Turn it on to send.",
        )
    if automatic and not getattr(options, "automatic", False):
        raise SendRefused(
            RefusalReason.FLOW_NOT_AUTOMATIC,
            f"The {title} flow is not automatic (settings: sends.{flow.settings_key}.automatic), so "
            "events do not send it; use the send button, or turn automatic on.",
        )


def _attr(camel: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in camel)


class SendLinks:
    """The links one send looks at: those read with its tenant, and any other read on demand."""

    def __init__(self, work: Work, tenant_id: str, read: dict[tuple[str, str], LinkRow | None]) -> None:
        self._work = work
        self._tenant_id = tenant_id
        self._read = read

    def get(self, entity: str, code: str) -> Link | LinkRow | None:
        key = (entity, code)
        if key in self._read:
            return self._read[key]
        return link_repo.get(session_of(self._work), self._tenant_id, entity, code)

    def lookup(self, entity: str, code: str) -> LinkInfo | None:
        link = self.get(entity, code)
        return link_info(link) if link is not None else None


def links_to_read(flow_name: str, entity: BaseModel, blocker: LinkKey | None) -> list[tuple[str, str]]:
    """The links a send of this entity will look at, so they are read with its tenant: its own (the
    planners link an entity under its flow and code), its blocker, and the order it belongs to. A
    link missing here is still read when asked for (``SendLinks.get``); this list only saves trips."""
    keys: list[tuple[str, str]] = []
    code = getattr(entity, "code", None)
    if flow_name in _LINKED_FLOWS and isinstance(code, str):
        keys.append((flow_name, code))
    if blocker is not None:
        keys.append((blocker.entity, blocker.code))
    if isinstance(entity, Shipping):
        keys.append(("salesOrder", entity.sales_order.code))
    elif isinstance(entity, Receiving):
        keys.append(("purchaseOrder", entity.purchase_order.code))
    elif isinstance(entity, ProductionOrder) and entity.client is None and entity.sales_order is not None:
        keys.append(("salesOrder", entity.sales_order.code))
    return keys[: send_repo.LINK_SLOTS]


# Flows whose plan links the entity (``Plan.link``); inventory is sent again and again.
_LINKED_FLOWS = frozenset(FLOWS) - {"inventory"}
# Orders that may have come from QuickBooks, and so must not be sent back to it.
_IMPORTABLE = frozenset({"salesOrder", "purchaseOrder"})


def plan_send(
    reads: SendReads,
    settings: Settings,
    links: SendLinks,
    flow_name: str,
    entity: BaseModel,
    *,
    now: dt.datetime,
    known_item_types: ItemTypesLookup | None = None,
) -> tuple[Plan, list[str]]:
    flow = _flow(flow_name)
    check_flow_enabled(settings, flow, automatic=False)
    if reads.qb_country and reads.qb_country.upper() != "US":
        raise SendRefused(RefusalReason.OUTSIDE_US, NON_US_REFUSAL.format(country=reads.qb_country))
    context = PlanContext(
        tenant_id=reads.tenant_id,
        now=now,
        link_lookup=links.lookup,
        country=reads.qb_country or "US",
        **({"known_item_types": known_item_types} if known_item_types is not None else {}),
    )
    try:
        plan = plan_entity(flow_name, entity, settings, context)
        # Checked at the version the customer's QuickBooks was last spoken to at.
        version, too_old = version_for_sends(reads.qbxml_version)
        warnings = [*plan.warnings, *planned_warnings(plan, version)]
    except PlanError as exc:
        raise SendRefused(RefusalReason.INVALID_ENTITY, exc.message, field=exc.field) from exc
    if too_old is not None:
        warnings.append(too_old)
    return plan, warnings


def plan_entity(flow_name: str, entity: BaseModel, settings: Settings, context: PlanContext) -> Plan:
    """The flow's plan, each step with the settings its explanations may offer (``remedies_for``)."""
    plan = _flow(flow_name).planner(entity, settings, context)
    for step in plan.steps:
        step.remedies = remedies_for(flow_name, step.request, settings)
    return plan


def dry_run(plan: Plan, qbxml_version: str | None) -> list[str]:
    """The qbXML of each step as it would be sent now (IDs from earlier steps shown as placeholders)."""
    version, _ = version_for_sends(qbxml_version)
    return [
        build_message_set([with_placeholders(step.request, step.bindings)], version=version).xml
        for step in plan.steps
    ]


DISABLED_TENANT = (
    "This tenant is disabled: nothing is sent to or retrieved from its QuickBooks until it is enabled "
    "again (POST /api/v1/tenants/{id}/enable). What was queued before is kept and goes out then."
)


def no_such_tenant(tenant_id: str) -> SendRefused:
    return SendRefused(RefusalReason.NO_SUCH_TENANT, f"No tenant with id {tenant_id!r}.")


def queue_send(
    work: Work,
    tenant_id: str,
    flow_name: str,
    entity: BaseModel,
    *,
    now: dt.datetime,
    dry: bool = False,
    automatic: bool = False,
    audit: Audit | None = None,
) -> SendResult:
    """Plan the send, check it, then queue its job, reserve its links and write ``audit`` (with the
    job's id) in the session's transaction. SendRefused (``NO_SUCH_TENANT`` when there is no such
    tenant) when it cannot be sent; the caller's transaction must then be rolled back, as for any
    error. ``work`` may be a transaction without an ORM session (``db/transaction.py``): one is made
    only for the rarer branches (a link not read with the tenant, an order that may have come from
    QuickBooks, an entity already sent, a send behind another job)."""
    flow = _flow(flow_name)
    blocker_key = _BLOCKERS[flow_name](entity) if flow_name in _BLOCKERS else None
    code = getattr(entity, "code", None)
    reads = send_repo.read_for_send(
        work,
        tenant_id,
        links_to_read(flow_name, entity, blocker_key),
        imported=(flow_name, str(code or "")) if flow_name in _IMPORTABLE else None,
    )
    if reads is None:
        raise no_such_tenant(tenant_id)
    if reads.disabled:
        raise SendRefused(RefusalReason.TENANT_DISABLED, DISABLED_TENANT)
    settings = settings_from_text(reads.settings_text, tenant_id=tenant_id)
    if automatic:
        check_flow_enabled(settings, flow, automatic=True)
    links = SendLinks(work, tenant_id, reads.links)
    if blocker_key is not None:
        holder = links.get(blocker_key.entity, blocker_key.code)
        held_by = (holder.data or {}).get(flow_name) if holder is not None else None
        if holder is not None and held_by != code:
            noun, done = _BLOCKER_NOUNS[flow_name]
            raise SendRefused(
                RefusalReason.ORDER_ALREADY_DONE,
                f"{noun.capitalize()} {blocker_key.code} was already {done} by {flow_name} {held_by}; "
                f"several {flow_name}s for one {noun} are not supported (QuickBooks gets the whole {noun} "
                "at once).",
            )
    if reads.imported:
        _refuse_if_from_quickbooks(session_of(work), tenant_id, flow_name, str(code or ""))
    plan, warnings = plan_send(
        reads,
        settings,
        links,
        flow_name,
        entity,
        now=now,
        known_item_types=_item_types_reader(work, tenant_id, now),
    )
    if dry:
        return SendResult(
            job=None, plan=plan, warnings=warnings, dry_run_qbxml=dry_run(plan, reads.qbxml_version)
        )
    entity_data = entity.model_dump(mode="json", by_alias=True)

    if plan.link is not None:
        existing = links.get(plan.link.entity, plan.link.code)
        if existing is not None:
            session = session_of(work)
            result = _already_sent(session, tenant_id, flow, plan, existing, entity_data, now=now)
            if audit is not None and result.job is not None:
                audit_log.record(
                    session,
                    actor=audit.actor,
                    action=audit.action,
                    tenant_id=tenant_id,
                    job_id=result.job.public_id,
                )
            return result

    depends_on = None
    for required in plan.requires:
        link = links.get(required.entity, required.code)
        if link is not None and link.status == link_repo.PENDING:
            depends_on = link.job_id
            _refuse_behind_an_ended_job(session_of(work), required, link.job_id)

    reservations = _reservations(plan.link, blocker_key, flow_name, entity_data, plan.summary)
    public_id = str(uuid.uuid4())
    taken = send_repo.write_send(
        work,
        public_id=public_id,
        tenant_id=tenant_id,
        kind=flow_name,
        payload={
            "entity": entity_data,
            "summary": plan.summary,
            # Kept so a retry after a failure can take the same links back.
            "reservations": [{"entity": k.entity, "code": k.code, "data": d} for k, d in reservations],
        },
        steps=[
            NewSendStep(
                kind=StepKind.QBXML_REQUEST,
                intent=step.to_intent(),
                reconcilable=step.reconcile is not None or step.safe_to_repeat,
            )
            for step in plan.steps
        ],
        warnings=warnings,
        link_entity=plan.link.entity if plan.link else None,
        link_code=plan.link.code if plan.link else None,
        depends_on_job_id=depends_on,
        reservations=[Reservation(key.entity, key.code, data) for key, data in reservations],
        audit=AuditEntry(audit.actor, audit.action, {"job_id": public_id}) if audit is not None else None,
        now=now,
    )
    for (key, _), reserved in zip(reservations, taken, strict=True):
        if not reserved:
            # Another request reserved it between our read and our insert: let the caller retry.
            # Raising makes the caller roll back the job, its steps and the audit row with it.
            raise SendRefused(
                RefusalReason.BEING_SENT,
                f"{key.entity} {key.code} is being sent by another request right now; retry.",
                written=True,
            )
    return SendResult(job=QueuedJob(public_id, JobStatus.QUEUED.value), plan=plan, warnings=warnings)


def _item_types_reader(work: Work, tenant_id: str, now: dt.datetime) -> ItemTypesLookup:
    """What QuickBooks said of item types to this tenant's recent inventory sends (read only when a
    planner asks: only inventory does)."""

    def read() -> dict[str, KnownType]:
        results = send_repo.recent_inventory_results(work, tenant_id, since=now - KNOWN_FOR)
        return known_item_types(results)

    return read


def _refuse_behind_an_ended_job(session: Session, required: LinkKey, job_id: int | None) -> None:
    """A send waits for the job still creating what it needs, and a tenant's jobs run in queue order:
    a send waiting for a job that has ended without creating it could never run, and would hold every
    later job of the tenant. (A job that failed or was cancelled released its link; one whose outcome
    is unknown keeps it, since QuickBooks may have the document.)"""
    job = session.get(Job, job_id) if job_id is not None else None
    if job is None or job.status in {JobStatus.QUEUED, JobStatus.IN_FLIGHT}:
        return
    title = FLOW_TITLES.get(required.entity, required.entity)
    raise SendRefused(
        RefusalReason.HELD_BY_ENDED_JOB,
        f"{title} {required.code} is held by job {job.public_id}, which ended without creating it in "
        f"QuickBooks ({job.status}): QuickBooks may or may not have it. Check QuickBooks, retry or cancel "
        "that job, then send this again. Nothing was queued.",
    )


def _refuse_if_from_quickbooks(session: Session, tenant_id: str, flow_name: str, code: str) -> None:
    """An order retrieved from QuickBooks is already there: sending it back would duplicate it."""
    source = import_repo.imported_as(session, tenant_id, flow_name, code)
    if source is None:
        return
    document = f"{source.source_type} {source.ref_number or source.source_id}"
    raise SendRefused(
        RefusalReason.FROM_QUICKBOOKS,
        f"{FLOW_TITLES[flow_name]} {code} came from QuickBooks ({document}, retrieved "
        f"{source.created_at:%Y-%m-%d}); it is already in QuickBooks, so it is not sent back. "
        "Nothing was sent.",
    )


def _reservations(
    link: LinkKey | None,
    blocker: LinkKey | None,
    flow_name: str,
    entity_data: dict[str, Any],
    summary: dict[str, Any],
) -> list[tuple[LinkKey, dict[str, Any]]]:
    reservations = []
    if link is not None:
        # The entity as sent, and how it was sent (its customer, number, date): what a later send
        # against it (an invoice for a sales order, a bill for a purchase order) must agree with.
        reservations.append((link, {**entity_data, SENT_AS: summary} if summary else entity_data))
    if blocker is not None:
        reservations.append((blocker, {flow_name: entity_data.get("code")}))
    return reservations


def _already_sent(
    session: Session,
    tenant_id: str,
    flow: FlowSpec,
    plan: Plan,
    link: Link | LinkRow,
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
        tenant_id=tenant_id,
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
