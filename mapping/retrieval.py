"""Retrieving orders from QuickBooks: scheduling, the iterator queries, and storing what comes back.

A retrieval is a job with one step per QuickBooks entity (sales orders, purchase orders, invoices,
estimates). Each step is a query with an iterator: the first page is sent with ``iterator="Start"``,
and while QuickBooks says more remain, the same step goes back to the queue in phase ``continue``
and sends ``iterator="Continue"`` in the same session (iterators die with the session; a step whose
session ended starts again from the beginning, which is harmless because imports are stored once
per QuickBooks document). The high-water mark moves only when the last page has been stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import imports as import_repo
from db import queue
from db.models import Job, Link, Step, Tenant
from db.states import StepState
from mapping.explain import explain_status, is_retryable_status
from mapping.retries import MAX_ATTEMPTS, retry_delay
from mapping.retrieval_mapping import map_document
from mapping.settings import Settings, stored_settings
from requests_builder import (
    EstimateQuery,
    InvoiceQuery,
    ModifiedDateRangeFilter,
    PurchaseOrderQuery,
    Request,
    SalesOrderQuery,
)
from responses_parser import parse_response

RETRIEVAL_QUERY = "retrieval_query"
RETRIEVAL_JOB = "retrieval"
PAGE_SIZE = 100
# QuickBooks stamps TimeModified with the customer's PC clock; starting a little before the mark
# means a document saved during the previous retrieval is not lost behind it (duplicates are
# harmless: imports are unique per document).
OVERLAP = dt.timedelta(minutes=5)
FIRST_AUTOMATIC_LOOKBACK = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class EntitySpec:
    source_type: str  # QuickBooks' name
    query: type[SalesOrderQuery | PurchaseOrderQuery | InvoiceQuery | EstimateQuery]


ENTITIES: dict[str, EntitySpec] = {
    "salesOrder": EntitySpec("SalesOrder", SalesOrderQuery),
    "purchaseOrder": EntitySpec("PurchaseOrder", PurchaseOrderQuery),
    "invoice": EntitySpec("Invoice", InvoiceQuery),
    "estimate": EntitySpec("Estimate", EstimateQuery),
}
_SETTINGS_ATTR = {
    "salesOrder": "sales_order",
    "purchaseOrder": "purchase_order",
    "invoice": "invoice",
    "estimate": "estimate",
}


# --- scheduling --------------------------------------------------------------------------------


def queue_retrieval(
    session: Session,
    tenant: Tenant,
    entities: list[str],
    *,
    since: dt.datetime | None,
    now: dt.datetime,
    automatic: bool,
) -> Job:
    """A retrieval job: one query step per entity, for everything modified since ``since``."""
    steps = []
    for entity in entities:
        start = since
        if start is None:
            mark = import_repo.mark(session, tenant.id, entity)
            start = (mark.high_water - OVERLAP) if mark.high_water else now - FIRST_AUTOMATIC_LOOKBACK
        steps.append(
            queue.NewStep(
                kind=RETRIEVAL_QUERY,
                intent={"entity": entity, "since": start.isoformat()},
                # A page is safe to ask for again: what it returns is stored once per document.
                reconcilable=True,
            )
        )
        import_repo.mark(session, tenant.id, entity).last_started_at = now
    job = queue.enqueue(
        session,
        tenant_id=tenant.id,
        kind=RETRIEVAL_JOB,
        payload={"entities": entities, "since": since.isoformat() if since else None, "automatic": automatic},
        steps=steps,
    )
    job.result = {"entities": {entity: _empty_counts() for entity in entities}}
    return job


def _empty_counts() -> dict[str, Any]:
    return {"found": 0, "imported": 0, "skipped": 0, "failed": 0, "skippedReasons": {}, "pages": 0}


def in_window(settings: Settings, now: dt.datetime) -> bool:
    """Whether ``now`` is inside the synchronization interval, in the tenant's time zone."""
    window = settings.sync_window
    if window is None:
        return True
    local = now.astimezone(ZoneInfo(settings.timezone)).time().replace(second=0, microsecond=0)
    start = dt.time.fromisoformat(window.start)
    end = dt.time.fromisoformat(window.end)
    if start < end:
        return start <= local < end
    return local >= start or local < end  # the window crosses midnight


def _any_automatic(stored: dict[str, Any] | None) -> bool:
    # The stored document is already validated; reading it avoids validating it on every login.
    retrievals = (stored or {}).get("retrievals") or {}
    return any(
        isinstance(options, dict) and options.get("enabled") and options.get("automatic")
        for options in retrievals.values()
    )


