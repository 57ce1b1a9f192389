"""The send's own statements (db/sends.py) on both databases: what one read returns, that the rows a
send writes are the rows ``enqueue`` writes, that a link is reserved once, and that a send refused
after its rows were written leaves nothing behind, alone or racing another send of the same order."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from db import batch, queue
from db import sends as send_repo
from db.engine import Database
from db.models import AuditEvent, Import, Job, Link, Step, TenantQueue
from db.queue import sql as queue_sql
from db.sends import AuditEntry, NewSendStep, Reservation
from db.tenants import create_tenant
from mapping.entities import SalesOrder
from mapping.sending import Audit, RefusalReason, SendRefused, queue_send
from mapping.settings import Settings, settings_from_text, stored_settings
from qbbridge.app import create_app
from qbbridge.config import load_settings
from tests.support.payloads import SALES_ORDER
from tests.support.run_async import run_async
from tests.support.servers import LiveServer, migrated_database

NOW = dt.datetime(2026, 12, 5, 15, 0, tzinfo=dt.UTC)


def _tenant(database: Database, settings: dict[str, Any] | None = None) -> str:
    with database.transaction() as session:
        tenant = create_tenant(session, f"Sends {uuid.uuid4().hex[:6]}")
        tenant.settings = settings or {}
        return tenant.id


def _order(code: str) -> SalesOrder:
    return SalesOrder.model_validate({**SALES_ORDER, "code": code})


def _count(database: Database, model: Any, **where: Any) -> int:
    with database.transaction() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(session.scalar(query) or 0)


# --- the read ----------------------------------------------------------------------------------


def test_one_read_returns_the_tenant_the_links_asked_for_and_whether_an_order_came_from_quickbooks(
    database: Database,
) -> None:
    tenant_id = _tenant(database, {"documentNumber": "orderCode"})
    with database.transaction() as session:
        session.add(
            Link(
                tenant_id=tenant_id,
                entity="salesOrder",
                code="SO-1",
                status="linked",
                txn_id="1-1",
                data={"code": "SO-1"},
            )
        )
        session.add(
            Link(
                tenant_id=tenant_id,
                entity="shippingOfSalesOrder",
                code="SO-1",
                status="pending",
                data={"shipping": "SHP-1"},
            )
        )
        session.add(Link(tenant_id=tenant_id, entity="salesOrder", code="SO-2", status="linked"))
        for ref, source, status, code in (
            ("SO-9", "9-9", "pending", "SO-9"),
            (None, "8-8", "delivered", "8-8"),
            ("SO-7", "7-7", "skipped", None),
            ("SO-9", "6-6", "pending", "EST-SO-9"),
        ):
            session.add(
                Import(
                    public_id=str(uuid.uuid4()),
                    tenant_id=tenant_id,
                    entity="salesOrder",
                    status=status,
                    source_type="SalesOrder",
                    source_id=source,
                    ref_number=ref,
                    code=code,
                    data={},
                )
            )
    with database.transaction() as session:
        reads = send_repo.read_for_send(
            session,
            tenant_id,
            [("salesOrder", "SO-1"), ("shippingOfSalesOrder", "SO-1"), ("salesOrder", "SO-3")],
            imported=("salesOrder", "SO-9"),
        )
        assert reads is not None
        assert reads.tenant_id == tenant_id
        assert settings_from_text(reads.settings_text).document_number == "orderCode"
        assert reads.imported is True
        assert set(reads.links) == {
            ("salesOrder", "SO-1"),
            ("shippingOfSalesOrder", "SO-1"),
            ("salesOrder", "SO-3"),
        }
        own = reads.links[("salesOrder", "SO-1")]
        assert (
            own is not None
            and own.status == "linked"
            and own.txn_id == "1-1"
            and own.data == {"code": "SO-1"}
        )
        blocker = reads.links[("shippingOfSalesOrder", "SO-1")]
        assert blocker is not None and blocker.data == {"shipping": "SHP-1"}
        assert reads.links[("salesOrder", "SO-3")] is None  # asked for, never sent

        # An import is known by the code it was imported under (a document without a RefNumber by its
        # TxnID, an estimate with its prefix), never by QuickBooks' number alone; a skipped one is not an import.
        assert send_repo.read_for_send(session, tenant_id, [], imported=("salesOrder", "8-8")).imported  # type: ignore[union-attr]
        assert send_repo.read_for_send(session, tenant_id, [], imported=("salesOrder", "EST-SO-9")).imported  # type: ignore[union-attr]
        assert not send_repo.read_for_send(session, tenant_id, [], imported=("salesOrder", "6-6")).imported  # type: ignore[union-attr]
        assert not send_repo.read_for_send(session, tenant_id, [], imported=("salesOrder", "SO-7")).imported  # type: ignore[union-attr]
        assert not send_repo.read_for_send(
            session, tenant_id, [], imported=("purchaseOrder", "SO-9")
        ).imported  # type: ignore[union-attr]
        assert not send_repo.read_for_send(session, tenant_id, []).imported  # type: ignore[union-attr]

        assert send_repo.read_for_send(session, str(uuid.uuid4()), [("salesOrder", "SO-1")]) is None
        with pytest.raises(ValueError):
            send_repo.read_for_send(
                session, tenant_id, [("a", str(i)) for i in range(send_repo.LINK_SLOTS + 1)]
            )


def test_a_link_of_another_tenant_is_never_read(database: Database) -> None:
    mine, theirs = _tenant(database), _tenant(database)
    with database.transaction() as session:
        session.add(Link(tenant_id=theirs, entity="salesOrder", code="SO-1", status="linked", data={}))
    with database.transaction() as session:
        reads = send_repo.read_for_send(session, mine, [("salesOrder", "SO-1")])
        assert reads is not None and reads.links == {("salesOrder", "SO-1"): None}


def test_settings_are_parsed_once_per_stored_text_and_equal_a_full_validation() -> None:
    text = '{"documentNumber": "orderCode", "inventory": {"adjustmentAccount": "Adjustments"}}'
    first = settings_from_text(text)
    assert first is settings_from_text(text)
    assert first == stored_settings(
        {"documentNumber": "orderCode", "inventory": {"adjustmentAccount": "Adjustments"}}
    )
    assert settings_from_text(None) == settings_from_text("{}") == settings_from_text("null") == Settings()
    assert settings_from_text('{"documentNumber": "quickbooks"}').document_number == "quickbooks"


# --- the writes --------------------------------------------------------------------------------

_GENERATED = {"id", "job_id", "public_id", "created_at", "updated_at", "queue_seq"}


def _row(instance: Any) -> dict[str, Any]:
    return {c.key: getattr(instance, c.key) for c in instance.__table__.columns if c.key not in _GENERATED}


def test_a_send_writes_the_same_job_and_steps_as_enqueue(database: Database) -> None:
    tenant_id = _tenant(database)
    steps = [
        NewSendStep(
            kind="qbxml_request", intent={"request": {"type": "CustomerAdd"}, "n": 1}, reconcilable=True
        ),
        NewSendStep(kind="qbxml_request", intent={"request": {"type": "SalesOrderAdd"}}, reconcilable=False),
    ]
    fields: dict[str, Any] = {
        "tenant_id": tenant_id,
        "kind": "salesOrder",
        "payload": {"entity": {"code": "SO-1", "ünïcode": "✓"}},
        "warnings": ["a warning"],
        "link_entity": "salesOrder",
        "link_code": "SO-1",
        "depends_on_job_id": None,
    }
    public_id = str(uuid.uuid4())
    with database.transaction() as session:
        taken = send_repo.write_send(
            session, public_id=public_id, steps=steps, reservations=[], audit=None, now=NOW, **fields
        )
        assert taken == []
    # A send's write is the last work of its transaction (db/sends.py): the job to compare it with
    # is queued in the next one.
    with database.transaction() as session:
        queued = queue.enqueue(
            session,
            steps=[queue.NewStep(kind=s.kind, intent=s.intent, reconcilable=s.reconcilable) for s in steps],
            **fields,
        )
    with database.transaction() as session:
        sent = session.scalars(select(Job).where(Job.public_id == public_id)).one()
        enqueued = session.get(Job, queued.id)
        assert enqueued is not None
        assert _row(sent) == _row(enqueued)
        assert sent.created_at == sent.updated_at == NOW
        # Each took its tenant's next place in the queue, in the order they were written.
        assert (sent.queue_seq, enqueued.queue_seq) == (1, 2)
        place = session.get(TenantQueue, tenant_id)
        assert place is not None and place.last_queue_seq == 2
        sent_steps = session.scalars(select(Step).where(Step.job_id == sent.id).order_by(Step.position)).all()
        enqueued_steps = session.scalars(
            select(Step).where(Step.job_id == enqueued.id).order_by(Step.position)
        ).all()
        assert [_row(s) for s in sent_steps] == [_row(s) for s in enqueued_steps]
        assert [s.position for s in sent_steps] == [0, 1]


def _write(
    session: Any,
    tenant_id: str,
    public_id: str,
    code: str = "SO-END",
    *,
    kind: str = "salesOrder",
    reservations: list[Reservation] | None = None,
    audit: AuditEntry | None = None,
) -> list[bool]:
    """A send's write of one step, reserving ``reservations`` (by default the link of ``code``)."""
    return send_repo.write_send(
        session,
        public_id=public_id,
        tenant_id=tenant_id,
        kind=kind,
        payload={},
        steps=[NewSendStep(kind="qbxml_request", intent={}, reconcilable=True)],
        warnings=[],
        link_entity=kind,
        link_code=code,
        depends_on_job_id=None,
        reservations=[Reservation(kind, code, {"code": code})] if reservations is None else reservations,
        audit=audit,
        now=NOW,
    )


