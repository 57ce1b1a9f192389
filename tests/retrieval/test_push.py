"""Delivering imports to Fusion Operations: a real local HTTP server plays its API, on real databases."""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select

from db import migrate
from db.engine import Database
from db.models import Import, Tenant
from db.sealing import Keyring, new_key
from db.tenants import create_tenant
from mapping.delivery.client import FusionApiClient, backoff, parse_retry_after
from mapping.delivery.deliver import LEASE, NEEDS_PERSON_DELAY, deliver_pending
from tests.support.fusion import FakeFusion, Reply
from tests.support.servers import create_postgres_database, drop_postgres_database, free_port

API_KEY = "fo-secret-key-9f8e7d"
# Stored keys are sealed (db/sealing.py); the runs open them with the same keyring.
KEYRING = Keyring([new_key()])
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


# --- A Fusion Operations API of our own -----------------------------------------------------------------


@pytest.fixture
def fusion() -> Iterator[FakeFusion]:
    fake = FakeFusion()
    yield fake
    fake.stop()


# --- Databases ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_database() -> Iterator[Database]:
    url = create_postgres_database()
    database = Database(url)
    migrate.upgrade(database.engine)
    yield database
    database.dispose()
    drop_postgres_database(url)


@pytest.fixture(scope="module")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('push') / 'qbbridge.db'}")
    migrate.upgrade(database.engine)
    yield database
    database.dispose()


def _empty(database: Database) -> None:
    with database.transaction() as session:
        session.execute(delete(Import))
        session.execute(delete(Tenant))


@pytest.fixture(params=["postgresql", "sqlite"])
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    db = request.getfixturevalue("pg_database" if request.param == "postgresql" else "sqlite_database")
    _empty(db)
    yield db
    _empty(db)


@pytest.fixture
def postgres(pg_database: Database) -> Iterator[Database]:
    _empty(pg_database)
    yield pg_database
    _empty(pg_database)


def tenant(database: Database, base_url: str | None, name: str = "Acme") -> str:
    with database.transaction() as session:
        row = create_tenant(session, f"{name} {uuid.uuid4().hex[:6]}")
        row.fusion_api_base_url = base_url
        row.fusion_api_key_sealed = KEYRING.seal(API_KEY) if base_url else None
        return row.id


SALES_ORDER = {
    "code": "1001",
    "client": {"code": "Müller GmbH"},
    "createdAt": "2026-11-02T09:15:00-05:00",
    "rows": [{"product": {"code": "M8 Bolt"}, "quantity": 10, "unitPrice": 12.5}],
    "customFields": {},
    "quickbooks": {"type": "SalesOrder", "txnId": "1A2B-1", "refNumber": "1001"},
}


def add_import(
    database: Database, tenant_id: str, entity: str = "salesOrder", data: dict | None = None, **values
) -> str:
    if data is None:
        data = SALES_ORDER if entity == "salesOrder" else {"code": "M8 Bolt", "name": "Bolt M8"}
    public_id = str(uuid.uuid4())
    with database.transaction() as session:
        session.add(
            Import(
                public_id=public_id,
                tenant_id=tenant_id,
                entity=entity,
                status="pending",
                source_type="Item" if entity == "product" else "SalesOrder",
                source_id=f"{data['code']}-{public_id[:8]}",
                data=data,
                **values,
            )
        )
    return public_id


def row(database: Database, public_id: str) -> Import:
    with database.sessions() as session:
        return session.scalars(select(Import).where(Import.public_id == public_id)).one()


def run(database: Database, now: dt.datetime = NOW, **kwargs):
    kwargs.setdefault("keyring", KEYRING)
    return deliver_pending(database, now=now, rng=random.Random(7), **kwargs)


# --- Outcomes -------------------------------------------------------------------------------------------


