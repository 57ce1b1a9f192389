"""Retention on both databases: what is removed and what stays, batch after batch, one process at a
time (the lease), the ``qbbridge prune`` command, and what the admin API shows of a pruned job."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from db import leases
from db.engine import Database
from db.migrate import upgrade
from db.models import AuditEvent, Import, Job, Step, Tenant, utcnow
from qbbridge import retention
from tests.operations.conftest import clean_environment, run_qbbridge
from tests.support.run_async import run_async
from tests.support.servers import scratch_database, start_server

DAYS = 90
REQUEST = "<QBXML><CustomerAddRq><Name>Old Customer</Name></CustomerAddRq></QBXML>"
RESPONSE = '<QBXML><CustomerAddRs statusCode="3100" statusMessage="The name is in use."/></QBXML>'


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of the test's own: retention reads the whole history."""
    yield from scratch_database(request.param, tmp_path / "qb.db")


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    upgrade(db.engine)
    yield db
    db.dispose()


class History:
    """A tenant's jobs and imports of various ages, written as the service writes them."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.tenant_id = str(uuid.uuid4())
        self.seq = 0
        with database.transaction() as session:
            session.add(
                Tenant(
                    id=self.tenant_id,
                    name="Old Co",
                    qbwc_username=f"qbb-{uuid.uuid4().hex[:12]}",
                    file_id="{" + str(uuid.uuid4()) + "}",
                )
            )

    def job(self, status: str, *, ended_days_ago: float | None, steps: int = 2) -> str:
        now = utcnow()
        finished = now - dt.timedelta(days=ended_days_ago) if ended_days_ago is not None else None
        self.seq += 1
        public_id = str(uuid.uuid4())
        step_state = {"succeeded": "succeeded", "failed": "failed", "cancelled": "cancelled"}.get(
            status, status
        )
        with self.database.transaction() as session:
            job = Job(
                public_id=public_id,
                tenant_id=self.tenant_id,
                kind="salesOrder",
                status=status,
                error="The name is in use." if status == "failed" else None,
                warnings=["a warning"],
                payload={"salesOrder": {"code": "SO-1", "customer": "Old Customer"}},
                result={"txnId": "1-234"},
                created_at=(finished or now) - dt.timedelta(minutes=5),
                updated_at=finished or now,
                finished_at=finished,
                queue_seq=self.seq,
            )
            session.add(job)
            session.flush()
            for position in range(steps):
                session.add(
                    Step(
                        job_id=job.id,
                        tenant_id=self.tenant_id,
                        position=position,
                        kind="customer",
                        state=step_state,
                        intent={"customer": {"name": "Old Customer"}},
                        request=REQUEST if status != "queued" else None,
                        # A raw step's request prepared when it was queued holds the payload too.
                        prepared_request=REQUEST,
                        prepared_level=1300,
                        prepared_requests=1,
                        response=RESPONSE if status not in ("queued", "unknown_outcome") else None,
                        status_code=3100 if status == "failed" else 0,
                        status_severity="Error" if status == "failed" else "Info",
                        status_message="The name is in use." if status == "failed" else "Status OK",
                        error="Rename the customer in QuickBooks." if status == "failed" else None,
                        result={"listId": "80000001"},
                        created_at=job.created_at,
                        completed_at=finished,
                    )
                )
        return public_id

    def imported(self, status: str, *, acknowledged_days_ago: float | None) -> str:
        now = utcnow()
        public_id = str(uuid.uuid4())
        with self.database.transaction() as session:
            session.add(
                Import(
                    public_id=public_id,
                    tenant_id=self.tenant_id,
                    entity="salesOrder",
                    status=status,
                    source_type="SalesOrder",
                    source_id=f"TXN-{public_id[:8]}",
                    code="SO-9",
                    data={"code": "SO-9", "rows": [{"product": "WIDGET", "quantity": 2}]},
                    notes=["Sales tax is not imported."],
                    acknowledged_at=now - dt.timedelta(days=acknowledged_days_ago)
                    if acknowledged_days_ago is not None
                    else None,
                )
            )
        return public_id

    def audit(self) -> None:
        with self.database.transaction() as session:
            session.add(
                AuditEvent(
                    tenant_id=self.tenant_id,
                    actor="admin",
                    action="job.retry",
                    detail={"job": "x"},
                    created_at=utcnow() - dt.timedelta(days=400),
                )
            )


def job_row(database: Database, public_id: str) -> tuple[Job, list[Step]]:
    with database.sessions() as session:
        job = session.scalars(select(Job).where(Job.public_id == public_id)).one()
        steps = list(session.scalars(select(Step).where(Step.job_id == job.id).order_by(Step.position)))
        session.expunge_all()
    return job, steps


def import_row(database: Database, public_id: str) -> Import:
    with database.sessions() as session:
        found = session.scalars(select(Import).where(Import.public_id == public_id)).one()
        session.expunge_all()
    return found


def test_old_payloads_go_and_what_each_step_was_stays(database: Database) -> None:
    history = History(database)
    old_ok = [history.job("succeeded", ended_days_ago=DAYS + 30) for _ in range(3)]
    old_failed = history.job("failed", ended_days_ago=DAYS + 1)
    old_cancelled = history.job("cancelled", ended_days_ago=DAYS + 200)
    old_unknown = history.job("unknown_outcome", ended_days_ago=DAYS + 100)
    recent = history.job("succeeded", ended_days_ago=DAYS - 1)
    waiting = history.job("queued", ended_days_ago=None)
    old_ack = history.imported("acknowledged", acknowledged_days_ago=DAYS + 5)
    recent_ack = history.imported("acknowledged", acknowledged_days_ago=DAYS - 5)
    pending = history.imported("pending", acknowledged_days_ago=None)
    history.audit()

    batches: list[retention.pruning.Pruned] = []
    report = retention.prune_pass(
        database, days=DAYS, holder="test", batch_size=2, pause_seconds=0, on_batch=batches.append
    )
    assert not report.lease_held_elsewhere
    assert (report.pruned.jobs, report.pruned.steps, report.pruned.imports) == (5, 10, 1)
    # Small batches: never more than the batch size at once.
    assert max(b.jobs for b in batches) == 2 and report.batches >= 4

    for public_id in [*old_ok, old_failed, old_cancelled]:
        job, steps = job_row(database, public_id)
        assert job.payload_pruned_at is not None
        assert job.payload == {} and job.result == {}
        assert job.warnings == ["a warning"]
        for step in steps:
            assert step.request is None and step.response is None and step.prepared_request is None
            assert step.intent == {} and step.result == {}
    job, steps = job_row(database, old_failed)
    assert job.status == "failed" and job.error == "The name is in use."
    assert [(s.state, s.status_code, s.status_severity, s.status_message, s.error) for s in steps] == [
        ("failed", 3100, "Error", "The name is in use.", "Rename the customer in QuickBooks.")
    ] * 2

    for public_id in (old_unknown, recent, waiting):
        job, steps = job_row(database, public_id)
        assert job.payload_pruned_at is None and job.payload["salesOrder"]["code"] == "SO-1"
        assert all(step.intent and step.prepared_request == REQUEST for step in steps)
    _, unknown_steps = job_row(database, old_unknown)
    assert all(step.request == REQUEST for step in unknown_steps)

    pruned = import_row(database, old_ack)
    assert pruned.data == {} and pruned.notes == [] and pruned.data_pruned_at is not None
    assert (pruned.status, pruned.source_type, pruned.code) == ("acknowledged", "SalesOrder", "SO-9")
    assert pruned.source_id.startswith("TXN-")
    for public_id in (recent_ack, pending):
        assert import_row(database, public_id).data["code"] == "SO-9"
    with database.sessions() as session:
        assert session.scalars(select(AuditEvent).where(AuditEvent.tenant_id == history.tenant_id)).all()

    again = retention.prune_pass(database, days=DAYS, holder="test", pause_seconds=0)
    assert (again.pruned.jobs, again.pruned.imports) == (0, 0)


def test_one_process_at_a_time_prunes(database: Database) -> None:
    history = History(database)
    for _ in range(4):
        history.job("succeeded", ended_days_ago=DAYS + 10)
    now = utcnow()
    with database.transaction() as session:
        assert leases.take(session, retention.LEASE, "worker-a", now=now, duration=retention.LEASE_DURATION)
    # Another holder finds the lease taken and prunes nothing.
    held = retention.prune_pass(database, days=DAYS, holder="worker-b", pause_seconds=0)
    assert held.lease_held_elsewhere and held.pruned.jobs == 0
    # Once it expires (its holder died), another takes over.
    later = now + retention.LEASE_DURATION + dt.timedelta(seconds=1)
    taken = retention.prune_pass(database, days=DAYS, holder="worker-b", pause_seconds=0, clock=lambda: later)
    assert not taken.lease_held_elsewhere and taken.pruned.jobs == 4
    # Released at the end of its pass: the first holder may take it at once.
    with database.transaction() as session:
        assert leases.take(
            session, retention.LEASE, "worker-a", now=utcnow(), duration=retention.LEASE_DURATION
        )


def test_two_processes_pruning_at_once_prune_each_job_once(database: Database) -> None:
    history = History(database)
    jobs = 60
    for _ in range(jobs):
        history.job("succeeded", ended_days_ago=DAYS + 10, steps=1)
    reports: list[retention.PassReport] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run(holder: str) -> None:
        try:
            start.wait()
            reports.append(
                retention.prune_pass(database, days=DAYS, holder=holder, batch_size=5, pause_seconds=0.01)
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert sum(report.pruned.jobs for report in reports) == jobs
    # The one that found the lease taken stopped instead of competing for the same rows.
    assert any(report.lease_held_elsewhere for report in reports) or min(r.pruned.jobs for r in reports) == 0


def test_the_background_pass_prunes_in_every_worker_without_being_asked(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = History(database)
    old = history.job("succeeded", ended_days_ago=DAYS + 10)
    monkeypatch.setattr(retention, "FIRST_PASS_AFTER_SECONDS", 0.0)
    monkeypatch.setattr(retention, "PASS_EVERY_SECONDS", 0.05)

    async def run_for_a_moment() -> None:
        task = asyncio.create_task(retention.prune_forever(database, days=DAYS))
        for _ in range(200):
            await asyncio.sleep(0.05)
            if job_row(database, old)[0].payload_pruned_at is not None:
                break
        task.cancel()

    run_async(run_for_a_moment())
    assert job_row(database, old)[0].payload_pruned_at is not None


def test_prune_command_and_the_api_view_of_a_pruned_job(database_url: str, tmp_path: Path) -> None:
    db = Database(database_url)
    upgrade(db.engine)
    history = History(db)
    failed = history.job("failed", ended_days_ago=40)
    db.dispose()
    env = clean_environment(QBBRIDGE_DATABASE_URL=database_url, QBBRIDGE_PAYLOAD_RETENTION_DAYS="90")
    kept = run_qbbridge(["prune"], env, tmp_path)
    assert kept.returncode == 0, kept.stderr
    assert "older than 90 days removed from 0 job(s)" in kept.stdout
    run = run_qbbridge(["prune", "--days", "30", "--batch-size", "10"], env, tmp_path)
    assert run.returncode == 0, run.stderr
    assert "removed from 1 job(s) (2 step(s)) and 0 acknowledged import(s)" in run.stdout
    bad = run_qbbridge(["prune", "--days", "0"], env, tmp_path)
    assert bad.returncode == 2 and "between 1 and 36500" in bad.stderr

    server = start_server(database_url, tmp_path / "server")
    try:
        shown = server.client.get(f"/api/v1/jobs/{failed}")
        assert shown.status_code == 200
        body = shown.json()
        assert body["payloadsRemovedAt"] is not None and body["result"] == {}
        assert [(s["state"], s["statusCode"], s["request"], s["response"]) for s in body["steps"]] == [
            ("failed", 3100, None, None)
        ] * 2
        assert body["steps"][0]["error"] == "Rename the customer in QuickBooks."
        retried = server.client.post(f"/api/v1/jobs/{failed}/retry")
        assert retried.status_code == 409
        assert "removed by retention" in retried.json()["detail"]
        assert server.client.get(f"/api/v1/jobs/{failed}").json()["status"] == "failed"
    finally:
        server.stop()
