"""Delivering stored imports to Fusion Operations' API, with retries, without ever losing one.

An import stays ``pending`` until Fusion Operations accepted it (2xx). Transient answers (429, 5xx,
408, network errors) move its ``next_attempt_at`` forward: 429 to what ``Retry-After`` says, the rest
by exponential backoff with jitter. A refusal a person must look at (another 4xx) also keeps it
pending, with what Fusion Operations said in ``last_error``, and tries again a day later, so a fix made
in Fusion Operations (a missing client created, say) is picked up without anyone re-queuing it.

Locking (see :func:`deliver_pending`): imports are claimed in one short transaction that takes a
lease on them (``next_attempt_at`` moved past the run, ``attempts`` counted); the HTTP calls run
outside any transaction; each outcome is written only if the lease is still ours.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from db import deliveries
from db.deliveries import ImportClaim
from db.engine import Database
from db.models import Tenant
from db.sealing import Keyring, UnreadableSecret
from mapping.delivery.client import DeliveryResult, FusionApiClient, backoff, clients_with

log = logging.getLogger(__name__)

# Products first: the orders name them by code, and Fusion Operations needs them to exist.
ENTITY_PRIORITY: dict[str, int] = {"product": 0, "salesOrder": 1, "purchaseOrder": 1}
NEEDS_PERSON_DELAY = dt.timedelta(hours=24)
WAITING_FOR_PRODUCT_DELAY = dt.timedelta(minutes=1)
# How long claimed imports are ours. A run stops calling Fusion Operations well before it ends and
# hands the rest back, so another process can never pick up an import still being delivered.
LEASE = dt.timedelta(minutes=10)
UNREADABLE_KEY_ERROR = (
    "the stored Fusion Operations API key cannot be decrypted with the service's secret key (it was "
    "changed or lost): set the key again with PUT …/fusion-api"
)
# How soon imports of a tenant whose key cannot be decrypted are looked at again: a PUT of the key
# (or the old secret key restored) is picked up without anyone re-queuing them.
UNREADABLE_KEY_DELAY = dt.timedelta(minutes=5)


@dataclass(slots=True)
class DeliveryReport:
    """What one :func:`deliver_pending` run did, by import public id."""

    delivered: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    needs_person: list[str] = field(default_factory=list)
    # Handed back untouched: waiting for their products, no client for the tenant, or out of time.
    deferred: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def attempted(self) -> int:
        return len(self.delivered) + len(self.retrying) + len(self.needs_person)


def _product_codes(data: dict[str, Any]) -> set[str]:
    codes = set()
    for row in data.get("rows") or []:
        product = row.get("product") if isinstance(row, dict) else None
        if isinstance(product, dict) and product.get("code"):
            codes.add(str(product["code"]))
    return codes


def deliver_pending(
    database: Database,
    *,
    now: dt.datetime,
    keyring: Keyring | None = None,
    client_for_tenant: Callable[[Tenant], FusionApiClient | None] | None = None,
    limit: int = 100,
    rng: random.Random | None = None,
) -> DeliveryReport:
    """Deliver due imports of tenants that have a Fusion Operations API, products before orders.

    Three steps, so no transaction is open while Fusion Operations is called: claim (lease, see
    :func:`db.deliveries.claim_due`), call, then record each outcome in its own short transaction,
    guarded by the lease token (``attempts``). An order whose products are still pending is handed
    back unattempted. The clients are made by ``client_for_tenant`` (default: :func:`clients_with`
    ``keyring``; without either, nothing is delivered) and closed at the end.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    report = DeliveryReport()
    if client_for_tenant is None:
        client_for_tenant = clients_with(keyring) if keyring is not None else (lambda _tenant: None)
    claims, tenants = deliveries.claim_due(database, now, limit, lease=LEASE, priority=ENTITY_PRIORITY)
    if not claims:
        return report
    started = time.monotonic()

    def defer(claim: ImportClaim, current: dt.datetime, **values: Any) -> None:
        """Hand ``claim`` back unattempted (``values``: when to look again, and why)."""
        with database.transaction() as session:
            deliveries.hand_back(session, claim, current, **values)
        report.deferred.append(claim.public_id)

    clients: dict[str, FusionApiClient | None] = {}
    unreadable: set[str] = set()
    # Read once per tenant after its products were tried (they are claimed first): what is still
    # pending then, here or in another run, is not in Fusion Operations yet.
    pending_products: dict[str, set[str]] = {}
    try:
        for claim in claims:
            elapsed = dt.timedelta(seconds=time.monotonic() - started)
            current = now + elapsed
            if claim.tenant_id not in clients:
                try:
                    clients[claim.tenant_id] = client_for_tenant(tenants[claim.tenant_id])
                except UnreadableSecret:
                    clients[claim.tenant_id] = None
                    unreadable.add(claim.tenant_id)
                    log.error("tenant %s: %s", claim.tenant_id, UNREADABLE_KEY_ERROR)
            client = clients[claim.tenant_id]
            if claim.tenant_id in unreadable:
                later = current + UNREADABLE_KEY_DELAY
                defer(claim, current, next_attempt_at=later, last_error=UNREADABLE_KEY_ERROR)
                report.errors[claim.public_id] = UNREADABLE_KEY_ERROR
                continue
            if client is None or elapsed > LEASE / 2:
                defer(claim, current)
                continue
            if claim.entity != "product":
                if claim.tenant_id not in pending_products:
                    pending = deliveries.pending_product_codes(database, claim.tenant_id)
                    pending_products[claim.tenant_id] = pending
                waiting = sorted(_product_codes(claim.data) & pending_products[claim.tenant_id])
                if waiting:
                    defer(
                        claim,
                        current,
                        next_attempt_at=current + WAITING_FOR_PRODUCT_DELAY,
                        last_error="waiting for its products to reach Fusion Operations first: "
                        + ", ".join(waiting),
                    )
                    continue
            result = client.deliver(
                {"entity": claim.entity, "data": claim.data, "public_id": claim.public_id}
            )
            _record(
                database, claim, result, now + dt.timedelta(seconds=time.monotonic() - started), rng, report
            )
    finally:
        for client in clients.values():
            if client is not None:
                client.close()
    return report


def _record(
    database: Database,
    claim: ImportClaim,
    result: DeliveryResult,
    current: dt.datetime,
    rng: random.Random | None,
    report: DeliveryReport,
) -> None:
    if result.outcome == "delivered":
        values: dict[str, Any] = {
            "status": "delivered",
            "delivered_at": current,
            "next_attempt_at": None,
            "last_error": None,
        }
        bucket = report.delivered
    elif result.outcome == "retry":
        delay = result.retry_after if result.retry_after is not None else backoff(claim.attempts, rng=rng)
        values = {"next_attempt_at": current + delay, "last_error": result.error}
        bucket = report.retrying
    else:
        values = {"next_attempt_at": current + NEEDS_PERSON_DELAY, "last_error": result.error}
        bucket = report.needs_person
    with database.transaction() as session:
        ours = deliveries.settle(session, claim, updated_at=current, **values)
    if not ours:
        # Our lease ran out and another run took the import; its outcome is the one that counts.
        log.warning(
            "import %s: outcome %s not recorded, the lease had passed", claim.public_id, result.outcome
        )
        return
    bucket.append(claim.public_id)
    if result.error:
        report.errors[claim.public_id] = result.error
    log.info(
        "import %s (%s, tenant %s): %s%s",
        claim.public_id,
        claim.entity,
        claim.tenant_id,
        result.outcome,
        f" ({result.status_code})" if result.status_code else "",
    )