def test_nothing_runs_on_a_send_s_transaction_after_its_write(database: Database) -> None:
    """The write is the transaction's last work (on PostgreSQL it commits it): a batch, an ORM
    statement or an ORM object written after it is refused, instead of running outside the
    transaction; and none of them was written."""
    tenant_id = _tenant(database)
    attempts = {
        "a batch": lambda session: batch.run_one(session, queue_sql.COUNT_QUEUED, {"tenant_id": tenant_id}),
        "an ORM statement": lambda session: session.scalars(select(Job)).all(),
        "an ORM object": lambda session: session.add(
            AuditEvent(tenant_id=tenant_id, actor="late", action="late", detail={}, created_at=NOW)
        ),
    }
    for what, attempt in attempts.items():
        public_id = str(uuid.uuid4())
        with pytest.raises(batch.TransactionEnded), database.transaction() as session:
            assert _write(session, tenant_id, public_id, code=f"SO-{what}") == [True]
            assert batch.ended_by_batch(session)
            attempt(session)
        assert _count(database, AuditEvent, tenant_id=tenant_id, actor="late") == 0, what
    # The next transaction of the same session starts afresh.
    with database.sessions() as session:
        with session.begin():
            _write(session, tenant_id, str(uuid.uuid4()), code="SO-AGAIN")
        with session.begin():
            assert not batch.ended_by_batch(session)
            assert session.scalars(select(func.count()).select_from(Job)).one() >= 1


