"""Fusion Operations' API as qbbridge calls it: one import per call, and what each answer comes to
(delivered, retry when, or a person must look).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from db.models import Tenant
from db.sealing import Keyring

log = logging.getLogger(__name__)

# Fusion Operations v2 resources (fusion-operations.md §1.1, §1.2), relative to the tenant's base URL,
# e.g. https://api.aps.autodesk.com/fusion-operations/v2/.
ENDPOINTS: dict[str, str] = {
    "product": "products",
    "salesOrder": "sales-orders",
    "purchaseOrder": "purchase-orders",
}
# Keys of an import's data that are qbbridge's own (where the document came from), not Fusion
# Operations fields; the API is not documented to ignore unknown keys, so they are not sent.
PRIVATE_KEYS: frozenset[str] = frozenset({"quickbooks"})

BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=1)
RETRY_AFTER_CAP = dt.timedelta(hours=6)
ERROR_TEXT_MAX = 500

Outcome = Literal["delivered", "retry", "needs_person"]


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What one call out came to: an import to Fusion Operations, or an event to a tenant's webhook.
    ``retry_after`` is what the other side asked (429, or a webhook's 408 or 5xx)."""

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


def clients_with(keyring: Keyring) -> Callable[[Tenant], FusionApiClient | None]:
    """Clients for tenants' Fusion Operations APIs, opening their sealed keys with ``keyring``.
    Raises :class:`UnreadableSecret` for a tenant whose key no secret key opens."""

    def client_for_tenant(tenant: Tenant) -> FusionApiClient | None:
        if not tenant.fusion_api_base_url or not tenant.fusion_api_key_sealed:
            return None
        return FusionApiClient(tenant.fusion_api_base_url, keyring.open(tenant.fusion_api_key_sealed))

    return client_for_tenant


