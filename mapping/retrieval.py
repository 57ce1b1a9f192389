"""Retrieving orders from QuickBooks: scheduling, the iterator queries, and storing what comes back.

A retrieval is a job whose first step reads the QuickBooks lists that say what documents' lines mean
(item types, unit-of-measure sets: ``mapping.retrieval_lists``), then one step per QuickBooks entity
(sales orders, purchase orders, invoices, estimates). Each step is a query with an iterator: the
first page is sent with ``iterator="Start"``,
and while QuickBooks says more remain, the same step goes back to the queue in phase ``continue``
and sends ``iterator="Continue"`` in the same session (iterators die with the session; a step whose
session ended starts again from the beginning, which is harmless because imports are stored once
per QuickBooks document). The high-water mark moves only when the last page has been stored. How many
documents each page asks for is decided from the documents seen so far (``mapping.retrieval_pages``).
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
from db.states import StepPhase, StepState
from mapping import retrieval_lists
from mapping.explain import explain_status, is_retryable_status
from mapping.retries import MAX_ATTEMPTS, retry_delay
from mapping.retrieval_lines import ListFacts
from mapping.retrieval_mapping import TARGET_ENTITY, SourceType, map_document
from mapping.retrieval_pages import DEFAULT_SOAP_BODY_LIMIT, PAGE_SIZES, PageSizing
from mapping.settings import Retrievals, Settings, stored_settings
from mapping.step_kinds import StepKind
from requests_builder import (
    EstimateQuery,
    InvoiceQuery,
    ModifiedDateRangeFilter,
    PurchaseOrderQuery,
    Request,
    SalesOrderQuery,
)
from responses_parser import parse_response

RETRIEVAL_JOB = "retrieval"
# QuickBooks stamps TimeModified with the customer's PC clock; starting a little before the mark
# means a document saved during the previous retrieval is not lost behind it (duplicates are
# harmless: imports are unique per document).
OVERLAP = dt.timedelta(minutes=5)
FIRST_AUTOMATIC_LOOKBACK = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class EntitySpec:
    source_type: SourceType  # QuickBooks' name
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


class RetrievalRefused(Exception):
    """A retrieval that cannot be queued; the message says which setting to change."""


def check_retrieval_enabled(settings: Settings, entities: list[str]) -> None:
    """A retrieval of documents whose retrieval is turned off is refused, naming each setting (as the
    integration page shows it, and its key in the settings document) to turn on."""
    off = [entity for entity in entities if not getattr(settings.retrievals, _SETTINGS_ATTR[entity]).enabled]
    if not off:
        return
    settings_named = [
        f'"{Retrievals.model_fields[_SETTINGS_ATTR[entity]].title}" (setting retrievals.{entity}.enabled)'
        for entity in off
    ]
    named = (
        settings_named[0] if len(off) == 1 else ", ".join(settings_named[:-1]) + " and " + settings_named[-1]
    )
    raise RetrievalRefused(
        f"Retrieving {_plural(off)} from QuickBooks is turned off. Turn on {named} under "
        '"Retrieve from QuickBooks Desktop/Enterprise to Fusion Operations", then retrieve again. '
        "Nothing was queued."
    )


_DOCUMENT_NAMES = {
    "salesOrder": "sales orders",
    "purchaseOrder": "purchase orders",
    "invoice": "invoices",
    "estimate": "estimates",
}


_SOURCE_NAMES = {
    "SalesOrder": "sales order",
    "PurchaseOrder": "purchase order",
    "Invoice": "invoice",
    "Estimate": "estimate",
}


def _plural(entities: list[str]) -> str:
    names = [_DOCUMENT_NAMES[entity] for entity in entities]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


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
    """A retrieval job: the lists step, then one query step per entity, for everything modified since
    ``since``."""
    lists_mark = import_repo.mark(session, tenant.id, retrieval_lists.LISTS)
    items_since = (lists_mark.high_water - OVERLAP) if lists_mark.high_water else None
    steps = [
        queue.NewStep(
            kind=StepKind.RETRIEVAL_QUERY,
            intent={
                "entity": retrieval_lists.LISTS,
                "since": items_since.isoformat() if items_since else None,
            },
            reconcilable=True,
        )
    ]
    lists_mark.last_started_at = now
    for entity in entities:
        start = since
        if start is None:
            mark = import_repo.mark(session, tenant.id, entity)
            start = (mark.high_water - OVERLAP) if mark.high_water else now - FIRST_AUTOMATIC_LOOKBACK
        steps.append(
            queue.NewStep(
                kind=StepKind.RETRIEVAL_QUERY,
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


def _any_automatic(stored: Any) -> bool:
    # Reading the stored document avoids validating it on every login. A part that is not what
    # qbbridge writes has its default in stored_settings (no automatic retrieval), so it is none here.
    retrievals = stored.get("retrievals") if isinstance(stored, dict) else None
    if not isinstance(retrievals, dict):
        return False
    return any(
        isinstance(options, dict) and options.get("enabled") and options.get("automatic")
        for options in retrievals.values()
    )


def schedule_automatic(session: Session, tenant: Tenant, *, now: dt.datetime) -> Job | None:
    """At a Web Connector's authenticate: queue the automatic retrievals that are due, if any."""
    if not _any_automatic(tenant.settings):
        return None
    settings = stored_settings(tenant.settings, tenant_id=tenant.id)
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


