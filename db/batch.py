"""Statements sent to the database together, each one still a statement of its own.

A Web Connector call is a handful of short statements, and on PostgreSQL most of their cost is the
round trips between them (and the driver and SQLAlchemy work around each). ``run`` sends a batch in
one round trip with psycopg's pipeline mode: the server still runs the statements one after another,
in the caller's transaction, each seeing what the earlier ones wrote and each taking its own snapshot
(READ COMMITTED), exactly as if they had been sent one by one; only the waiting in between is gone.
So a later statement cannot use an earlier one's result as a parameter: the queue's batches find the
session by its ticket with a subquery instead (see ``db/queue.py``).

On SQLite, a library in this process with no round trips to save, the same statements run one by one
through the session, with the same SQL text.

Statements are written once, with ``:name`` parameters. The SQLAlchemy form types its timestamps
and JSON like the ORM columns (``UTCDateTime``, ``JSON``); the PostgreSQL form gives psycopg aware
UTC datetimes and ``Json`` values, which is what those types would send.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import psycopg
from psycopg.types.json import Json
from sqlalchemy import JSON, TextClause, bindparam, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from db.models import UTCDateTime

_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_TIMESTAMP = UTCDateTime()


class Statement:
    """One SQL statement, ready for SQLAlchemy (``clause``) and for psycopg directly (``driver_sql``)."""

    __slots__ = ("clause", "driver_sql", "json_params", "sql", "timestamps")

    def __init__(
        self,
        sql: str,
        *,
        timestamps: Iterable[str] = (),
        json_params: Iterable[str] = (),
        json_columns: Iterable[str] = (),
    ) -> None:
        self.sql = sql
        self.timestamps = frozenset(timestamps)
        self.json_params = frozenset(json_params)
        binds = [bindparam(name, type_=_TIMESTAMP) for name in sorted(self.timestamps)]
        binds += [bindparam(name, type_=JSON()) for name in sorted(self.json_params)]
        clause: Any = text(sql)
        if binds:
            clause = clause.bindparams(*binds)
        columns = sorted(json_columns)
        if columns:
            clause = clause.columns(**dict.fromkeys(columns, JSON))
        self.clause: TextClause = clause
        # psycopg's placeholders are %(name)s, so a literal % must be doubled first.
        self.driver_sql = _PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))

    def check(self, params: Mapping[str, Any]) -> None:
        """Refuse a timestamp given for a parameter not declared as one: SQLite would store or compare
        it in another text format than the columns' (its driver's own default), silently."""
        for name, value in params.items():
            if isinstance(value, dt.datetime) and name not in self.timestamps and f":{name}" in self.sql:
                raise TypeError(f"parameter {name!r} is a timestamp; declare it in timestamps=")

    def driver_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        adapted = dict(params)
        for name in self.timestamps:
            value = adapted.get(name)
            if isinstance(value, dt.datetime) and value.tzinfo is None:
                adapted[name] = value.replace(tzinfo=dt.UTC)
        for name in self.json_params:
            if name in adapted:
                adapted[name] = Json(adapted[name])
        return adapted


@functools.lru_cache(maxsize=256)
def _row_class(names: tuple[bytes, ...]) -> type[tuple[Any, ...]]:
    return namedtuple("Row", [name.decode() for name in names], rename=True)  # type: ignore[return-value]


def _named_row(cursor: Any) -> Callable[[Sequence[Any]], Any]:
    """Rows with attribute access, like psycopg's ``namedtuple_row``, but reading the column names
    straight from the result: ``cursor.description`` builds an object per column on every execute,
    which cost more than the rest of the row handling of a Web Connector call."""
    result = cursor.pgresult
    if result is None or not result.nfields:
        return tuple
    return _row_class(tuple(result.fname(index) for index in range(result.nfields)))._make


def _rows(cursor: Any) -> list[Any]:
    # No columns: a statement without RETURNING, which has no rows to fetch.
    return cursor.fetchall() if cursor.pgresult is not None and cursor.pgresult.nfields else []


def _takes_over_begin(driver: psycopg.Connection[Any]) -> bool:
    """Whether this batch opens the transaction, sending its BEGIN in the batch's own round trip.

    psycopg opens a transaction with a BEGIN of its own before the first statement and waits for its
    answer, even in pipeline mode: a round trip that carries nothing, on every Web Connector call.
    When a batch is a transaction's first statement, the driver is switched to autocommit (it sends
    no BEGIN of its own then) and the batch starts with BEGIN instead: the same transaction, one
    round trip sooner. Statements after it, the batch's or SQLAlchemy's, run inside that transaction,
    and the session's commit or rollback ends it as usual (psycopg sends COMMIT or ROLLBACK whenever
    a transaction is open, autocommit or not). The pool turns autocommit off again when the connection
    comes back to it (``db/engine.py``), so no other transaction ever runs in autocommit.
    """
    if driver.pgconn.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return False
    if not driver.autocommit:
        driver.autocommit = True
    return True


def run(session: Session, batch: Sequence[tuple[Statement, Mapping[str, Any]]]) -> list[list[Any]]:
    """Run the statements in order in the session's transaction; one list of rows per statement.

    Rows have attribute access on both databases. On PostgreSQL the whole batch is one round trip;
    an error in any statement is raised here and leaves the transaction to be rolled back.
    """
    for statement, params in batch:
        statement.check(params)
    # Raw statements bypass the ORM's autoflush: write pending ORM changes first, as it would.
    session.flush()
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        results: list[list[Any]] = []
        for statement, params in batch:
            result = session.execute(statement.clause, dict(params))
            results.append(list(result.all()) if result.returns_rows else [])
        return results
    driver = connection.connection.driver_connection
    assert driver is not None
    prepared = [(statement.driver_sql, statement.driver_params(params)) for statement, params in batch]
    opens = _takes_over_begin(driver)
    try:
        if len(prepared) == 1 and not opens:
            with driver.cursor(row_factory=_named_row) as cursor:
                cursor.execute(*prepared[0])
                return [_rows(cursor)]
        cursors = []
        with driver.pipeline():
            if opens:
                driver.execute(b"BEGIN")
            for sql, driver_params in prepared:
                cursor = driver.cursor(row_factory=_named_row)
                cursor.execute(sql, driver_params)
                cursors.append(cursor)
    except psycopg.Error as exc:
        # The same exception classes as through SQLAlchemy (IntegrityError, OperationalError, …).
        raise DBAPIError.instance(
            "; ".join(statement.sql for statement, _ in batch), None, exc, psycopg.Error
        ) from exc
    # Leaving the pipeline block waited for every result, so fetching costs no more round trips.
    rows = [_rows(cursor) for cursor in cursors]
    for cursor in cursors:
        cursor.close()
    return rows


def run_one(session: Session, statement: Statement, params: Mapping[str, Any]) -> list[Any]:
    """One statement through the same path (on PostgreSQL: psycopg directly, without SQLAlchemy's work)."""
    return run(session, [(statement, params)])[0]
