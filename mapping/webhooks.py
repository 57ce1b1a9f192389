"""Events sent to a tenant's webhook, signed per the Standard Webhooks conventions.

Events are made from what happened, by :func:`record_events`, in one short transaction each run:

* ``job.succeeded``, ``job.failed``, ``job.unknown_outcome``: a job reached that status (each status of
  a job once: ``jobs.notified_status``), with the Fusion Operations entity, the QuickBooks document it
  became and the plain-language error;
* ``connection.problem``: the tenant's last connection error changed;
* ``imports.waiting``: imports were stored for Fusion Operations since the last such event.

Only what happened after the webhook was set is announced. An event is a row (``webhook_events``)
until its endpoint accepted it (2xx); it is delivered like imports (``mapping/delivery/``): claimed
with a lease so at most one process calls for it at a time, called with no transaction open, retried
with backoff (``Retry-After`` honoured on 429 and 503), never dropped. Headers: ``webhook-id`` (the
event's id, the same on every attempt), ``webhook-timestamp`` and ``webhook-signature`` (HMAC-SHA256
with the tenant's secret, made by the ``standardwebhooks`` library).
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from db.engine import Database
from db.models import Import, Job, Tenant, WebhookEvent
from db.sealing import Keyring, UnreadableSecret
from mapping.delivery.client import BACKOFF_CAP, DeliveryResult, backoff, parse_retry_after
from mapping.delivery.deliver import LEASE, NEEDS_PERSON_DELAY

log = logging.getLogger(__name__)

JOB_EVENTS = {"succeeded": "job.succeeded", "failed": "job.failed", "unknown_outcome": "job.unknown_outcome"}
CONNECTION_PROBLEM = "connection.problem"
IMPORTS_WAITING = "imports.waiting"
EVENT_TYPES = (*JOB_EVENTS.values(), CONNECTION_PROBLEM, IMPORTS_WAITING)
ERROR_TEXT_MAX = 500
TIMEOUT_SECONDS = 10.0


class WebhookUrlError(ValueError):
    """The URL cannot receive events; the message says why and what to give instead."""


def check_url(url: str, *, public_https: bool) -> str:
    """An absolute http(s) URL; when the service runs on https (production), not a private, loopback
    or link-local address (the host is not resolved: names are the operator's to trust)."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        raise WebhookUrlError("not a URL: give one like https://example.com/qbbridge-events") from None
    if any(c.isspace() for c in text):
        raise WebhookUrlError("a URL has no spaces: percent-encode them (%20)")
    if parts.scheme not in ("http", "https") or not hostname:
        raise WebhookUrlError(
            "give an absolute http:// or https:// URL, e.g. https://example.com/qbbridge-events"
        )
    if parts.username or parts.password:
        raise WebhookUrlError("the URL must not carry a user name or password; the events are signed instead")
    if public_https:
        host = hostname
        private = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
        try:
            address = ipaddress.ip_address(host)
            private = private or not address.is_global
        except ValueError:
            pass
        if private:
            raise WebhookUrlError(
                f"{host} is a private or local address, which this service does not call; give the "
                "address Fusion Operations receives events at on the internet"
            )
    return text


def valid_secret(secret: str) -> bool:
    """``whsec_`` and the base64 of at least 16 bytes (Standard Webhooks secrets are 24 to 64)."""
    if not secret.startswith("whsec_"):
        return False
    try:
        raw = base64.b64decode(secret[len("whsec_") :], validate=True)
    except ValueError:
        return False
    return 16 <= len(raw) <= 64


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


# --- making events ------------------------------------------------------------------------------


def _event(tenant_id: str, kind: str, payload: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    return {
        "public_id": "msg_" + uuid.uuid4().hex,
        "tenant_id": tenant_id,
        "type": kind,
        "payload": {"type": kind, "timestamp": now.isoformat(), "data": payload},
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


def _job_data(job: Job) -> dict[str, Any]:
    quickbooks = (job.result or {}).get("quickbooks")
    return {
        "tenantId": job.tenant_id,
        "jobId": job.public_id,
        "kind": job.kind,
        "status": job.status,
        "entity": {"type": job.link_entity, "code": job.link_code} if job.link_entity else None,
        "quickbooks": quickbooks,
        "error": job.error,
        "finishedAt": job.finished_at.isoformat() if job.finished_at else None,
    }


def record_events(database: Database, now: dt.datetime, *, limit: int = 200) -> int:
    """Make the events of what happened since the last run, for tenants with a webhook; how many.
    One transaction: an event is made exactly when its trace is marked (PostgreSQL: the jobs are
    locked ``SKIP LOCKED``, so two processes never announce the same job)."""
    made: list[dict[str, Any]] = []
    with database.transaction() as session:
        # Locked (skipped when another process has them), so a connection problem or new imports
        # are announced by one process only.
        tenants = list(
            session.scalars(
                select(Tenant).where(Tenant.webhook_url.is_not(None)).with_for_update(skip_locked=True)
            )
        )
        if not tenants:
            return 0
        by_id = {t.id: t for t in tenants}
        finished = list(JOB_EVENTS)
        jobs = session.scalars(
            select(Job)
            .join(Tenant, Tenant.id == Job.tenant_id)
            .where(
                Tenant.webhook_url.is_not(None),
                Job.status.in_(finished),
                Job.finished_at >= Tenant.webhook_since,
                (Job.notified_status.is_(None)) | (Job.notified_status != Job.status),
            )
            .order_by(Job.finished_at, Job.id)
            .limit(limit)
            .with_for_update(of=Job, skip_locked=True)
        ).all()
        for job in jobs:
            made.append(_event(job.tenant_id, JOB_EVENTS[job.status], _job_data(job), now))
            job.notified_status = job.status
        for tenant in by_id.values():
            since = tenant.webhook_connection_seen_at or tenant.webhook_since
            error_at = tenant.last_connection_error_at
            if (
                tenant.last_connection_error
                and error_at is not None
                and since is not None
                and error_at > since
            ):
                made.append(
                    _event(
                        tenant.id,
                        CONNECTION_PROBLEM,
                        {
                            "tenantId": tenant.id,
                            "error": tenant.last_connection_error,
                            "at": error_at.isoformat(),
                        },
                        now,
                    )
                )
                tenant.webhook_connection_seen_at = error_at
            newest = session.scalar(
                select(func.max(Import.id)).where(Import.tenant_id == tenant.id, Import.status == "pending")
            )
            seen = tenant.webhook_imports_seen_id
            if newest is not None and (seen is None or newest > seen):
                waiting = session.scalar(
                    select(func.count()).where(Import.tenant_id == tenant.id, Import.status == "pending")
                )
                made.append(
                    _event(
                        tenant.id, IMPORTS_WAITING, {"tenantId": tenant.id, "pending": int(waiting or 0)}, now
                    )
                )
                tenant.webhook_imports_seen_id = newest
        if made:
            session.execute(insert(WebhookEvent), made)
    return len(made)


def start_imports_mark(session: Session, tenant: Tenant) -> None:
    """When a webhook is set, imports already waiting are not announced again."""
    tenant.webhook_imports_seen_id = session.scalar(
        select(func.max(Import.id)).where(Import.tenant_id == tenant.id, Import.status == "pending")
    )


# --- delivering ---------------------------------------------------------------------------------


def post_event(
    url: str,
    secret: str,
    event_id: str,
    body: bytes,
    when: dt.datetime,
    *,
    transport: httpx.BaseTransport | None = None,
) -> DeliveryResult:
    """POST one signed event and classify the answer (2xx delivered; 408, 429, 5xx and network
    errors retried soon; any other answer retried a day later, as it needs a person)."""
    signature = Webhook(secret).sign(msg_id=event_id, timestamp=when, data=body.decode())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "qbbridge",
        "webhook-id": event_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
    }
    try:
        with httpx.Client(timeout=TIMEOUT_SECONDS, transport=transport, follow_redirects=False) as client:
            response = client.post(url, content=body, headers=headers)
    except httpx.TimeoutException:
        return DeliveryResult("retry", error="the webhook did not answer in time")
    except httpx.HTTPError as exc:
        return DeliveryResult("retry", error=f"could not reach the webhook: {type(exc).__name__}")
    status = response.status_code
    if 200 <= status < 300:
        return DeliveryResult("delivered", status)
    said = response.text.strip()[:ERROR_TEXT_MAX] or response.reason_phrase
    if status in (408, 429) or status >= 500:
        return DeliveryResult(
            "retry",
            status,
            f"the webhook answered {status}: {said}",
            parse_retry_after(response.headers.get("Retry-After")),
        )
    return DeliveryResult("needs_person", status, f"the webhook refused the event ({status}): {said}")


@dataclass(slots=True)
class WebhookReport:
    delivered: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Claim:
    id: int
    public_id: str
    tenant_id: str
    body: bytes
    attempts: int
    url: str
    secret_sealed: str | None


def _claim(database: Database, now: dt.datetime, limit: int) -> list[_Claim]:
    """A lease on due events, as mapping/delivery/ takes on imports (``FOR UPDATE SKIP LOCKED`` on
    PostgreSQL, the write lock on SQLite): ``next_attempt_at`` moves past the run, ``attempts`` is the
    lease token."""
    claims: list[_Claim] = []
    with database.transaction() as session:
        rows = session.execute(
            select(WebhookEvent, Tenant.webhook_url, Tenant.webhook_secret_sealed)
            .join(Tenant, Tenant.id == WebhookEvent.tenant_id)
            .where(
                WebhookEvent.status == "pending",
                (WebhookEvent.next_attempt_at.is_(None)) | (WebhookEvent.next_attempt_at <= now),
                Tenant.webhook_url.is_not(None),
            )
            .order_by(WebhookEvent.id)
            .limit(limit)
            .with_for_update(of=WebhookEvent, skip_locked=True)
        ).all()
        for event, url, sealed in rows:
            assert url is not None  # the query leaves tenants without a webhook out
            event.attempts += 1
            event.next_attempt_at = now + LEASE
            event.updated_at = now
            body = json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False).encode()
            claims.append(
                _Claim(event.id, event.public_id, event.tenant_id, body, event.attempts, url, sealed)
            )
    return claims


def _settle(database: Database, claim: _Claim, **values: Any) -> bool:
    with database.transaction() as session:
        result = session.execute(
            update(WebhookEvent)
            .where(
                WebhookEvent.id == claim.id,
                WebhookEvent.status == "pending",
                WebhookEvent.attempts == claim.attempts,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def deliver_events(
    database: Database,
    *,
    now: dt.datetime,
    keyring: Keyring,
    limit: int = 100,
    post: Callable[..., DeliveryResult] = post_event,
) -> WebhookReport:
    """Make what happened into events, then deliver the due ones: claim, call (no transaction open),
    record each outcome if the lease is still ours."""
    record_events(database, now)
    report = WebhookReport()
    started = time.monotonic()
    for claim in _claim(database, now, limit):
        current = now + dt.timedelta(seconds=time.monotonic() - started)
        if current - now > LEASE / 2:
            _settle(database, claim, attempts=claim.attempts - 1, next_attempt_at=current, updated_at=current)
            continue
        try:
            secret = keyring.open(claim.secret_sealed) if claim.secret_sealed else None
        except UnreadableSecret:
            secret = None
        if secret is None:
            error = (
                "the webhook secret cannot be decrypted with the service's secret key: set the webhook again"
            )
            _settle(
                database, claim, next_attempt_at=current + BACKOFF_CAP, last_error=error, updated_at=current
            )
            report.retrying.append(claim.public_id)
            continue
        attempt = post(claim.url, secret, claim.public_id, claim.body, current)
        after = now + dt.timedelta(seconds=time.monotonic() - started)
        if attempt.outcome == "delivered":
            ours = _settle(
                database,
                claim,
                status="delivered",
                delivered_at=after,
                next_attempt_at=None,
                last_error=None,
                updated_at=after,
            )
            if ours:
                report.delivered.append(claim.public_id)
            continue
        if attempt.outcome == "needs_person":
            delay = NEEDS_PERSON_DELAY
        else:
            delay = attempt.retry_after if attempt.retry_after is not None else backoff(claim.attempts)
        _settle(database, claim, next_attempt_at=after + delay, last_error=attempt.error, updated_at=after)
        report.retrying.append(claim.public_id)
        log.info(
            "webhook event %s (tenant %s): not delivered (%s)",
            claim.public_id,
            claim.tenant_id,
            attempt.status_code,
        )
    return report