def test_products_then_orders_are_delivered_with_the_key_as_bearer(database, fusion, caplog):
    caplog.set_level(logging.DEBUG)
    tenant_id = tenant(database, fusion.url)
    order = add_import(database, tenant_id, "salesOrder")
    product = add_import(database, tenant_id, "product")

    report = run(database)

    assert report.delivered == [product, order]
    assert [seen.path for seen in fusion.seen] == [
        "/fusion-operations/v2/products",
        "/fusion-operations/v2/sales-orders",
    ]
    sent = fusion.posts("sales-orders")[0]
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["Idempotency-Key"] == order
    # qbbridge's own reference stays in the import; Fusion Operations gets its entity.
    assert sent.body == {key: value for key, value in SALES_ORDER.items() if key != "quickbooks"}
    delivered = row(database, order)
    assert (delivered.status, delivered.attempts, delivered.last_error) == ("delivered", 1, None)
    assert delivered.delivered_at is not None and delivered.delivered_at >= NOW
    assert row(database, order).data == SALES_ORDER
    assert API_KEY not in caplog.text

    assert run(database).attempted == 0
    assert len(fusion.seen) == 2


def test_429_waits_for_retry_after(database, fusion):
    tenant_id = tenant(database, fusion.url)
    order = add_import(database, tenant_id)
    fusion.script("sales-orders", Reply(429, {"error": "Too many requests"}, {"Retry-After": "120"}))

    report = run(database)

    assert report.retrying == [order]
    waiting = row(database, order)
    assert waiting.status == "pending"
    assert waiting.next_attempt_at >= NOW + dt.timedelta(seconds=120)
    assert waiting.next_attempt_at < NOW + dt.timedelta(seconds=125)
    assert "429" in waiting.last_error

    assert run(database, NOW + dt.timedelta(seconds=60)).attempted == 0
    assert len(fusion.seen) == 1
    assert run(database, NOW + dt.timedelta(seconds=126)).delivered == [order]
    assert row(database, order).attempts == 2


def test_500_backs_off_and_then_delivers_exactly_once(database, fusion):
    tenant_id = tenant(database, fusion.url)
    order = add_import(database, tenant_id)
    fusion.script("sales-orders", Reply(500, {"error": "database unavailable"}))

    assert run(database).retrying == [order]
    failed = row(database, order)
    assert failed.attempts == 1
    assert "500" in failed.last_error and "database unavailable" in failed.last_error
    # First backoff: between half of and the whole 30 seconds.
    assert NOW + dt.timedelta(seconds=15) <= failed.next_attempt_at <= NOW + dt.timedelta(seconds=31)

    assert run(database, NOW + dt.timedelta(seconds=10)).attempted == 0
    assert run(database, NOW + dt.timedelta(seconds=40)).delivered == [order]
    done = row(database, order)
    assert (done.status, done.attempts, done.last_error) == ("delivered", 2, None)
    assert len(fusion.posts("sales-orders")) == 2
    assert run(database, NOW + dt.timedelta(hours=2)).attempted == 0
    assert len(fusion.posts("sales-orders")) == 2


def test_a_refusal_stays_pending_with_what_fusion_operations_said(database, fusion):
    tenant_id = tenant(database, fusion.url)
    order = add_import(database, tenant_id)
    # An API that echoes the request must not put the key into the stored error.
    fusion.script(
        "sales-orders",
        Reply(400, {"error": "client 'Müller GmbH' does not exist", "auth": f"Bearer {API_KEY}"}),
    )

    report = run(database)

    assert report.needs_person == [order]
    refused = row(database, order)
    assert refused.status == "pending"
    assert "400" in refused.last_error and "client 'Müller GmbH' does not exist" in refused.last_error
    assert API_KEY not in refused.last_error
    assert refused.next_attempt_at >= NOW + NEEDS_PERSON_DELAY
    # Tried again later on its own, in case someone fixed it in Fusion Operations.
    assert run(database, NOW + NEEDS_PERSON_DELAY + dt.timedelta(minutes=1)).delivered == [order]


def test_network_down_keeps_the_import_pending(database):
    tenant_id = tenant(database, f"http://127.0.0.1:{free_port()}/fusion-operations/v2/")
    order = add_import(database, tenant_id)

    report = run(database)

    assert report.retrying == [order]
    down = row(database, order)
    assert down.status == "pending"
    assert down.attempts == 1
    assert "could not reach Fusion Operations" in down.last_error
    assert down.next_attempt_at > NOW