def render_queries(
    session: Session,
    step: queue.StepRef,
    *,
    session_id: int | None,
    qbxml_version: str | None,
    soap_body_limit: int = DEFAULT_SOAP_BODY_LIMIT,
) -> list[Request]:
    """The requests of the step's next page; ``soap_body_limit`` is the largest SOAP body the endpoint
    reads (QBBRIDGE_MAX_SOAP_BODY_BYTES), which a page of documents is sized against."""
    entity = step.intent["entity"]
    state = _state(session, step)
    continuing = (
        step.phase == StepPhase.CONTINUE
        and state.get("iteratorId")
        and state.get("iteratorSession") == session_id
    )
    if entity == retrieval_lists.LISTS:
        since = step.intent.get("since")
        return retrieval_lists.lists_queries(
            since=dt.datetime.fromisoformat(since) if since else None,
            page_size=PAGE_SIZES[entity],
            qbxml_version=qbxml_version,
            first=not continuing,
            iterator_id=state.get("iteratorId"),
        )
    sizing = _sizing(step, state)
    if continuing:
        return [
            ENTITIES[entity].query(
                iterator="Continue",
                iterator_id=state["iteratorId"],
                max_returned=sizing.next_page(entity, soap_body_limit),
            )
        ]
    since = dt.datetime.fromisoformat(step.intent["since"])
    return [first_page_query(entity, since, page_size=sizing.first_page(entity, soap_body_limit))]


def _sizing(step: queue.StepRef, state: dict[str, Any]) -> PageSizing:
    sizing = PageSizing.from_result(state)
    # A step in phase "reconcile" lost its last page's answer (its session ended first, as it does when
    # a page is over the SOAP body limit): it starts again, its pages no larger than the first's.
    return sizing.lost() if step.phase == StepPhase.RECONCILE else sizing


def first_page_query(entity: str, since: dt.datetime, *, page_size: int | None = None) -> Request:
    """The query that starts retrieving ``entity``: every document modified since ``since``, with its
    lines, linked transactions and custom fields, ``page_size`` (by default ``PAGE_SIZES[entity]``,
    the size for when nothing has been seen yet) at a time."""
    return ENTITIES[entity].query(
        iterator="Start",
        max_returned=page_size or PAGE_SIZES[entity],
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
    if entity == retrieval_lists.LISTS:
        return _apply_lists_page(session, step, job, tenant, response, now=now, session_id=session_id)
    spec = ENTITIES[entity]
    settings = stored_settings(tenant.settings, tenant_id=tenant.id)
    state = _state(session, step)
    sizing = _sizing(step, state)
    counts = dict((job.result or {}).get("entities", {}).get(entity) or _empty_counts())
    counts["skippedReasons"] = dict(counts.get("skippedReasons") or {})
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
                    phase=StepPhase.SEND,
                    not_before=now + retry_delay(step.attempts),
                )
                return foreign
            if state.get("iteratorId") and step.phase == StepPhase.CONTINUE:
                # The iterator is gone (QuickBooks restarted, or the session changed): start over. No
                # source says whether QuickBooks takes a Continue asking for another number of documents
                # than its Start did: from now on this step asks every page at the first page's size.
                answer.result = sizing.continue_refused().to_result()
                queue.settle_step(session, step, StepState.QUEUED, answer, now=now, phase=StepPhase.SEND)
                return foreign
            queue.settle_step(session, step, StepState.FAILED, answer, now=now)
            _save_counts(job, entity, counts)
            return foreign
        remaining = rs.iterator_remaining_count or 0
        iterator_id = rs.iterator_id
        counts["pages"] += 1
        records = list(rs.records)
        sizing = sizing.seen(response, f"{spec.source_type}Ret", len(records))
        facts = retrieval_lists.facts_for(session, tenant.id, records)
        ours = _our_txn_ids(session, tenant.id, [getattr(record, "txn_id", None) or "" for record in records])
        _store_page(session, tenant, job, records, spec, settings, ours, facts, counts, state, now)
    if foreign and not answered:
        _ask_again(session, step, answer, now=now)
        return foreign
    _save_counts(job, entity, counts)
    answer.result = {
        "iteratorId": iterator_id,
        "iteratorSession": session_id,
        "maxModified": state.get("maxModified"),
        "pages": counts["pages"],
        **sizing.to_result(),
    }
    if remaining > 0 and iterator_id:
        queue.settle_step(session, step, StepState.QUEUED, answer, now=now, phase=StepPhase.CONTINUE)
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