def schedule_automatic(session: Session, tenant: Tenant, *, now: dt.datetime) -> Job | None:
    """At a Web Connector's authenticate: queue the automatic retrievals that are due, if any."""
    if not _any_automatic(tenant.settings):
        return None
    settings = stored_settings(tenant.settings)
    due = []
    for entity, attr in _SETTINGS_ATTR.items():
        options = getattr(settings.retrievals, attr)
        if not (options.enabled and options.automatic):
            continue
        mark = session.get(import_repo.RetrievalMark, (tenant.id, entity))
        interval = dt.timedelta(minutes=settings.retrieval_interval_minutes)
        if mark is not None and mark.last_started_at is not None and now - mark.last_started_at < interval:
            continue
        due.append(entity)
    if not due or not in_window(settings, now):
        return None
    return queue_retrieval(session, tenant, due, since=None, now=now, automatic=True)


# --- rendering ---------------------------------------------------------------------------------


def render_query(session: Session, step: queue.StepRef, *, session_id: int | None) -> Request:
    spec = ENTITIES[step.intent["entity"]]
    state = _state(session, step)
    if step.phase == "continue" and state.get("iteratorId") and state.get("iteratorSession") == session_id:
        return spec.query(iterator="Continue", iterator_id=state["iteratorId"], max_returned=PAGE_SIZE)
    since = dt.datetime.fromisoformat(step.intent["since"])
    return spec.query(
        iterator="Start",
        max_returned=PAGE_SIZE,
        modified_date_range=ModifiedDateRangeFilter(from_modified_date=since),
        include_line_items=True,
        include_linked_txns=True,
        owner_ids=["0"],  # custom fields (QuickBooks' own, OwnerID 0) come back as DataExtRet
    )


def _state(session: Session, step: queue.StepRef) -> dict[str, Any]:
    result = session.execute(select(Step.result).where(Step.id == step.id)).scalar_one_or_none()
    return dict(result or {})


# --- storing a page ----------------------------------------------------------------------------


def apply_page(
    session: Session, step: queue.StepRef, response: str, *, now: dt.datetime, session_id: int | None
) -> int:
    """Store a page of QuickBooks' answer as imports; continue the iterator or finish the step.

    Only responses carrying the step's own requestID are read; the others (not QuickBooks answering
    this step) are skipped unread and counted: the count is returned. A page with none of its own is
    asked for again from the start (pages are stored once per document, so asking again is safe)."""
    job = session.get(Job, step.job_id)
    assert job is not None
    tenant = session.get(Tenant, job.tenant_id)
    assert tenant is not None
    entity = step.intent["entity"]
    spec = ENTITIES[entity]
    settings = stored_settings(tenant.settings)
    state = _state(session, step)
    counts = dict((job.result or {}).get("entities", {}).get(entity) or _empty_counts())
    counts["skippedReasons"] = dict(counts.get("skippedReasons") or {})
    ours = _our_txn_ids(session, tenant.id)
    remaining = 0
    iterator_id = None
    answer = queue.Answer(response=None)
    foreign = 0
    answered = False
    for rs in parse_response(response):
        if rs.request_id not in step.request_ids:
            foreign += 1
            continue
        answered = True
        answer = queue.Answer(
            status_code=rs.status_code,
            status_severity=rs.status_severity,
            status_message=rs.status_message,
        )
        if rs.is_error:
            answer.error = explain_status(
                rs.status_code, rs.status_message, severity=rs.status_severity, request_type=rs.request_type
            )
            if is_retryable_status(rs.status_code, rs.status_message) and step.attempts < MAX_ATTEMPTS:
                # QuickBooks is busy: ask again, from the start (the iterator dies with the session),
                # in a later session, as for any request.
                queue.settle_step(
                    session,
                    step,
                    StepState.QUEUED,
                    answer,
                    now=now,
                    phase="send",
                    not_before=now + retry_delay(step.attempts),
                )
                return foreign
            if state.get("iteratorId") and step.phase == "continue":
                # The iterator is gone (QuickBooks restarted, or the session changed): start over.
                queue.settle_step(session, step, StepState.QUEUED, answer, now=now, phase="send")
                return foreign
            queue.settle_step(session, step, StepState.FAILED, answer, now=now)
            _save_counts(job, entity, counts)
            return foreign
        remaining = rs.iterator_remaining_count or 0
        iterator_id = rs.iterator_id
        counts["pages"] += 1
        _store_page(session, tenant, job, list(rs.records), spec, settings, ours, counts, state, now)
    if foreign and not answered:
        answer.error = (
            "The answer the Web Connector returned for this query carried responses to requests this "
            "session was not given; qbbridge ignored it and will ask QuickBooks again."
        )
        queue.settle_step(session, step, StepState.QUEUED, answer, now=now, phase="send")
        return foreign
    _save_counts(job, entity, counts)
    answer.result = {
        "iteratorId": iterator_id,
        "iteratorSession": session_id,
        "maxModified": state.get("maxModified"),
        "pages": counts["pages"],
    }
    if remaining > 0 and iterator_id:
        queue.settle_step(session, step, StepState.QUEUED, answer, now=now, phase="continue")
        return foreign
    queue.settle_step(session, step, StepState.SUCCEEDED, answer, now=now)
    mark = import_repo.mark(session, tenant.id, entity)
    if state.get("maxModified"):
        seen = dt.datetime.fromisoformat(state["maxModified"])
        mark.high_water = max(mark.high_water, seen) if mark.high_water else seen
    elif mark.high_water is None:
        mark.high_water = dt.datetime.fromisoformat(step.intent["since"])
    mark.last_completed_at = now
    return foreign