def test_an_order_waits_for_its_products(database, fusion):
    tenant_id = tenant(database, fusion.url)
    product = add_import(database, tenant_id, "product")
    order = add_import(database, tenant_id)
    fusion.script("products", Reply(503, {"error": "maintenance"}))

    report = run(database)

    assert report.retrying == [product]
    assert report.deferred == [order]
    assert fusion.posts("sales-orders") == []
    waiting = row(database, order)
    assert waiting.attempts == 0
    assert "waiting for its products" in waiting.last_error and "M8 Bolt" in waiting.last_error

    later = run(database, NOW + dt.timedelta(minutes=5))
    assert later.delivered == [product, order]


def test_an_existing_product_counts_as_delivered(database, fusion):
    tenant_id = tenant(database, fusion.url)
    product = add_import(database, tenant_id, "product")
    fusion.script("products", Reply(409, {"error": "code already exists"}))
    assert run(database).delivered == [product]


def test_tenants_without_a_fusion_operations_api_are_left_alone(database, fusion):
    idle = add_import(database, tenant(database, None))
    assert run(database).attempted == 0
    assert row(database, idle).attempts == 0


def test_a_tenant_without_a_client_gets_its_imports_back(database, fusion):
    order = add_import(database, tenant(database, fusion.url))
    report = run(database, client_for_tenant=lambda _tenant: None)
    assert report.deferred == [order]
    untouched = row(database, order)
    assert (untouched.attempts, untouched.next_attempt_at) == (0, None)


def test_an_outcome_after_the_lease_passed_is_not_recorded(database, fusion):
    tenant_id = tenant(database, fusion.url)
    order = add_import(database, tenant_id)
    late_run: list = []

    class Slow(FusionApiClient):
        def deliver(self, import_row):
            # While this call is out, the lease runs out and another run takes the import.
            late_run.append(run(database, NOW + LEASE + dt.timedelta(seconds=1)))
            return super().deliver(import_row)

    first = run(database, client_for_tenant=lambda t: Slow(t.fusion_api_base_url, API_KEY))

    assert late_run[0].delivered == [order]
    assert first.delivered == []
    assert row(database, order).attempts == 2


# --- Two processes at once (PostgreSQL) ------------------------------------------------------------------


def test_concurrent_runs_deliver_each_import_once(postgres, fusion):
    fusion.delay = 0.01
    imports = []
    for name in ("North", "South"):
        tenant_id = tenant(postgres, fusion.url, name)
        for number in range(15):
            data = dict(SALES_ORDER, code=f"{name}-{number}")
            imports.append(add_import(postgres, tenant_id, data=data))
    start = threading.Barrier(2)
    reports: list[list[str]] = [[], []]

    def worker(index: int) -> None:
        start.wait()
        while True:
            report = run(postgres, limit=4)
            reports[index].extend(report.delivered)
            if report.attempted == 0 and not report.deferred:
                return

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    codes = [seen.body["code"] for seen in fusion.posts("sales-orders")]
    assert sorted(codes) == sorted(set(codes)) and len(codes) == 30
    assert sorted(reports[0] + reports[1]) == sorted(imports)
    assert not set(reports[0]) & set(reports[1])
    assert reports[0] and reports[1], "both runs should have delivered some"
    with postgres.sessions() as session:
        assert {i.status for i in session.scalars(select(Import))} == {"delivered"}


# --- Parts ----------------------------------------------------------------------------------------------


def test_retry_after_in_seconds_and_as_a_date():
    assert parse_retry_after("120") == dt.timedelta(seconds=120)
    assert parse_retry_after("Fri, 27 Nov 2026 12:02:00 GMT", now=NOW) == dt.timedelta(minutes=2)
    assert parse_retry_after("Fri, 27 Nov 2026 11:00:00 GMT", now=NOW) == dt.timedelta(0)
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("999999") == dt.timedelta(hours=6)


def test_backoff_doubles_with_jitter_up_to_an_hour():
    rng = random.Random(1)
    for attempts, whole in [(1, 30), (2, 60), (3, 120), (8, 3600), (50, 3600)]:
        delay = backoff(attempts, rng=rng).total_seconds()
        assert whole / 2 <= delay <= whole


def test_the_client_does_not_show_its_key():
    client = FusionApiClient("https://example.invalid/v2", API_KEY)
    assert API_KEY not in repr(client)
    client.close()


def test_unknown_entities_need_a_person():
    with FusionApiClient("https://example.invalid/v2", API_KEY) as client:
        result = client.deliver({"entity": "shipping", "data": {}})
    assert result.outcome == "needs_person"
