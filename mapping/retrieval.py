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

from sqlalchemy.orm import Session

from db import imports as import_repo
from db import queue
from db.models import Job, Tenant
from mapping import retrieval_lists
from mapping.retrieval_mapping import SourceType
from mapping.settings import Retrievals, Settings, stored_settings
from mapping.step_kinds import StepKind
from requests_builder import (
    EstimateQuery,
    InvoiceQuery,
    PurchaseOrderQuery,
    SalesOrderQuery,
)

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
    raise RetrievalRefused(
        f"Retrieving {_plural(off)} from QuickBooks is turned off. Turn on {_and_list(settings_named)} under "
        '"Retrieve from QuickBooks Desktop/Enterprise to Fusion Operations", then retrieve again. '
        "Nothing was queued."
    )


_DOCUMENT_NAMES = {
    "salesOrder": "sales orders",
    "purchaseOrder": "purchase orders",
    "invoice": "invoices",
    "estimate": "estimates",
}


def _plural(entities: list[str]) -> str:
    return _and_list([_DOCUMENT_NAMES[entity] for entity in entities])


def _and_list(names: list[str]) -> str:
    """Names joined as a person writes them: "a", "a and b", "a, b and c"."""
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
    job.result = {"entities": {entity: empty_counts() for entity in entities}}
    return job


def empty_counts() -> dict[str, Any]:
    """An entity's counts in a retrieval job's result before any page was stored."""
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


def any_automatic(stored: Any) -> bool:
    """Whether a tenant's stored settings turn on any automatic retrieval (``schedule_automatic``
    has work only then)."""
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
    if not any_automatic(tenant.settings):
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
