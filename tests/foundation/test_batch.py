"""Statements sent together (db/batch.py): same order, same meaning and same types on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from db import batch
from db.batch import Statement
from db.engine import Database
from db.migrate import upgrade
from db.models import Tenant
from db.tenants import create_tenant
from tests.support.servers import terminate_backend

INSERT_AUDIT = Statement(
    "INSERT INTO audit_log (tenant_id, actor, action, detail, created_at) "
    "VALUES (:tenant_id, 'test', :action, :detail, :now) RETURNING id",
    timestamps=("now",),
    json_params=("detail",),
)
READ_AUDIT = Statement(
    "SELECT action, detail, created_at FROM audit_log WHERE tenant_id = :tenant_id ORDER BY id",
    json_columns=("detail",),
)
COUNT_AUDIT = Statement("SELECT count(*) AS n FROM audit_log WHERE tenant_id = :tenant_id")
# actor is NOT NULL: refused by both databases. The row is never written, so its time needs no
# parameter of its own: the database's clock serves.
FAILING = Statement(
    "INSERT INTO audit_log (tenant_id, actor, action, detail, created_at) "
    "VALUES (:tenant_id, NULL, 'refused', '{}', CURRENT_TIMESTAMP)"
)


def _tenant(database: Database, name: str) -> str:
    with database.transaction() as session:
        return create_tenant(session, f"Batch {name}").id


def test_statements_run_in_order_and_each_sees_what_the_earlier_ones_wrote(database: Database) -> None:
    tenant_id = _tenant(database, "order")
    now = dt.datetime(2026, 11, 27, 12, 30, tzinfo=dt.UTC)
    with database.transaction() as session:
        first, second, counted, read = batch.run(
            session,
            [
                (INSERT_AUDIT, {"tenant_id": tenant_id, "action": "a", "detail": {"n": 1}, "now": now}),
                (INSERT_AUDIT, {"tenant_id": tenant_id, "action": "b", "detail": {"n": [2]}, "now": now}),
                (COUNT_AUDIT, {"tenant_id": tenant_id}),
                (READ_AUDIT, {"tenant_id": tenant_id}),
            ],
        )
    assert first[0].id < second[0].id
    assert counted[0].n == 2
    assert [(row.action, row.detail) for row in read] == [("a", {"n": 1}), ("b", {"n": [2]})]
    # Timestamps come back as the same instant on both databases (aware on PostgreSQL, stored as UTC).
    stored = read[0].created_at
    if isinstance(stored, str):
        stored = dt.datetime.fromisoformat(stored)
    assert stored.replace(tzinfo=stored.tzinfo or dt.UTC) == now


def test_an_error_in_a_batch_leaves_nothing_written(database: Database) -> None:
    tenant_id = _tenant(database, "error")
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(IntegrityError), database.transaction() as session:
        batch.run(
            session,
            [
                (INSERT_AUDIT, {"tenant_id": tenant_id, "action": "kept?", "detail": {}, "now": now}),
                (FAILING, {"tenant_id": tenant_id}),
            ],
        )
    with database.transaction() as session:
        assert batch.run_one(session, COUNT_AUDIT, {"tenant_id": tenant_id})[0].n == 0


def test_pending_orm_changes_are_written_before_a_batch(database: Database) -> None:
    tenant_id = _tenant(database, "pending")
    with database.transaction() as session:
        tenant = session.get(Tenant, tenant_id)
        assert tenant is not None
        tenant.name = "Renamed, not flushed"
        # No flush: the batch must see the change the ORM has not written yet.
        rows = batch.run_one(session, Statement("SELECT name FROM tenants WHERE id = :id"), {"id": tenant_id})
        assert [row.name for row in rows] == ["Renamed, not flushed"]


def test_parameters_become_numbered_placeholders_but_casts_and_literals_stay() -> None:
    statement = Statement("SELECT :a::text AS a, '10:30' AS t, 5 % 2 AS m WHERE :b = 1 OR :a = 'x'")
    assert statement.positional_sql == "SELECT $1::text AS a, '10:30' AS t, 5 % 2 AS m WHERE $2 = 1 OR $1 = 'x'"
    assert statement.param_names == ("a", "b")
    assert statement.driver_values({"b": 1, "a": "x", "unused": 2}) == ["x", 1]
    with pytest.raises(KeyError, match="'b' was not given"):
        statement.driver_values({"a": "x"})


def test_a_timestamp_for_an_undeclared_parameter_is_refused(database: Database) -> None:
    # SQLite would store it in its driver's own text format, which compares wrongly with the columns'.
    undeclared = Statement("SELECT count(*) AS n FROM audit_log WHERE created_at >= :since")
    with database.transaction() as session, pytest.raises(TypeError, match="'since' is a timestamp"):
        batch.run_one(session, undeclared, {"since": dt.datetime.now(dt.UTC)})


class _Abort(Exception):
    pass


@pytest.mark.parametrize("first", ["one statement", "a batch"])
def test_a_transaction_that_starts_with_a_batch_is_undone_whole(database: Database, first: str) -> None:
    # A batch goes to the driver directly (psycopg's pipeline on PostgreSQL), past SQLAlchemy: when it
    # is the transaction's first statement, it must still open the transaction, undone whole.
    tenant_id = _tenant(database, f"begin {first}")
    now = dt.datetime.now(dt.UTC)
    row = {"tenant_id": tenant_id, "action": "undone", "detail": {}, "now": now}
    with pytest.raises(_Abort), database.transaction() as session:
        if first == "one statement":
            batch.run_one(session, INSERT_AUDIT, row)
        else:
            batch.run(session, [(INSERT_AUDIT, row), (INSERT_AUDIT, row)])
        batch.run_one(session, INSERT_AUDIT, row)
        raise _Abort
    with database.transaction() as session:
        assert batch.run_one(session, COUNT_AUDIT, {"tenant_id": tenant_id})[0].n == 0


def test_a_transaction_that_starts_with_an_orm_statement_is_undone_whole(database: Database) -> None:
    tenant_id = _tenant(database, "begin orm")
    with pytest.raises(_Abort), database.transaction() as session:
        tenant = session.get(Tenant, tenant_id)
        assert tenant is not None
        tenant.name = "Renamed, then undone"
        session.flush()
        batch.run_one(
            session,
            INSERT_AUDIT,
            {"tenant_id": tenant_id, "action": "undone", "detail": {}, "now": dt.datetime.now(dt.UTC)},
        )
        raise _Abort
    with database.transaction() as session:
        assert session.get(Tenant, tenant_id).name == "Batch begin orm"  # type: ignore[union-attr]
        assert batch.run_one(session, COUNT_AUDIT, {"tenant_id": tenant_id})[0].n == 0


def test_every_statement_of_a_transaction_sees_one_transaction(postgres_url: str) -> None:
    # PostgreSQL only: transaction_timestamp() is PostgreSQL's, and on SQLite a batch is statements
    # run one by one in the transaction SQLite opened itself (nothing of the batch to check).
    database = Database(postgres_url)
    upgrade(database.engine)
    started = Statement("SELECT transaction_timestamp() AS at, statement_timestamp() AS now")
    try:
        with database.transaction() as session:
            (first,), _ = batch.run(session, [(started, {}), (COUNT_AUDIT, {"tenant_id": "none"})])
            session.execute(text("SELECT pg_sleep(0.02)"))
            (second,) = batch.run_one(session, started, {})
    finally:
        database.dispose()
    # One transaction: the same start for both reads, though the second statement ran later.
    assert second.now > first.now
    assert second.at == first.at


@pytest.mark.parametrize("ending", ["commit", "rollback", "error in the batch"])
def test_the_transaction_after_one_a_batch_opened_is_a_transaction_too(database: Database, ending: str) -> None:
    # On PostgreSQL a batch that opens its transaction sends BEGIN itself, with the driver in
    # autocommit for that transaction (db/batch.py). The connection must go back to the pool as it
    # came, or the next transaction's SQLAlchemy statements would each commit on their own. One pooled
    # connection, so the second transaction surely gets the same one.
    single = Database(database.url, pool_size=1, max_overflow=0)
    try:
        tenant_id = _tenant(single, f"after {ending}")
        row = {"tenant_id": tenant_id, "action": "first", "detail": {}, "now": dt.datetime.now(dt.UTC)}
        if ending == "commit":
            with single.transaction() as session:
                batch.run_one(session, INSERT_AUDIT, row)
        elif ending == "rollback":
            with pytest.raises(_Abort), single.transaction() as session:
                batch.run_one(session, INSERT_AUDIT, row)
                raise _Abort
        else:
            with pytest.raises(IntegrityError), single.transaction() as session:
                batch.run(session, [(INSERT_AUDIT, row), (FAILING, {"tenant_id": tenant_id})])
        insert = text(
            "INSERT INTO audit_log (tenant_id, actor, action, detail, created_at) "
            "VALUES (:tenant_id, 'test', 'second', '{}', CURRENT_TIMESTAMP)"
        )
        with pytest.raises(_Abort), single.transaction() as session:
            session.execute(insert, {"tenant_id": tenant_id})
            session.execute(insert, {"tenant_id": tenant_id})
            raise _Abort
        with single.transaction() as session:
            actions = [r.action for r in batch.run_one(session, READ_AUDIT, {"tenant_id": tenant_id})]
        assert actions == (["first"] if ending == "commit" else [])
    finally:
        single.dispose()


def test_a_batch_refused_before_it_is_sent_leaves_the_transaction_whole(database: Database) -> None:
    # A value the driver cannot send fails a batch that was to open the transaction (db/batch.py sends
    # BEGIN first, then the statements). Whatever the caller does next in the same transaction must
    # still be undone with it, never committed statement by statement.
    single = Database(database.url, pool_size=1, max_overflow=0)
    try:
        tenant_id = _tenant(single, "refused before sending")
        unsendable = {"tenant_id": tenant_id, "action": object(), "detail": {}, "now": dt.datetime.now(dt.UTC)}
        insert = text(
            "INSERT INTO audit_log (tenant_id, actor, action, detail, created_at) "
            "VALUES (:tenant_id, 'test', 'after', '{}', CURRENT_TIMESTAMP)"
        )
        with pytest.raises(_Abort), single.transaction() as session:
            with pytest.raises(DBAPIError):
                batch.run_one(session, INSERT_AUDIT, unsendable)
            session.execute(insert, {"tenant_id": tenant_id})
            session.execute(insert, {"tenant_id": tenant_id})
            raise _Abort
        with single.transaction() as session:
            assert batch.run_one(session, COUNT_AUDIT, {"tenant_id": tenant_id})[0].n == 0
    finally:
        single.dispose()


def _every_statement() -> list[tuple[str, Statement]]:
    """Every Statement the product defines at module level (alone, or in a dict or tuple of them),
    except the variants written for SQLite alone."""
    import importlib
    import pkgutil

    found: dict[int, tuple[str, Statement]] = {}
    for package_name in ("db", "mapping", "qbwc", "api"):
        package = importlib.import_module(package_name)
        for module_info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if ".migrations" in module_info.name:
                continue
            module = importlib.import_module(module_info.name)
            for attribute, value in vars(module).items():
                candidates: list[tuple[str, object]] = [(attribute, value)]
                if isinstance(value, dict):
                    candidates = [(f"{attribute}[{key!r}]", item) for key, item in value.items() if key != "sqlite"]
                elif isinstance(value, tuple):
                    candidates = [(f"{attribute}[{index}]", item) for index, item in enumerate(value)]
                for name, item in candidates:
                    if isinstance(item, Statement):
                        found[id(item)] = (f"{module_info.name}.{name}", item)
    return sorted(found.values(), key=lambda pair: pair[0])


def test_every_statement_of_the_product_prepares_on_postgresql(postgres_url: str) -> None:
    # Batches prepare each statement once per connection, with the types of its declared timestamp
    # and JSON parameters and every other parameter's type left for PostgreSQL to infer: one it
    # cannot place ("could not determine data type") or places wrongly would fail only when that
    # statement first runs. Preparing all of them here finds those at once.
    database = Database(postgres_url)
    upgrade(database.engine)
    statements = _every_statement()
    assert len(statements) >= 20, [name for name, _ in statements]
    failures = []
    with database.engine.connect() as connection:
        pgconn = connection.connection.driver_connection.pgconn  # type: ignore[union-attr]
        for index, (name, statement) in enumerate(statements):
            result = pgconn.prepare(
                f"check_{index}".encode(), statement.positional_sql.encode(), statement.param_types or None
            )
            if result.error_message:
                failures.append(f"{name}: {result.error_message.decode().splitlines()[0]}")
    database.dispose()
    assert not failures, "\n".join(failures)


def _our_prepared(session: object) -> set[str]:
    rows = session.execute(  # type: ignore[attr-defined]
        text("SELECT name FROM pg_prepared_statements WHERE name LIKE 'qbbridge\\_%'")
    )
    return {row.name for row in rows}


@pytest.mark.parametrize("psycopg_prepared_its_own", [True, False])
def test_batches_prepare_once_and_go_on_after_rollbacks(postgres_url: str, psycopg_prepared_its_own: bool) -> None:
    # Each statement is prepared once per connection. psycopg deallocates every prepared statement of
    # a connection when it rolls back while it has prepared statements of its own (DEALLOCATE ALL),
    # and keeps them all otherwise: after either, the next batch must run, neither using a statement
    # that is gone nor preparing one that is still there. One pooled connection throughout.
    single = Database(postgres_url, pool_size=1, max_overflow=0)
    try:
        upgrade(single.engine)
        tenant_id = _tenant(single, f"prepared {psycopg_prepared_its_own}")
        now = dt.datetime.now(dt.UTC)
        row = {"tenant_id": tenant_id, "action": "kept", "detail": {"n": 1}, "now": now}
        count = {"tenant_id": tenant_id}
        with single.transaction() as session:
            if psycopg_prepared_its_own:
                for _ in range(6):  # psycopg prepares a statement on its fifth run
                    session.execute(text("SELECT count(*) FROM tenants WHERE id = :id"), {"id": tenant_id})
            batch.run(session, [(INSERT_AUDIT, row), (COUNT_AUDIT, count)])
            batch.run(session, [(INSERT_AUDIT, row), (COUNT_AUDIT, count)])
            assert _our_prepared(session) == {
                INSERT_AUDIT.prepared_name.decode(),
                COUNT_AUDIT.prepared_name.decode(),
            }
        with pytest.raises(_Abort), single.transaction() as session:
            batch.run_one(session, INSERT_AUDIT, {**row, "action": "undone"})
            raise _Abort
        with single.transaction() as session:
            _, (counted,) = batch.run(session, [(INSERT_AUDIT, row), (COUNT_AUDIT, count)])
            assert counted.n == 3
            assert COUNT_AUDIT.prepared_name.decode() in _our_prepared(session)
    finally:
        single.dispose()


def test_a_connection_keeps_one_transformer_holding_no_result_between_batches(
    one_connection: tuple[Database, Database],
) -> None:
    # The loaders and dumpers psycopg made for one batch serve the next on the same connection; the
    # transformer must not keep the last result (a large one would stay in memory with the pooled
    # connection), and a new connection after a loss gets a transformer of its own.
    single, other = one_connection
    tenant_id = _tenant(single, "transformer")
    now = dt.datetime.now(dt.UTC)
    row = {"tenant_id": tenant_id, "action": "kept", "detail": {"text": "x" * 100_000}, "now": now}
    kept = []
    for _ in range(2):
        with single.transaction() as session:
            batch.run(session, [(INSERT_AUDIT, row), (READ_AUDIT, {"tenant_id": tenant_id})])
            info = session.connection().connection.info
            kept.append(info[batch._TRANSFORMER_KEY])
            assert kept[-1].pgresult is None
    assert kept[0] is kept[1]
    with single.transaction() as session:
        (read,) = batch.run(session, [(READ_AUDIT, {"tenant_id": tenant_id})])
        assert [(r.action, r.detail == row["detail"], r.created_at == now) for r in read] == [
            ("kept", True, True),
            ("kept", True, True),
        ]
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    terminate_backend(other, pid)
    with single.transaction() as session:
        assert batch.run_one(session, COUNT_AUDIT, {"tenant_id": tenant_id})[0].n == 2
        fresh = session.connection().connection.info[batch._TRANSFORMER_KEY]
        assert fresh is not kept[0]
        assert fresh.connection is session.connection().connection.driver_connection


def test_a_batch_larger_than_the_socket_buffers_goes_through(database: Database) -> None:
    # The batch is written while its answers are read: neither side may wait for the other forever.
    tenant_id = _tenant(database, "large")
    now = dt.datetime.now(dt.UTC)
    detail = {"text": "x" * 2_000_000}
    rows = [(INSERT_AUDIT, {"tenant_id": tenant_id, "action": f"a{n}", "detail": detail, "now": now}) for n in range(4)]
    with database.transaction() as session:
        results = batch.run(session, [*rows, (READ_AUDIT, {"tenant_id": tenant_id})])
    assert [len(rows) for rows in results] == [1, 1, 1, 1, 4]
    assert [row.detail == detail for row in results[-1]] == [True] * 4


@pytest.mark.parametrize("statement", ["an ORM statement", "a batch"])
def test_a_connection_lost_mid_transaction_raises_its_own_error(
    one_connection: tuple[Database, Database], statement: str
) -> None:
    # The rollback that follows a lost connection must not raise an error of its own in place of the
    # one that says what happened (db/engine.py forgets the connection's prepared statements on
    # every rollback), and the pool must hand out a working connection afterwards.
    single, other = one_connection
    with pytest.raises(DBAPIError) as raised, single.transaction() as session:
        batch.run_one(session, COUNT_AUDIT, {"tenant_id": "none"})
        terminate_backend(other, session.execute(text("SELECT pg_backend_pid()")).scalar_one())
        if statement == "a batch":
            batch.run(session, [(COUNT_AUDIT, {"tenant_id": "none"}), (COUNT_AUDIT, {"tenant_id": "x"})])
        else:
            session.execute(text("SELECT 1"))
    assert raised.value.connection_invalidated, raised.value
    with single.transaction() as session:
        assert batch.run_one(session, COUNT_AUDIT, {"tenant_id": "none"})[0].n == 0
