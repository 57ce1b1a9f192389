"""Statements sent to the database together, each one still a statement of its own.

A Web Connector call is a handful of short statements, and on PostgreSQL most of their cost is the
round trips between them (and the driver and SQLAlchemy work around each). ``run`` sends a batch in
one round trip with libpq's pipeline mode: the server still runs the statements one after another,
in the caller's transaction, each seeing what the earlier ones wrote and each taking its own snapshot
(READ COMMITTED), exactly as if they had been sent one by one; only the waiting in between is gone.
So a later statement cannot use an earlier one's result as a parameter: the queue's batches find the
session by its ticket with a subquery instead (see ``db/queue/sql.py``).

On PostgreSQL the batch is written to the connection's libpq handle directly (``_Pipeline``): every
statement is queued in libpq's buffer and the whole batch leaves in one write, where psycopg's own
pipeline waits for the socket and writes once per statement (two ``poll`` calls and a ``send`` each:
18 % of the Web Connector endpoint's CPU in a profile under load, see docs/performance.md). Each
statement is prepared once per connection, under a name of its own, and run by name afterwards.

On SQLite, a library in this process with no round trips to save, the same statements run one by one
through the session, with the same SQL text.

Statements are written once, with ``:name`` parameters. The SQLAlchemy form types its timestamps
and JSON like the ORM columns (``UTCDateTime``, ``JSON``); the PostgreSQL form gives the server aware
UTC timestamps and JSON text, which is what those types would send.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
import select
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

import psycopg
from psycopg import abc, postgres, pq
from psycopg import errors as pg_errors
from psycopg.abc import Buffer
from psycopg.adapt import PyFormat, Transformer
from psycopg.types.json import Json
from sqlalchemy import JSON, TextClause, bindparam, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import PoolProxiedConnection

from db import json_text
from db.models import UTCDateTime
from db.results import returns_rows

_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_TIMESTAMP = UTCDateTime()


# Each statement's name for PostgreSQL's prepared statements: unique in this process, the same on
# every connection. (psycopg's own automatic ones are named ``_pg3_…``.)
_STATEMENT_NAMES = itertools.count(1)
# The names prepared on a connection, kept in the pool's per-connection ``info`` dictionary, which
# lives as long as the connection and is emptied if the pool replaces it.
_PREPARED_KEY = "qbbridge.prepared"
# Set in a connection's pool ``info`` when statements must not be prepared (``db/engine.py``,
# QBBRIDGE_DATABASE_PREPARED_STATEMENTS=0): each is then sent with its text, unnamed, every time.
UNPREPARED_KEY = "qbbridge.unprepared"
# Set in a session's ``info`` by a batch that ended its transaction (``run(..., commit=True)``), to the
# transaction it ended: anything the session ran after it would run outside that transaction.
_ENDED_KEY = "qbbridge.ended_by_batch"
# Set on the error a batch raises: the rows of the statements that ran before the one that failed.
_ROWS_BEFORE = "qbbridge_rows_before"
# Kept in a connection's pool ``info``: the psycopg ``Transformer`` its batches dump and load with.
_TRANSFORMER_KEY = "qbbridge.transformer"
_TIMESTAMPTZ_OID = postgres.types["timestamptz"].oid
_JSON_OID = postgres.types["json"].oid


class Statement:
    """One SQL statement, ready for SQLAlchemy (``clause``) and for libpq directly (``positional_sql``
    with ``$1``, ``$2``… in the order of ``param_names``, prepared as ``prepared_name``)."""

    __slots__ = (
        "clause",
        "json_params",
        "param_names",
        "param_types",
        "positional_sql",
        "prepared_name",
        "sql",
        "timestamps",
    )

    def __init__(
        self,
        sql: str,
        *,
        timestamps: Iterable[str] = (),
        json_params: Iterable[str] = (),
        json_columns: Iterable[str] = (),
        timestamp_columns: Iterable[str] = (),
    ) -> None:
        self.sql = sql
        self.timestamps = frozenset(timestamps)
        self.json_params = frozenset(json_params)
        binds = [bindparam(name, type_=_TIMESTAMP) for name in sorted(self.timestamps)]
        binds += [bindparam(name, type_=JSON()) for name in sorted(self.json_params)]
        clause: Any = text(sql)
        if binds:
            clause = clause.bindparams(*binds)
        # Typed result columns: SQLite gives JSON and timestamps back as text without them.
        columns: dict[str, Any] = {
            **dict.fromkeys(sorted(json_columns), JSON),
            **dict.fromkeys(sorted(timestamp_columns), _TIMESTAMP),
        }
        if columns:
            clause = clause.columns(**columns)
        self.clause: TextClause = clause
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"

        self.positional_sql = _PARAMETER.sub(number, sql)
        self.param_names = tuple(names)
        # Declared parameters are prepared with their type; the others are left for PostgreSQL to
        # infer from where they are used (a parameter it cannot place needs a cast in the SQL).
        self.param_types = tuple(
            _TIMESTAMPTZ_OID if name in self.timestamps else _JSON_OID if name in self.json_params else 0
            for name in names
        )
        self.prepared_name = f"qbbridge_{next(_STATEMENT_NAMES)}".encode()

    def check(self, params: Mapping[str, Any]) -> None:
        """Refuse a timestamp given for a parameter not declared as one: SQLite would store or compare
        it in another text format than the columns' (its driver's own default), silently."""
        for name, value in params.items():
            if isinstance(value, dt.datetime) and name not in self.timestamps and f":{name}" in self.sql:
                raise TypeError(f"parameter {name!r} is a timestamp; declare it in timestamps=")

    def driver_values(self, params: Mapping[str, Any]) -> list[Any]:
        """The parameters in ``$n`` order, as psycopg should dump them."""
        values: list[Any] = []
        for name in self.param_names:
            if name not in params:
                raise KeyError(f"statement parameter {name!r} was not given: {self.sql}")
            value = params[name]
            if name in self.timestamps and isinstance(value, dt.datetime) and value.tzinfo is None:
                value = value.replace(tzinfo=dt.UTC)
            elif name in self.json_params:
                value = Json(value, dumps=json_text.dumps_bytes)
            values.append(value)
        return values


class TransactionEnded(RuntimeError):
    """A statement on a session whose transaction a batch has already ended: a mistake in the code,
    which would otherwise write outside the transaction it belongs to."""


def ended_by_batch(session: Session) -> bool:
    """Whether a batch of ``session`` has ended its transaction (``run(..., commit=True)``)."""
    ended = session.info.get(_ENDED_KEY)
    return ended is not None and ended is session.get_transaction()


def refuse_if_ended(session: Session) -> None:
    """Raise ``TransactionEnded`` when a batch has ended the session's transaction (``db/engine.py``
    calls this before every ORM statement and flush)."""
    if ended_by_batch(session):
        raise TransactionEnded(
            "the transaction was ended by its last batch (db.batch.run with commit=True); "
            "nothing may run on the session after it"
        )


def rows_before_failure(error: BaseException) -> list[list[Any]] | None:
    """The rows of the statements a failed batch ran before the one that failed (``None`` when the
    error did not come from a batch on PostgreSQL)."""
    original = getattr(error, "orig", error)
    rows: list[list[Any]] | None = getattr(original, _ROWS_BEFORE, None)
    return rows


def forget_prepared(info: dict[Any, Any]) -> None:
    """Forget which statements are prepared on a connection (its pool ``info``). psycopg deallocates
    every prepared statement of a connection on some rollbacks (``DEALLOCATE ALL``, when it has
    prepared statements of its own: a rollback may have undone what a plan refers to), ours
    included. ``db/engine.py`` calls this on every rollback; the next batch asks the server which
    are left (``_prepared_on_server``)."""
    info.pop(_PREPARED_KEY, None)


_PREPARED_ON_SERVER = rb"SELECT name FROM pg_prepared_statements WHERE name LIKE 'qbbridge\_%'"


def _prepared_on_server(pgconn: pq.abc.PGconn) -> set[bytes]:
    """The names of our statements prepared on this connection: one round trip, on a connection's
    first batch and on the first after a rollback."""
    pgconn.enter_pipeline_mode()
    try:
        pgconn.send_query_params(_PREPARED_ON_SERVER, None)
        pgconn.pipeline_sync()
        [result] = _exchange(pgconn)
    finally:
        _leave_pipeline_mode(pgconn)
    if result.status != pq.ExecStatus.TUPLES_OK:
        raise pg_errors.error_from_result(result)
    return {result.get_value(row, 0) or b"" for row in range(result.ntuples)}


@functools.lru_cache(maxsize=256)
def _row_maker(names: tuple[bytes, ...]) -> Callable[[Iterable[Any]], tuple[Any, ...]]:
    """Rows as named tuples of the result's columns, like SQLAlchemy's rows (read by name)."""
    # The column names are known at run time only, so the class has no static type.
    make_class: Callable[..., Any] = namedtuple
    row_class = make_class("Row", [name.decode() for name in names], rename=True)
    maker: Callable[[Iterable[Any]], tuple[Any, ...]] = row_class._make
    return maker


def _takes_over_begin(driver: psycopg.Connection[Any]) -> bool:
    """Whether this batch opens the transaction, sending its BEGIN in the batch's own round trip.

    psycopg opens a transaction with a BEGIN of its own before the first statement and waits for its
    answer: a round trip that carries nothing, on every Web Connector call. When a batch is a
    transaction's first statement, the driver is switched to autocommit (it sends no BEGIN of its own
    then) and the batch starts with BEGIN instead: the same transaction, one round trip sooner.
    Statements after it, the batch's or SQLAlchemy's, run inside that transaction, and the session's
    commit or rollback ends it as usual (psycopg sends COMMIT or ROLLBACK whenever a transaction is
    open, autocommit or not). The pool turns autocommit off again when the connection comes back to
    it (``db/engine.py``), so no other transaction ever runs in autocommit.
    """
    if driver.pgconn.transaction_status != pq.TransactionStatus.IDLE:
        return False
    if not driver.autocommit:
        driver.autocommit = True
    return True


class _Pipeline:
    """One batch on a psycopg connection's libpq handle, in libpq's pipeline mode.

    Every command is queued in libpq's output buffer, then a Sync, then the whole buffer is written
    and the answers are read back: one result per command, up to the Sync. After an error, PostgreSQL
    skips the rest up to the Sync (``PIPELINE_ABORTED``) and the transaction is left failed, for the
    session to roll back. psycopg's own state is not touched: the connection is this session's alone
    while the batch runs, it leaves pipeline mode before returning, and psycopg reads the transaction
    status from libpq when it commits or rolls back.
    """

    def __init__(self, driver: psycopg.Connection[Any], info: dict[Any, Any]) -> None:
        self.driver = driver
        self.pgconn = driver.pgconn
        self.info = info
        self.unprepared = bool(info.get(UNPREPARED_KEY))
        prepared = info.get(_PREPARED_KEY)
        if prepared is None:
            # The same set object stays in ``info``: names prepared by this batch are added to it.
            prepared = info[_PREPARED_KEY] = set() if self.unprepared else _prepared_on_server(self.pgconn)
        self.prepared: set[bytes] = prepared
        # One per connection, kept with its prepared names (``info`` is the driver connection's own:
        # the pool clears it when it connects again). It keeps the loaders of the columns and the
        # dumpers of the parameters it has made, as a psycopg cursor does across its queries, where
        # a new one makes them again for every result (about 4–8 µs a result of ten columns,
        # measured; a Web Connector call reads three to five results).
        transformer = info.get(_TRANSFORMER_KEY)
        if transformer is None:
            transformer = info[_TRANSFORMER_KEY] = Transformer.from_context(driver)
        self.transformer: abc.Transformer = transformer
        # What each result answers: None for a BEGIN, a name for a PREPARE, else a statement's index.
        self.commands: list[bytes | int | None] = []

    def begin(self) -> None:
        self.pgconn.send_query_params(b"BEGIN", None)
        self.commands.append(None)

    def commit(self) -> None:
        self.pgconn.send_query_params(b"COMMIT", None)
        self.commands.append(None)

    def dump(self, statement: Statement, params: Mapping[str, Any]) -> list[Buffer | None] | None:
        """The statement's parameters as PostgreSQL's text format."""
        values = statement.driver_values(params)
        if not values:
            return None
        return list(self.transformer.dump_sequence(values, [PyFormat.TEXT] * len(values)))

    def add(self, index: int, statement: Statement, dumped: list[Buffer | None] | None) -> None:
        if self.unprepared:
            # Parsed and planned each time: the price of a pooler that may run each transaction on
            # another server connection (docs/deployment.md, "Connection pooling").
            sql = statement.positional_sql.encode()
            self.pgconn.send_query_params(sql, dumped, statement.param_types or None)
            self.commands.append(index)
            return
        name = statement.prepared_name
        if name not in self.prepared and name not in self.commands:
            self.pgconn.send_prepare(name, statement.positional_sql.encode(), statement.param_types or None)
            self.commands.append(name)
        self.pgconn.send_query_prepared(name, dumped)
        self.commands.append(index)

    def run(self, statements: int) -> list[list[Any]]:
        self.pgconn.pipeline_sync()
        results = _exchange(self.pgconn)
        if len(results) != len(self.commands):
            raise psycopg.OperationalError(
                f"the database answered {len(results)} of {len(self.commands)} commands of a batch"
            )
        rows: list[list[Any]] = [[] for _ in range(statements)]
        failure: psycopg.Error | None = None
        for command, result in zip(self.commands, results, strict=True):
            status = result.status
            if status == pq.ExecStatus.FATAL_ERROR:
                failure = failure or pg_errors.error_from_result(result, encoding=self.driver.info.encoding)
                if isinstance(failure, pg_errors.InvalidSqlStatementName):
                    # Deallocated by something no rollback reported: ask the server next time.
                    forget_prepared(self.info)
            elif status == pq.ExecStatus.PIPELINE_ABORTED:
                continue
            elif isinstance(command, bytes):
                # Prepared statements outlive a rolled-back transaction: the name is good from now on.
                self.prepared.add(command)
            elif isinstance(command, int) and status == pq.ExecStatus.TUPLES_OK:
                rows[command] = self._rows(result)
        if failure is not None:
            setattr(failure, _ROWS_BEFORE, rows)
            raise failure
        return rows

    def _rows(self, result: pq.abc.PGresult) -> list[Any]:
        names = tuple(result.fname(column) or b"?" for column in range(result.nfields))
        self.transformer.set_pgresult(result)
        try:
            return self.transformer.load_rows(0, result.ntuples, _row_maker(names))
        finally:
            # The transformer outlives the batch: it must not keep the result's memory alive while
            # the connection rests in the pool.
            self.transformer.set_pgresult(None, set_loaders=False)


def _exchange(pgconn: pq.abc.PGconn) -> list[pq.abc.PGresult]:
    """Write the buffered commands, then read one result per command up to the Sync."""
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLOUT | select.POLLIN)
    # Read while writing, so a long batch cannot stall with both sides' buffers full.
    while pgconn.flush():
        poller.poll()
        pgconn.consume_input()
    poller.modify(pgconn.socket, select.POLLIN)
    results: list[pq.abc.PGresult] = []
    while True:
        ended = False
        while not pgconn.is_busy():
            result = pgconn.get_result()
            if result is None:
                # Between two commands' results libpq gives one None; two in a row: wait for more.
                if ended:
                    break
                ended = True
                continue
            ended = False
            if result.status == pq.ExecStatus.PIPELINE_SYNC:
                return results
            results.append(result)
        poller.poll()
        pgconn.consume_input()


class Runner(Protocol):
    """What runs a batch other than a session: ``db.transaction.Transaction``."""

    def run(
        self, batch: Sequence[tuple[Statement, Mapping[str, Any]]], *, commit: bool
    ) -> list[list[Any]]: ...


def run(
    session: Session | Runner,
    batch: Sequence[tuple[Statement, Mapping[str, Any]]],
    *,
    commit: bool = False,
) -> list[list[Any]]:
    """Run the statements in order in the session's transaction; one list of rows per statement.

    Rows have attribute access on both databases. On PostgreSQL the whole batch is one round trip;
    an error in any statement is raised here and leaves the transaction to be rolled back
    (``rows_before_failure`` gives what the statements before it returned).

    With ``commit``, the batch is the transaction's last work: on PostgreSQL it ends with COMMIT, in
    the same round trip, and the session's own commit then finds nothing to do; on SQLite the session
    commits as usual when its transaction ends. On both, the session refuses any statement after it
    (``TransactionEnded``), which on PostgreSQL would run outside the committed transaction.

    ``session`` may be a ``db.transaction.Transaction`` (the Web Connector's hot paths, a ``Runner``),
    which runs the batch on its pool connection without an SQLAlchemy session.
    """
    if not isinstance(session, Session):
        return session.run(batch, commit=commit)
    return run_on_session(session, batch, commit=commit)


def run_on_session(
    session: Session, batch: Sequence[tuple[Statement, Mapping[str, Any]]], *, commit: bool
) -> list[list[Any]]:
    """``run`` with an SQLAlchemy session."""
    refuse_if_ended(session)
    check(batch)
    # Raw statements bypass the ORM's autoflush: write pending ORM changes first, as it would.
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        rows = run_pipelined(connection.connection, batch, commit=commit)
    else:
        rows = []
        for statement, params in batch:
            result = session.execute(statement.clause, dict(params))
            rows.append(list(result.all()) if returns_rows(result) else [])
    if commit:
        session.info[_ENDED_KEY] = session.get_transaction()
    return rows


def check(batch: Sequence[tuple[Statement, Mapping[str, Any]]]) -> None:
    """Refuse a batch with a timestamp given for a parameter not declared as one (``Statement.check``)."""
    for statement, params in batch:
        statement.check(params)


def run_pipelined(
    fairy: PoolProxiedConnection, batch: Sequence[tuple[Statement, Mapping[str, Any]]], *, commit: bool
) -> list[list[Any]]:
    """The batch on PostgreSQL: one round trip on a pool connection's libpq handle (``_Pipeline``)."""
    driver = fairy.driver_connection
    assert driver is not None
    try:
        pipeline = _Pipeline(driver, fairy.info)
        # Parameters are dumped before anything is queued: a value that cannot be sent leaves
        # nothing half-written in libpq's buffer, and the transaction as it was.
        dumped = [pipeline.dump(statement, params) for statement, params in batch]
        opens = _takes_over_begin(driver)
        pipeline.pgconn.enter_pipeline_mode()
        try:
            if opens:
                pipeline.begin()
            for index, (statement, _) in enumerate(batch):
                pipeline.add(index, statement, dumped[index])
            if commit:
                pipeline.commit()
            return pipeline.run(len(batch))
        finally:
            _leave_pipeline_mode(pipeline.pgconn)
    except psycopg.Error as exc:
        # The same exception classes as through SQLAlchemy (IntegrityError, OperationalError, …).
        raise DBAPIError.instance(
            "; ".join(statement.sql for statement, _ in batch), None, exc, psycopg.Error
        ) from exc


def _leave_pipeline_mode(pgconn: pq.abc.PGconn) -> None:
    if pgconn.pipeline_status == pq.PipelineStatus.OFF:
        return
    try:
        pgconn.exit_pipeline_mode()
    except psycopg.Error:
        # Results still pending: the batch stopped half-way (a lost connection, an interrupt), and
        # that error is on its way up. The connection is unusable; closing it makes the next use
        # fail and the pool discard it, instead of another session inheriting half a pipeline.
        pgconn.finish()


def run_one(session: Session | Runner, statement: Statement, params: Mapping[str, Any]) -> list[Any]:
    """One statement through the same path (on PostgreSQL: psycopg directly, without SQLAlchemy's work)."""
    return run(session, [(statement, params)])[0]