def _save_counts(job: Job, entity: str, counts: dict[str, Any]) -> None:
    result = dict(job.result or {})
    entities = dict(result.get("entities") or {})
    entities[entity] = counts
    result["entities"] = entities
    job.result = result


def _our_txn_ids(session: Session, tenant_id: str) -> set[str]:
    """TxnIDs of documents qbbridge created from Fusion Operations: never imported back (no loop)."""
    return {
        txn_id
        for txn_id in session.scalars(
            select(Link.txn_id).where(Link.tenant_id == tenant_id, Link.txn_id.is_not(None))
        )
        if txn_id
    }


def _store_page(
    session: Session,
    tenant: Tenant,
    job: Job,
    records: list[Any],
    spec: EntitySpec,
    settings: Settings,
    ours: set[str],
    counts: dict[str, Any],
    state: dict[str, Any],
    now: dt.datetime,
) -> None:
    """Map a page of documents and store it with a few statements: which were imported before, the
    new documents, and the products they need."""
    counts["found"] += len(records)
    for record in records:
        modified = getattr(record, "time_modified", None)
        if modified is not None:
            iso = modified.isoformat()
            if not state.get("maxModified") or iso > state["maxModified"]:
                state["maxModified"] = iso
    ids = [getattr(record, "txn_id", None) or "" for record in records]
    seen = import_repo.existing_sources(session, tenant.id, spec.source_type, ids)
    import_repo.note_changes_not_applied(session, tenant.id, spec.source_type, sorted(seen), now=now)
    rows: list[dict[str, Any]] = []
    products: dict[str, dict[str, Any]] = {}
    fallback_entity = "purchaseOrder" if spec.source_type == "PurchaseOrder" else "salesOrder"
    for record, txn_id in zip(records, ids, strict=True):
        if txn_id in seen:
            _skip(counts, "already imported; later changes in QuickBooks are not applied")
            continue
        seen.add(txn_id)  # a document twice in one answer is stored once
        base = {
            "tenant_id": tenant.id,
            "source_type": spec.source_type,
            "source_id": txn_id,
            "ref_number": getattr(record, "ref_number", None),
            "job_id": job.id,
        }
        try:
            mapped = map_document(
                record,
                source_type=spec.source_type,
                settings=settings,
                is_ours=lambda r: (r.txn_id or "") in ours,
            )
        except Exception as exc:
            counts["failed"] += 1
            rows.append(
                {
                    **base,
                    "entity": fallback_entity,
                    "data": {},
                    "status": import_repo.SKIPPED,
                    "reason": f"could not be read for Fusion Operations: {exc}",
                }
            )
            continue
        rows.append(
            {
                **base,
                "entity": mapped.entity,
                "data": mapped.data,
                "status": import_repo.SKIPPED if mapped.skip_reason else import_repo.PENDING,
                "reason": mapped.skip_reason,
            }
        )
        if mapped.skip_reason:
            _skip(counts, mapped.skip_reason)
            continue
        counts["imported"] += 1
        for product in mapped.products:
            products.setdefault(product["code"], product)
    import_repo.store_many(session, rows, now=now)
    import_repo.store_many(
        session,
        [
            {
                "tenant_id": tenant.id,
                "entity": "product",
                "source_type": "Item",
                "source_id": code,
                "ref_number": None,
                "data": product,
                "status": import_repo.PENDING,
                "reason": None,
                "job_id": job.id,
            }
            for code, product in products.items()
        ],
        now=now,
    )


def _skip(counts: dict[str, Any], reason: str) -> None:
    counts["skipped"] += 1
    counts["skippedReasons"][reason] = counts["skippedReasons"].get(reason, 0) + 1