def test_on_postgresql_the_send_s_write_commits_in_its_own_round_trip(postgres_url: str) -> None:
    """Another connection sees the job as soon as the write returns, before the session's own
    commit: the batch ended with COMMIT (one round trip fewer a send). SQLite commits when the
    session ends, having no round trips to save."""
    for database in migrated_database(postgres_url):
        tenant_id = _tenant(database)
        public_id = str(uuid.uuid4())
        with database.transaction() as session:
            assert _write(session, tenant_id, public_id) == [True]
            with database.engine.connect() as other:
                seen = other.execute(select(Job.public_id).where(Job.public_id == public_id)).all()
            assert [row.public_id for row in seen] == [public_id]


def test_a_link_is_reserved_by_one_send_only(database: Database) -> None:
    tenant_id = _tenant(database)

    def write(public_id: str) -> list[bool]:
        with database.transaction() as session:
            return _write(
                session,
                tenant_id,
                public_id,
                "SHP-1",
                kind="shipping",
                reservations=[
                    Reservation("shipping", "SHP-1", {"code": "SHP-1"}),
                    Reservation("shippingOfSalesOrder", f"SO-{public_id}", {"shipping": "SHP-1"}),
                ],
                audit=AuditEntry("admin", "send.shipping", {"job_id": public_id}),
            )

    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    assert write(first) == [True, True]
    assert write(second) == [False, True]  # the caller refuses this one and rolls it back
    with database.transaction() as session:
        link = session.scalars(
            select(Link).where(Link.tenant_id == tenant_id, Link.entity == "shipping")
        ).one()
        job = session.scalars(select(Job).where(Job.public_id == first)).one()
        assert link.job_id == job.id and link.status == "pending" and link.data == {"code": "SHP-1"}
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.tenant_id == tenant_id).order_by(AuditEvent.id)
        ).first()
        assert audit is not None and (audit.actor, audit.action, audit.detail) == (
            "admin",
            "send.shipping",
            {"job_id": first},
        )


