"""Webhook delivery on both databases: two processes at once deliver each event once, Retry-After is
honoured, nothing is lost, and waiting imports are announced once each time new ones arrive."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from db import tenants as tenant_repo
from db.engine import Database
from db.migrate import upgrade
from db.models import Import, WebhookEvent
from db.sealing import Keyring, new_key
from mapping import webhooks
from mapping.delivery.client import DeliveryResult
from tests.support.servers import create_postgres_database, drop_postgres_database

NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A database of its own: the shared one is also served by the live server, whose delivery loop
    would take these events (as another process should)."""
    if request.param == "postgresql":
        url = create_postgres_database()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('hooks') / 'hooks.db'}"
    database = Database(url)
    upgrade(database.engine)
    yield database
    database.dispose()
    if request.param == "postgresql":
        drop_postgres_database(url)


def _tenant_with_webhook(database: Database, keyring: Keyring) -> str:
    with database.transaction() as session:
        tenant = tenant_repo.create_tenant(session, f"Hook {uuid.uuid4().hex[:6]}")
        tenant.webhook_url = "https://fusion.example.com/events"
        tenant.webhook_secret_sealed = keyring.seal(webhooks.new_secret())
        tenant.webhook_since = NOW - dt.timedelta(days=1)
        return tenant.id


def _events(database: Database, tenant_id: str, count: int) -> list[str]:
    rows = [
        webhooks._event(tenant_id, "job.succeeded", {"n": n}, NOW - dt.timedelta(minutes=1))
        for n in range(count)
    ]
    with database.transaction() as session:
        session.add_all(WebhookEvent(**row) for row in rows)
    return [row["public_id"] for row in rows]


def test_two_processes_at_once_deliver_each_event_once(database: Database) -> None:
    keyring = Keyring([new_key()])
    tenant_id = _tenant_with_webhook(database, keyring)
    ids = _events(database, tenant_id, 30)
    posted: Counter[str] = Counter()
    lock = threading.Lock()

    def slow_post(url: str, secret: str, event_id: str, body: bytes, when: dt.datetime) -> DeliveryResult:
        with lock:
            posted[event_id] += 1
        time.sleep(0.01)
        return DeliveryResult("delivered", 200)

    failures: list[BaseException] = []

    def run() -> None:
        try:
            webhooks.deliver_events(database, now=NOW, keyring=keyring, limit=10, post=slow_post)
        except BaseException as exc:  # a thread's exception is not the test's otherwise
            failures.append(exc)
            raise

    # Rounds of two runs at once until every event went (a run that waited too long for SQLite's
    # write lock leaves its share to the next round); never one event twice.
    for _ in range(20):
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if set(ids) <= set(posted):
            break
    assert not failures, failures
    mine = {event_id: n for event_id, n in posted.items() if event_id in ids}
    assert mine == dict.fromkeys(ids, 1)
    with database.sessions() as session:
        statuses = set(session.scalars(select(WebhookEvent.status).where(WebhookEvent.public_id.in_(ids))))
    assert statuses == {"delivered"}


def test_retry_after_is_honoured_and_a_refused_event_is_kept(database: Database) -> None:
    keyring = Keyring([new_key()])
    tenant_id = _tenant_with_webhook(database, keyring)
    [event_id] = _events(database, tenant_id, 1)
    calls: list[dt.datetime] = []

    def busy(url: str, secret: str, eid: str, body: bytes, when: dt.datetime) -> DeliveryResult:
        if eid == event_id:
            calls.append(when)
            return DeliveryResult("retry", 429, "busy", retry_after=dt.timedelta(hours=2))
        return DeliveryResult("delivered", 200)

    webhooks.deliver_events(database, now=NOW, keyring=keyring, post=busy)
    webhooks.deliver_events(database, now=NOW + dt.timedelta(hours=1), keyring=keyring, post=busy)
    assert len(calls) == 1
    webhooks.deliver_events(database, now=NOW + dt.timedelta(hours=2, minutes=1), keyring=keyring, post=busy)
    assert len(calls) == 2
    with database.sessions() as session:
        event = session.scalars(select(WebhookEvent).where(WebhookEvent.public_id == event_id)).one()
        assert event.status == "pending" and event.last_error == "busy" and event.attempts == 2


def test_waiting_imports_are_announced_once_per_arrival(database: Database) -> None:
    keyring = Keyring([new_key()])
    tenant_id = _tenant_with_webhook(database, keyring)

    def add_import() -> None:
        with database.transaction() as session:
            session.add(
                Import(
                    public_id=str(uuid.uuid4()),
                    tenant_id=tenant_id,
                    entity="salesOrder",
                    status="pending",
                    source_type="SalesOrder",
                    source_id=uuid.uuid4().hex,
                    data={},
                    notes=[],
                    attempts=0,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )

    def waiting() -> list[dict]:
        with database.sessions() as session:
            return [
                e.payload["data"]
                for e in session.scalars(
                    select(WebhookEvent)
                    .where(WebhookEvent.tenant_id == tenant_id, WebhookEvent.type == "imports.waiting")
                    .order_by(WebhookEvent.id)
                )
            ]

    add_import()
    add_import()
    webhooks.record_events(database, NOW)
    webhooks.record_events(database, NOW)
    assert waiting() == [{"tenantId": tenant_id, "pending": 2}]
    add_import()
    webhooks.record_events(database, NOW)
    assert waiting() == [{"tenantId": tenant_id, "pending": 2}, {"tenantId": tenant_id, "pending": 3}]
