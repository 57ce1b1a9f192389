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
import email.utils
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import Import, Tenant
from db.results import affected_rows
from db.sealing import Keyring, UnreadableSecret

log = logging.getLogger(__name__)

# Fusion Operations v2 resources (fusion-operations.md §1.1, §1.2), relative to the tenant's base URL,
# e.g. https://api.aps.autodesk.com/fusion-operations/v2/.
ENDPOINTS: dict[str, str] = {
    "product": "products",
    "salesOrder": "sales-orders",
    "purchaseOrder": "purchase-orders",
}
# Products first: the orders name them by code, and Fusion Operations needs them to exist.
ENTITY_PRIORITY: dict[str, int] = {"product": 0, "salesOrder": 1, "purchaseOrder": 1}
# Keys of an import's data that are qbbridge's own (where the document came from), not Fusion
# Operations fields; the API is not documented to ignore unknown keys, so they are not sent.
PRIVATE_KEYS: frozenset[str] = frozenset({"quickbooks"})

BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=1)
RETRY_AFTER_CAP = dt.timedelta(hours=6)
NEEDS_PERSON_DELAY = dt.timedelta(hours=24)
WAITING_FOR_PRODUCT_DELAY = dt.timedelta(minutes=1)
# How long claimed imports are ours. A run stops calling Fusion Operations well before it ends and
# hands the rest back, so another process can never pick up an import still being delivered.
LEASE = dt.timedelta(minutes=10)
ERROR_TEXT_MAX = 500

Outcome = Literal["delivered", "retry", "needs_person"]


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What one call to Fusion Operations came to. ``retry_after`` is what the API asked (429)."""

    outcome: Outcome
    status_code: int | None = None
    error: str | None = None
    retry_after: dt.timedelta | None = None


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> dt.timedelta | None:
    """``Retry-After`` as a delay: seconds, or an HTTP-date (RFC 9110 §10.2.3). None when absent or
    unreadable; negative values and dates in the past are no delay at all."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return min(dt.timedelta(seconds=int(text)), RETRY_AFTER_CAP)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    delay = when - (now or dt.datetime.now(dt.UTC))
    return min(max(delay, dt.timedelta(0)), RETRY_AFTER_CAP)


def backoff(attempts: int, *, rng: random.Random | None = None) -> dt.timedelta:
    """Delay before attempt ``attempts + 1``: doubling from 30 s, capped at an hour, with half of it
    random so imports that failed together do not all come back together."""
    exponent = min(max(attempts - 1, 0), 20)
    delay = min(BACKOFF_BASE * (2**exponent), BACKOFF_CAP)
    fraction = (rng or random).random()
    return delay / 2 + delay / 2 * fraction