def _ask_again(session: Session, step: queue.StepRef, answer: queue.Answer, *, now: dt.datetime) -> None:
    """The answer carried none of this step's own responses: ask QuickBooks again, from the start."""
    answer.error = (
        "The answer the Web Connector returned for this query carried responses to requests this "
        "session was not given; qbbridge ignored it and will ask QuickBooks again."
    )
    queue.settle_step(session, step, StepState.QUEUED, answer, now=now, phase=StepPhase.SEND)


def _apply_lists_page(
    session: Session,
    step: queue.StepRef,
    job: Job,
    tenant: Tenant,
    response: str,
    *,
    now: dt.datetime,
    session_id: int | None,
) -> int:
    """Store a page of the lists step; returns how many responses were not its own (skipped).
    QuickBooks' errors become job warnings: the documents that follow are imported all the same (see
    ``mapping.retrieval_lists``)."""
    state = _state(session, step)
    result = dict(job.result or {})
    lists = dict(result.get("lists") or {"items": 0, "unitSets": 0})
    warnings: list[str] = []
    remaining, iterator_id, items_error = 0, None, False
    answer = queue.Answer(response=None)
    foreign = 0
    answered = False
    for rs in parse_response(response):
        if rs.request_id not in step.request_ids:
            foreign += 1
            continue
        answered = True
        is_items = rs.request_type.startswith("Item")
        if rs.is_error and is_items and state.get("iteratorId") and step.phase == StepPhase.CONTINUE:
            # The iterator is gone (QuickBooks restarted, or the session changed): start over.
            queue.settle_step(session, step, StepState.QUEUED, answer, now=now, phase=StepPhase.SEND)
            return foreign
        stored = retrieval_lists.store_lists_answer(session, tenant.id, rs, now=now)
        if stored.warning:
            warnings.append(stored.warning)
        if is_items:
            items_error = rs.is_error
            answer = queue.Answer(
                status_code=rs.status_code,
                status_severity=rs.status_severity,
                status_message=rs.status_message,
            )
            remaining = rs.iterator_remaining_count or 0
            iterator_id = rs.iterator_id
            lists["items"] += stored.stored
            seen = stored.latest_modified
            before = state.get("maxModified")
            if seen and (not before or dt.datetime.fromisoformat(seen) > dt.datetime.fromisoformat(before)):
                state["maxModified"] = seen
        else:
            lists["unitSets"] = stored.stored
    if foreign and not answered:
        _ask_again(session, step, answer, now=now)
        return foreign
    result["lists"] = lists
    job.result = result
    if warnings:
        job.warnings = [*job.warnings, *warnings]
    answer.result = {
        "iteratorId": iterator_id,
        "iteratorSession": session_id,
        "maxModified": state.get("maxModified"),
    }
    if remaining > 0 and iterator_id and not items_error:
        queue.settle_step(session, step, StepState.QUEUED, answer, now=now, phase=StepPhase.CONTINUE)
        return foreign
    queue.settle_step(session, step, StepState.SUCCEEDED, answer, now=now)
    if items_error:
        return foreign  # the mark stays: the next retrieval reads from where this one should have
    mark = import_repo.mark(session, tenant.id, retrieval_lists.LISTS)
    if state.get("maxModified"):
        seen_at = dt.datetime.fromisoformat(state["maxModified"])
        mark.high_water = max(mark.high_water, seen_at) if mark.high_water else seen_at
    mark.last_completed_at = now
    return foreign


