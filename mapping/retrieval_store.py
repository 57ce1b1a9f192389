"""Storing a retrieval page: QuickBooks' answer to a step's query, read as imports (once per
document), the step continued with its iterator or finished, and the high-water mark moved when the
last page is stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import imports as import_repo
from db import queue
from db.models import Job, Link, Tenant
from db.states import StepPhase, StepState
from mapping import retrieval_lists
from mapping.explain import explain_status, is_retryable_status
from mapping.retries import MAX_ATTEMPTS, retry_delay
from mapping.retrieval import ENTITIES, EntitySpec, empty_counts
from mapping.retrieval_lines import ListFacts
from mapping.retrieval_mapping import TARGET_ENTITY, map_document
from mapping.retrieval_queries import step_sizing, step_state
from mapping.settings import Settings, stored_settings
from responses_parser import RsResult, parse_response

# What an import's note calls the QuickBooks document that holds a code already.
_SOURCE_NAMES = {
    "SalesOrder": "sales order",
    "PurchaseOrder": "purchase order",
    "Invoice": "invoice",
    "Estimate": "estimate",
}


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
    state = step_state(session, step)
    sizing = step_sizing(step, state)
    counts = dict((job.result or {}).get("entities", {}).get(entity) or empty_counts())
    counts["skippedReasons"] = dict(counts.get("skippedReasons") or {})
    remaining = 0
    iterator_id = None
    answer = queue.Answer(response=None)
    sorting = _OwnResponses(step.request_ids)
    for rs in sorting.read(response):
        answer = queue.Answer(
            status_code=rs.status_code,
            status_severity=rs.status_severity,
            status_message=rs.status_message,
        )
        if rs.is_error:
            answer.error = explain_status(rs)
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
                return sorting.foreign
            if state.get("iteratorId") and step.phase == StepPhase.CONTINUE:
                # The iterator is gone (QuickBooks restarted, or the session changed): start over. No
                # source says whether QuickBooks takes a Continue asking for another number of documents
                # than its Start did: from now on this step asks every page at the first page's size.
                answer.result = sizing.continue_refused().to_result()
                queue.settle_step(session, step, StepState.QUEUED, answer, now=now, phase=StepPhase.SEND)
                return sorting.foreign
            queue.settle_step(session, step, StepState.FAILED, answer, now=now)
            _save_counts(job, entity, counts)
            return sorting.foreign
        remaining = rs.iterator_remaining_count or 0
        iterator_id = rs.iterator_id
        counts["pages"] += 1
        records = list(rs.records)
        sizing = sizing.seen(response, f"{spec.source_type}Ret", len(records))
        facts = retrieval_lists.facts_for(session, tenant.id, records)
        ours = _our_txn_ids(session, tenant.id, [getattr(record, "txn_id", None) or "" for record in records])
        _store_page(session, tenant, job, records, spec, settings, ours, facts, counts, state, now)
    foreign = sorting.foreign
    if foreign and not sorting.answered:
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
    _move_mark(mark, state.get("maxModified"))
    if mark.high_water is None:
        mark.high_water = dt.datetime.fromisoformat(step.intent["since"])
    mark.last_completed_at = now
    return foreign


class _OwnResponses:
    """Reads an answer's responses, passing over (and counting) those whose requestID is not one of
    the step's: not QuickBooks answering this step, so never read."""

    def __init__(self, request_ids: list[str]) -> None:
        self.request_ids = request_ids
        self.foreign = 0
        self.answered = False

    def read(self, response: str) -> Iterator[RsResult]:
        for rs in parse_response(response):
            if rs.request_id not in self.request_ids:
                self.foreign += 1
                continue
            self.answered = True
            yield rs


def _move_mark(mark: import_repo.RetrievalMark, max_modified: str | None) -> None:
    """The high-water mark moves up to the latest modification stored, never back."""
    if max_modified:
        seen = dt.datetime.fromisoformat(max_modified)
        mark.high_water = max(mark.high_water, seen) if mark.high_water else seen


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
    state = step_state(session, step)
    result = dict(job.result or {})
    lists = dict(result.get("lists") or {"items": 0, "unitSets": 0})
    warnings: list[str] = []
    remaining, iterator_id, items_error = 0, None, False
    answer = queue.Answer(response=None)
    sorting = _OwnResponses(step.request_ids)
    for rs in sorting.read(response):
        is_items = rs.request_type.startswith("Item")
        if rs.is_error and is_items and state.get("iteratorId") and step.phase == StepPhase.CONTINUE:
            # The iterator is gone (QuickBooks restarted, or the session changed): start over.
            queue.settle_step(session, step, StepState.QUEUED, answer, now=now, phase=StepPhase.SEND)
            return sorting.foreign
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
    foreign = sorting.foreign
    if foreign and not sorting.answered:
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
    _move_mark(mark, state.get("maxModified"))
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
