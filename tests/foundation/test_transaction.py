"""A transaction without an SQLAlchemy session until one is asked for (db/transaction.py): the Web
Connector's hot paths. Whatever runs in it, batches or the ORM, commits or rolls back together, the
connection always goes back to the pool, and what was noted for after the commit is told only then."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import pytest
from psycopg import errors as pg_errors
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from db import batch, observed, transaction
from db.batch import Statement, TransactionEnded
from db.engine import Database, is_unavailable
from db.models import AuditEvent
from db.tenants import create_tenant
from tests.support.servers import terminate_backend

INSERT_AUDIT = Statement(
    "INSERT INTO audit_log (tenant_id, actor, action, detail, created_at) "
    "VALUES (:tenant_id, 'test', :action, '{}', :now)",
    timestamps=("now",),
)
ACTIONS = Statement("SELECT action FROM audit_log WHERE tenant_id = :tenant_id ORDER BY id")
# actor is NOT NULL: refused by both databases.
FAILING = Statement(
    "INSERT INTO audit_log (tenant_id, actor, action, detail, created_at) "
    "VALUES (:tenant_id, NULL, 'refused', '{}', CURRENT_TIMESTAMP)"
)
NOW = dt.datetime(2026, 12, 6, 18, 0, tzinfo=dt.UTC)


def _tenant(database: Database, name: str) -> str:
    with database.transaction() as session:
        return create_tenant(session, f"Transaction {name}").id


def _actions(database: Database, tenant_id: str) -> list[str]:
    with database.transaction() as session:
        return [row.action for row in batch.run_one(session, ACTIONS, {"tenant_id": tenant_id})]


def _insert(tenant_id: str, action: str) -> tuple[Statement, dict[str, object]]:
    return INSERT_AUDIT, {"tenant_id": tenant_id, "action": action, "now": NOW}


def _orm_entry(tenant_id: str, action: str) -> AuditEvent:
    return AuditEvent(tenant_id=tenant_id, actor="test", action=action, detail={}, created_at=NOW)


def _checked_out(database: Database) -> int:
    checked_out: int = database.engine.pool.checkedout()  # type: ignore[attr-defined]
    return checked_out


def test_batches_commit_when_the_block_ends_without_an_orm_session(database: Database) -> None:
    tenant_id = _tenant(database, "batches")
    with transaction.begin(database) as work:
        batch.run(work, [_insert(tenant_id, "first")])
        batch.run(work, [_insert(tenant_id, "second")])
        if database.is_postgresql:
            # The common call: nothing asked for the ORM, so no session was made.
            assert work.session_if_open is None
    assert _actions(database, tenant_id) == ["first", "second"]
    assert _checked_out(database) == 0


@pytest.mark.parametrize("order", ["batch first", "orm first"])
def test_the_orm_session_joins_the_same_transaction(database: Database, order: str) -> None:
    tenant_id = _tenant(database, f"joined {order}")
    with transaction.begin(database) as work:
        if order == "batch first":
            batch.run(work, [_insert(tenant_id, "by batch")])
        work.session.add(_orm_entry(tenant_id, "by the orm"))
        if order == "orm first":
            work.session.flush()
            batch.run(work, [_insert(tenant_id, "by batch")])
        # Pending ORM changes are written before a batch, and each sees the other's writes.
        seen = [row.action for row in batch.run_one(work, ACTIONS, {"tenant_id": tenant_id})]
        assert sorted(seen) == ["by batch", "by the orm"]
    assert sorted(_actions(database, tenant_id)) == ["by batch", "by the orm"]
    assert _checked_out(database) == 0


def test_orm_changes_left_unflushed_at_the_end_are_committed(database: Database) -> None:
    tenant_id = _tenant(database, "unflushed")
    with transaction.begin(database) as work:
        batch.run(work, [_insert(tenant_id, "by batch")])
        work.session.add(_orm_entry(tenant_id, "added last"))
    assert sorted(_actions(database, tenant_id)) == ["added last", "by batch"]
    assert _checked_out(database) == 0


@pytest.mark.parametrize("failing", ["a batch", "the orm", "the caller"])
def test_an_error_undoes_the_batches_and_the_orm_together(database: Database, failing: str) -> None:
    tenant_id = _tenant(database, f"undone {failing}")
    error: type[Exception] = RuntimeError if failing == "the caller" else IntegrityError
    with pytest.raises(error), transaction.begin(database) as work:
        batch.run(work, [_insert(tenant_id, "by batch")])
        work.session.add(_orm_entry(tenant_id, "by the orm"))
        if failing == "a batch":
            batch.run(work, [(FAILING, {"tenant_id": tenant_id})])
        elif failing == "the orm":
            work.session.add(
                AuditEvent(tenant_id=tenant_id, actor=None, action="x", detail={}, created_at=NOW)
            )
            work.session.flush()
        else:
            raise RuntimeError("the caller failed")
    assert _actions(database, tenant_id) == []
    assert _checked_out(database) == 0
    # The connection is clean for the next transaction (rolled back, its prepared statements known).
    with transaction.begin(database) as work:
        batch.run(work, [_insert(tenant_id, "after")])
    assert _actions(database, tenant_id) == ["after"]


def test_an_error_in_a_batch_without_an_orm_session_is_rolled_back(database: Database) -> None:
    tenant_id = _tenant(database, "batch only")
    with pytest.raises(IntegrityError), transaction.begin(database) as work:
        batch.run(work, [_insert(tenant_id, "kept?")])
        batch.run(work, [(FAILING, {"tenant_id": tenant_id})])
    assert _actions(database, tenant_id) == []
    assert _checked_out(database) == 0


def test_nothing_runs_after_the_batch_that_ended_the_transaction(database: Database) -> None:
    tenant_id = _tenant(database, "ended")
    with transaction.begin(database) as work:
        batch.run(work, [_insert(tenant_id, "last")], commit=True)
        with pytest.raises(TransactionEnded):
            batch.run(work, [_insert(tenant_id, "after the end")])
        if database.is_postgresql:
            with pytest.raises(TransactionEnded):
                _ = work.session
    assert _actions(database, tenant_id) == ["last"]
    assert _checked_out(database) == 0


def test_a_session_made_before_the_last_batch_refuses_the_orm_after_it(database: Database) -> None:
    tenant_id = _tenant(database, "ended with orm")
    with transaction.begin(database) as work:
        work.session.add(_orm_entry(tenant_id, "by the orm"))
        batch.run(work, [_insert(tenant_id, "last")], commit=True)
        with pytest.raises(TransactionEnded):
            work.session.add(_orm_entry(tenant_id, "too late"))
            work.session.flush()
        work.session.expunge_all()
    assert sorted(_actions(database, tenant_id)) == ["by the orm", "last"]


@pytest.fixture
def told() -> Iterator[list[tuple[str, dict[str, str]]]]:
    facts: list[tuple[str, dict[str, str]]] = []

    def listener(fact: str, labels: dict[str, str]) -> None:
        facts.append((fact, labels))

    observed.subscribe(listener)
    yield facts
    observed._listeners.remove(listener)


@pytest.mark.parametrize("with_orm", [False, True])
def test_facts_are_told_after_the_commit_only(database: Database, told: list, with_orm: bool) -> None:
    tenant_id = _tenant(database, f"facts {with_orm}")
    with transaction.begin(database) as work:
        if with_orm:
            work.session.add(_orm_entry(tenant_id, "by the orm"))
        batch.run(work, [_insert(tenant_id, "noted")])
        observed.note(work, observed.QUICKBOOKS_STATUS, code="0")
        assert told == []
    assert told == [(observed.QUICKBOOKS_STATUS, {"code": "0"})]
    with pytest.raises(RuntimeError), transaction.begin(database) as work:
        observed.note(work, observed.QUICKBOOKS_STATUS, code="3100")
        raise RuntimeError("rolled back")
    assert told == [(observed.QUICKBOOKS_STATUS, {"code": "0"})]


def _backend_pid(work: transaction.Transaction, with_orm: bool) -> int:
    if with_orm:
        return int(work.session.execute(text("SELECT pg_backend_pid()")).scalar_one())
    return int(batch.run_one(work, Statement("SELECT pg_backend_pid() AS pid"), {})[0].pid)


def _errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    # A lost connection must be discarded, not reset: the pool's rollback on a closed connection
    # would log its traceback at ERROR ("Exception during reset or similar") in the operator's log.
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize("with_orm", [False, True])
def test_a_connection_lost_mid_transaction_raises_and_is_replaced(
    one_connection: tuple[Database, Database], with_orm: bool, caplog: pytest.LogCaptureFixture
) -> None:
    single, other = one_connection
    with pytest.raises(DBAPIError) as raised, transaction.begin(single) as work:
        batch.run(work, [(ACTIONS, {"tenant_id": "none"})])
        terminate_backend(other, _backend_pid(work, with_orm))
        batch.run(work, [(ACTIONS, {"tenant_id": "none"})])
    assert is_unavailable(raised.value), raised.value
    assert _checked_out(single) == 0
    assert not _errors(caplog), caplog.text
    # The pool's one connection was discarded, and a new one serves the next transaction.
    with transaction.begin(single) as work:
        assert batch.run_one(work, ACTIONS, {"tenant_id": "none"}) == []


@pytest.mark.parametrize("with_orm", [False, True])
def test_a_connection_lost_between_the_last_batch_and_the_commit_commits_nothing(
    one_connection: tuple[Database, Database], with_orm: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """The loss is found by the COMMIT itself: the block raises, and what it wrote is not there."""
    single, other = one_connection
    tenant_id = _tenant(single, f"lost before commit {with_orm}")
    with pytest.raises(DBAPIError) as raised, transaction.begin(single) as work:
        batch.run(work, [_insert(tenant_id, "written")])
        if with_orm:
            work.session.add(_orm_entry(tenant_id, "orm"))
        terminate_backend(other, _backend_pid(work, with_orm))
    assert is_unavailable(raised.value), raised.value
    assert _checked_out(single) == 0
    assert not _errors(caplog), caplog.text
    # Nothing committed, and the pool's one connection was replaced.
    assert _actions(single, tenant_id) == []


@pytest.mark.parametrize("with_orm", [False, True])
def test_a_lost_connection_is_not_reported_committed_when_the_block_swallowed_its_error(
    one_connection: tuple[Database, Database], with_orm: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """A block that catches the error of the batch that met the loss must not end as if its earlier
    batches were committed: they were rolled back by the server when the connection ended."""
    single, other = one_connection
    tenant_id = _tenant(single, f"swallowed {with_orm}")
    with pytest.raises(DBAPIError) as raised, transaction.begin(single) as work:
        batch.run(work, [_insert(tenant_id, "written")])
        terminate_backend(other, _backend_pid(work, with_orm))
        with pytest.raises(DBAPIError):
            batch.run(work, [_insert(tenant_id, "after the loss")])
    assert is_unavailable(raised.value), raised.value
    if not with_orm:
        # Through a session, its own COMMIT finds the connection closed and says so.
        assert "lost before its COMMIT" in str(raised.value)
    assert _checked_out(single) == 0
    assert not _errors(caplog), caplog.text
    assert _actions(single, tenant_id) == []


def test_a_lost_connection_after_the_batch_that_committed_is_no_error(
    one_connection: tuple[Database, Database], caplog: pytest.LogCaptureFixture
) -> None:
    """Once the last batch's COMMIT was answered, the work is durable: a loss after it changes
    nothing, and the block ends normally."""
    single, other = one_connection
    tenant_id = _tenant(single, "committed then lost")
    with transaction.begin(single) as work:
        pid = _backend_pid(work, with_orm=False)
        batch.run(work, [_insert(tenant_id, "written")], commit=True)
        terminate_backend(other, pid)
    assert _checked_out(single) == 0
    assert not _errors(caplog), caplog.text
    assert _actions(single, tenant_id) == ["written"]


def test_a_connection_closed_while_resting_in_the_pool_is_replaced_at_checkout(
    one_connection: tuple[Database, Database], caplog: pytest.LogCaptureFixture
) -> None:
    single, other = one_connection
    tenant_id = _tenant(single, "resting")
    with transaction.begin(single) as work:
        pid = _backend_pid(work, with_orm=False)
    terminate_backend(other, pid)
    with transaction.begin(single) as work:
        assert _backend_pid(work, with_orm=False) != pid
        batch.run(work, [_insert(tenant_id, "on a new connection")], commit=True)
    assert _actions(single, tenant_id) == ["on a new connection"]
    assert not _errors(caplog), caplog.text


@pytest.mark.parametrize("with_orm", [False, True])
def test_a_transaction_whose_statement_failed_is_not_reported_committed(
    one_connection: tuple[Database, Database], with_orm: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL answers the COMMIT of a transaction with a failed statement by rolling it back,
    without an error: a block that caught that statement's error and went on must not end as if
    what it wrote were committed."""
    single, _ = one_connection
    tenant_id = _tenant(single, f"failed statement {with_orm}")
    with pytest.raises(DBAPIError) as raised, transaction.begin(single) as work:
        batch.run(work, [_insert(tenant_id, "written")])
        with pytest.raises(IntegrityError):
            if with_orm:
                work.session.execute(FAILING.clause, {"tenant_id": tenant_id})
            else:
                batch.run(work, [(FAILING, {"tenant_id": tenant_id})])
    assert isinstance(raised.value.orig, pg_errors.InFailedSqlTransaction), raised.value
    assert "failed earlier" in str(raised.value)
    assert not is_unavailable(raised.value)
    assert _actions(single, tenant_id) == []
    assert _checked_out(single) == 0
    assert not _errors(caplog), caplog.text
    # The connection was rolled back and serves the next transaction.
    with transaction.begin(single) as work:
        batch.run(work, [_insert(tenant_id, "next")], commit=True)
    assert _actions(single, tenant_id) == ["next"]


def test_a_database_that_cannot_be_reached_raises_what_a_session_would(postgres_url: str) -> None:
    unreachable = Database(postgres_url.replace("127.0.0.1:5432", "127.0.0.1:9"), pool_size=1)
    try:
        with pytest.raises(DBAPIError) as raised, transaction.begin(unreachable):
            pass
        assert is_unavailable(raised.value)
    finally:
        unreachable.dispose()