class FusionApiClient:
    """Posts imports to one tenant's Fusion Operations API. The key is sent as a bearer token (v2's
    scheme) and is never logged nor shown in ``repr``."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self._api_key = api_key
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json",
                "User-Agent": "qbbridge",
            },
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"FusionApiClient({self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FusionApiClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _scrub(self, text: str) -> str:
        if self._api_key:
            text = text.replace(self._api_key, "***")
        return text[:ERROR_TEXT_MAX]

    def deliver(self, import_row: dict[str, Any]) -> DeliveryResult:
        """POST one import (``entity``, ``data``, optionally ``public_id``) and classify the answer."""
        entity = import_row["entity"]
        path = ENDPOINTS.get(entity)
        if path is None:
            return DeliveryResult("needs_person", error=f"qbbridge cannot deliver a {entity!r} import")
        body = {key: value for key, value in import_row["data"].items() if key not in PRIVATE_KEYS}
        headers = {}
        if import_row.get("public_id"):
            # Not documented by Fusion Operations; harmless if ignored, and it lets a server that
            # honours it recognise a repeat of a call whose answer we lost.
            headers["Idempotency-Key"] = str(import_row["public_id"])
        try:
            response = self._http.post(path, json=body, headers=headers)
        except httpx.TimeoutException:
            return DeliveryResult("retry", error="Fusion Operations did not answer in time")
        except httpx.HTTPError as exc:
            return DeliveryResult(
                "retry", error=self._scrub(f"could not reach Fusion Operations: {type(exc).__name__}: {exc}")
            )
        return self._classify(entity, body, response)

    def _classify(self, entity: str, body: dict[str, Any], response: httpx.Response) -> DeliveryResult:
        status = response.status_code
        said = self._scrub(_readable(response)) or response.reason_phrase
        if 200 <= status < 300:
            return DeliveryResult("delivered", status)
        if status == 429:
            return DeliveryResult(
                "retry",
                status,
                "Fusion Operations' rate limit was reached (429)",
                parse_retry_after(response.headers.get("Retry-After")),
            )
        if status == 408 or status >= 500:
            return DeliveryResult("retry", status, f"Fusion Operations answered {status}: {said}")
        if status == 409 and entity == "product":
            # Products are created only when missing; one that exists already is what the orders need.
            return DeliveryResult("delivered", status)
        if status in (401, 403):
            error = (
                f"Fusion Operations refused the credentials ({status}): check the tenant's Fusion "
                f"Operations API key and its access. It said: {said}"
            )
        elif 300 <= status < 400:
            location = self._scrub(response.headers.get("Location", "?"))
            error = f"Fusion Operations answered a redirect ({status}) to {location}: check the API base URL"
        elif status == 404:
            error = f"Fusion Operations has no {ENDPOINTS[entity]} endpoint at {self.base_url} (404): {said}"
        elif status == 409:
            error = (
                f"Fusion Operations already has a {entity} with code {body.get('code')!r} (409). If it is "
                f"this one, acknowledge the import; otherwise rename one of them. It said: {said}"
            )
        else:
            error = f"Fusion Operations refused the {entity} ({status}): {said}"
        return DeliveryResult("needs_person", status, error)


def _readable(response: httpx.Response) -> str:
    # JSON error bodies are re-written without \u escapes so a name like "Müller" reads as written.
    try:
        return json.dumps(response.json(), ensure_ascii=False, separators=(", ", ": "))
    except ValueError:
        return response.text.strip()


UNREADABLE_KEY_ERROR = (
    "the stored Fusion Operations API key cannot be decrypted with the service's secret key (it was "
    "changed or lost): set the key again with PUT …/fusion-api"
)
# How soon imports of a tenant whose key cannot be decrypted are looked at again: a PUT of the key
# (or the old secret key restored) is picked up without anyone re-queuing them.
UNREADABLE_KEY_DELAY = dt.timedelta(minutes=5)


def clients_with(keyring: Keyring) -> Callable[[Tenant], FusionApiClient | None]:
    """Clients for tenants' Fusion Operations APIs, opening their sealed keys with ``keyring``.
    Raises :class:`UnreadableSecret` for a tenant whose key no secret key opens."""

    def client_for_tenant(tenant: Tenant) -> FusionApiClient | None:
        if not tenant.fusion_api_base_url or not tenant.fusion_api_key_sealed:
            return None
        return FusionApiClient(tenant.fusion_api_base_url, keyring.open(tenant.fusion_api_key_sealed))

    return client_for_tenant


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


@dataclass(slots=True)
class _Claim:
    id: int
    public_id: str
    tenant_id: str
    entity: str
    data: dict[str, Any]
    attempts: int  # after the claim: the lease token
    previous_next_attempt_at: dt.datetime | None


def _claim(database: Database, now: dt.datetime, limit: int) -> tuple[list[_Claim], dict[str, Tenant]]:
    """Take a lease on up to ``limit`` due imports, products first.

    PostgreSQL: ``FOR UPDATE OF imports SKIP LOCKED`` so a concurrent run skips rows another run is
    claiming instead of waiting for them, and the lease written in the same transaction makes them
    not due for everyone else once it commits. SQLite: the transaction starts with ``BEGIN
    IMMEDIATE`` (db/engine.py), so the select and the lease run under the database write lock.
    """
    priority = case(ENTITY_PRIORITY, value=Import.entity, else_=9)
    query = (
        select(Import, Tenant)
        .join(Tenant, Tenant.id == Import.tenant_id)
        .where(
            Import.status == "pending",
            (Import.next_attempt_at.is_(None)) | (Import.next_attempt_at <= now),
            Tenant.fusion_api_base_url.is_not(None),
            Tenant.fusion_api_base_url != "",
        )
        .order_by(priority, Import.id)
        .limit(limit)
        .with_for_update(of=Import, skip_locked=True)
    )
    claims: list[_Claim] = []
    tenants: dict[str, Tenant] = {}
    lease_until = now + LEASE
    with database.transaction() as session:
        for row, tenant in session.execute(query).all():
            claims.append(
                _Claim(
                    id=row.id,
                    public_id=row.public_id,
                    tenant_id=row.tenant_id,
                    entity=row.entity,
                    data=dict(row.data or {}),
                    attempts=row.attempts + 1,
                    previous_next_attempt_at=row.next_attempt_at,
                )
            )
            tenants[tenant.id] = tenant
            row.attempts = row.attempts + 1
            row.next_attempt_at = lease_until
            row.updated_at = now
    return claims, tenants


def _settle(session: Session, claim: _Claim, **values: Any) -> bool:
    """Write an outcome if the lease is still ours (nobody re-claimed the import after it expired)."""
    result = session.execute(
        update(Import)
        .where(Import.id == claim.id, Import.status == "pending", Import.attempts == claim.attempts)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(affected_rows(result))


def _hand_back(session: Session, claim: _Claim, now: dt.datetime, **values: Any) -> None:
    # Not an attempt: the count goes back to what it was.
    values.setdefault("next_attempt_at", claim.previous_next_attempt_at)
    _settle(session, claim, attempts=claim.attempts - 1, updated_at=now, **values)


def _product_codes(data: dict[str, Any]) -> set[str]:
    codes = set()
    for row in data.get("rows") or []:
        product = row.get("product") if isinstance(row, dict) else None
        if isinstance(product, dict) and product.get("code"):
            codes.add(str(product["code"]))
    return codes


def _pending_product_codes(database: Database, tenant_id: str) -> set[str]:
    with database.sessions() as session:
        rows = session.scalars(
            select(Import.data).where(
                Import.tenant_id == tenant_id, Import.entity == "product", Import.status == "pending"
            )
        ).all()
    return {str((data or {}).get("code")) for data in rows}


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
    :func:`_claim`), call, then record each outcome in its own short transaction, guarded by the
    lease token (``attempts``). An order whose products are still pending is handed back unattempted.
    The clients are made by ``client_for_tenant`` (default: :func:`clients_with` ``keyring``; without
    either, nothing is delivered) and closed at the end.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    report = DeliveryReport()
    if client_for_tenant is None:
        client_for_tenant = clients_with(keyring) if keyring is not None else (lambda _tenant: None)
    claims, tenants = _claim(database, now, limit)
    if not claims:
        return report
    started = time.monotonic()
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
                with database.transaction() as session:
                    _hand_back(
                        session,
                        claim,
                        current,
                        next_attempt_at=current + UNREADABLE_KEY_DELAY,
                        last_error=UNREADABLE_KEY_ERROR,
                    )
                report.deferred.append(claim.public_id)
                report.errors[claim.public_id] = UNREADABLE_KEY_ERROR
                continue
            if client is None or elapsed > LEASE / 2:
                with database.transaction() as session:
                    _hand_back(session, claim, current)
                report.deferred.append(claim.public_id)
                continue
            if claim.entity != "product":
                if claim.tenant_id not in pending_products:
                    pending_products[claim.tenant_id] = _pending_product_codes(database, claim.tenant_id)
                waiting = sorted(_product_codes(claim.data) & pending_products[claim.tenant_id])
                if waiting:
                    with database.transaction() as session:
                        _hand_back(
                            session,
                            claim,
                            current,
                            next_attempt_at=current + WAITING_FOR_PRODUCT_DELAY,
                            last_error="waiting for its products to reach Fusion Operations first: "
                            + ", ".join(waiting),
                        )
                    report.deferred.append(claim.public_id)
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
    claim: _Claim,
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
        ours = _settle(session, claim, updated_at=current, **values)
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