def _hiding_links(monkeypatch: pytest.MonkeyPatch) -> None:
    """The send's read misses every link, as when another send reserves the entity right after it."""
    read = send_repo.read_for_send

    def blind(*args: Any, **kwargs: Any) -> send_repo.SendReads | None:
        reads = read(*args, **kwargs)
        if reads is not None:
            reads.links = dict.fromkeys(reads.links)
        return reads

    monkeypatch.setattr(send_repo, "read_for_send", blind)


def test_a_send_that_loses_the_reservation_is_refused_and_leaves_nothing(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant_id = _tenant(database)
    with database.transaction() as session:
        first = queue_send(
            session, tenant_id, "salesOrder", _order("SO-1"), now=NOW, audit=Audit("admin", "send.salesOrder")
        )
    assert first.job is not None and first.job.status == "queued" and not first.existing
    _hiding_links(monkeypatch)
    with pytest.raises(SendRefused) as refused, database.transaction() as session:
        queue_send(
            session, tenant_id, "salesOrder", _order("SO-1"), now=NOW, audit=Audit("admin", "send.salesOrder")
        )
    assert refused.value.reason == RefusalReason.BEING_SENT and refused.value.written
    assert "being sent by another request" in refused.value.message
    assert _count(database, Job, tenant_id=tenant_id) == 1
    assert _count(database, Step, tenant_id=tenant_id) == 1
    assert _count(database, Link, tenant_id=tenant_id) == 1
    assert _count(database, AuditEvent, tenant_id=tenant_id) == 1


def test_an_event_that_loses_the_reservation_answers_409_and_leaves_nothing(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant_id = _tenant(database, {"sends": {"salesOrder": {"automatic": True}}})
    monkeypatch.setenv("QBBRIDGE_ADMIN_API_KEY", "test-key")
    monkeypatch.setenv("QBBRIDGE_PUSH_INTERVAL_SECONDS", "0")
    app = create_app(load_settings(), database)

    async def post(path: str, body: dict[str, Any]) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(
                f"/api/v1/tenants/{tenant_id}{path}", json=body, headers={"Authorization": "Bearer test-key"}
            )

    event = {"entity": "salesOrder", "action": "created", "data": {**SALES_ORDER, "code": "SO-5"}}
    first = run_async(post("/events", event))
    assert first.status_code == 202 and first.json()["queued"] is True, first.text
    _hiding_links(monkeypatch)
    second = run_async(post("/events", event))
    # Not "queued: false" with the job and audit row of the lost race committed: refused, rolled back.
    assert second.status_code == 409, second.text
    assert "being sent by another request" in second.text
    resent = run_async(post("/sales-orders", {**SALES_ORDER, "code": "SO-5"}))
    assert resent.status_code == 409, resent.text
    assert _count(database, Job, tenant_id=tenant_id) == 1
    assert _count(database, Link, tenant_id=tenant_id) == 1
    assert _count(database, AuditEvent, tenant_id=tenant_id) == 1


# --- concurrent sends of one order, through the server -------------------------------------------


def test_concurrent_sends_of_one_order_queue_one_job(pg_live_server: LiveServer) -> None:
    api = pg_live_server.client
    tenant = api.post("/api/v1/tenants", json={"name": f"Race {uuid.uuid4().hex[:6]}"}).json()
    url = f"/api/v1/tenants/{tenant['id']}"
    start = threading.Barrier(8)

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=pg_live_server.base_url, headers=api.headers, timeout=30) as client:
            start.wait()
            return client.post(f"{url}/sales-orders", json={**SALES_ORDER, "code": "SO-RACE"})

    for _ in range(3):
        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(send, range(8)))
        assert {r.status_code for r in responses} <= {202, 409}, [r.text for r in responses]
        accepted = [r.json() for r in responses if r.status_code == 202]
        # Every accepted send names the one job; the others were told to retry.
        assert len({a["jobId"] for a in accepted}) == 1, accepted
        for refused in (r for r in responses if r.status_code == 409):
            assert "being sent by another request" in refused.text
    jobs = api.get(f"{url}/jobs").json()["items"]
    assert len(jobs) == 1, jobs
    links = api.get(f"{url}/links", params={"entity": "salesOrder", "code": "SO-RACE"}).json()["items"]
    assert len(links) == 1 and links[0]["status"] == "pending"