def _save_counts(job: Job, entity: str, counts: dict[str, Any]) -> None:
    result = dict(job.result or {})
    entities = dict(result.get("entities") or {})
    entities[entity] = counts
    result["entities"] = entities
    job.result = result


def _our_txn_ids(session: Session, tenant_id: str, txn_ids: list[str]) -> set[str]:
    """Which of ``txn_ids`` are documents qbbridge created from Fusion Operations: never imported back
    (no loop)."""
    wanted = sorted({txn_id for txn_id in txn_ids if txn_id})
    if not wanted:
        return set()
    return set(
        session.scalars(select(Link.txn_id).where(Link.tenant_id == tenant_id, Link.txn_id.in_(wanted)))
    )


def _store_page(
    session: Session,
    tenant: Tenant,
    job: Job,
    records: list[Any],
    spec: EntitySpec,
    settings: Settings,
    ours: set[str],
    facts: ListFacts,
    counts: dict[str, Any],
    state: dict[str, Any],
    now: dt.datetime,
) -> None:
    """Map a page of documents and store it with a few statements: which were imported before, the
    codes already in use, the new documents, and the products they need."""
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
    fallback_entity = TARGET_ENTITY[spec.source_type]
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
                facts=facts,
            )
        except Exception as exc:
            counts["failed"] += 1
            rows.append(
                {
                    **base,
                    "entity": fallback_entity,
                    "code": None,
                    "data": {},
                    "status": import_repo.SKIPPED,
                    "reason": f"could not be read for Fusion Operations: {exc}",
                    "notes": [],
                }
            )
            continue
        rows.append(
            {
                **base,
                "entity": mapped.entity,
                "code": mapped.data.get("code") if not mapped.skip_reason else None,
                "data": mapped.data,
                "status": import_repo.SKIPPED if mapped.skip_reason else import_repo.PENDING,
                "reason": mapped.skip_reason,
                "notes": list(mapped.notes),
            }
        )
        if mapped.skip_reason:
            _skip(counts, mapped.skip_reason)
            continue
        counts["imported"] += 1
        for product in mapped.products:
            products.setdefault(product["code"], product)
    _note_codes_in_use(session, tenant.id, rows)
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
                "code": code,
                "notes": [],
            }
            for code, product in products.items()
        ],
        now=now,
    )


def _note_codes_in_use(session: Session, tenant_id: str, rows: list[dict[str, Any]]) -> None:
    """An order whose code another import holds already (QuickBooks lets two documents share a number;
    a prefix setting may have changed) would be refused by Fusion Operations: its notes say so."""
    by_entity: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("code") and row["status"] == import_repo.PENDING:
            by_entity.setdefault(row["entity"], []).append(row)
    for entity, pending in by_entity.items():
        taken = import_repo.codes_in_use(session, tenant_id, entity, [row["code"] for row in pending])
        first_in_page: dict[str, dict[str, Any]] = {}
        for row in pending:
            holder = taken.get(row["code"])
            if holder is not None:
                holder_type, holder_number = holder
                other = f"QuickBooks {_SOURCE_NAMES[holder_type]} {holder_number}"
            elif row["code"] in first_in_page:
                earlier = first_in_page[row["code"]]
                number = earlier["ref_number"] or earlier["source_id"]
                other = f"QuickBooks {_SOURCE_NAMES[earlier['source_type']]} {number}"
            else:
                first_in_page[row["code"]] = row
                continue
            row["notes"] = [
                *row["notes"],
                f"code {row['code']} is already the code of {other}, imported too: Fusion Operations will "
                "refuse this order until one of them is given another code there",
            ]


def _skip(counts: dict[str, Any], reason: str) -> None:
    counts["skipped"] += 1
    counts["skippedReasons"][reason] = counts["skippedReasons"].get(reason, 0) + 1
