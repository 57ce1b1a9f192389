"""Engines and sessions. One engine per process; SQLite gets the pragmas it needs to be a fair queue.

On PostgreSQL, a pooled connection the server has closed (a restart, an administrator ending it) is
noticed when it is taken from the pool, without a round trip, and replaced (``discard_if_closed``).
"""

from __future__ import annotations

import re
import select
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.pq import ConnStatus, TransactionStatus
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from db import json_text
from db.batch import UNPREPARED_KEY, forget_prepared, refuse_if_ended

# How long one attempt to reach PostgreSQL may take before it counts as failed (libpq's
# ``connect_timeout``, unless the URL sets its own): without it, a server that does not answer at all
# holds a call for the operating system's TCP timeout, minutes.
CONNECT_TIMEOUT_SECONDS = 5
READ_ONLY = "qbbridge_read_only"


def make_engine(url: str, *, prepared_statements: bool = True, **kwargs: Any) -> Engine:
    """``prepared_statements=False`` (PostgreSQL): no statement is prepared on the server, neither
    qbbridge's batches (``db/batch.py``) nor psycopg's own (it prepares a statement run five times),
    for a pooler that may give each transaction another server connection."""
    parsed = make_url(url)
    # Every JSON column and parameter is written the one way (db/json_text.py), on both databases.
    kwargs.setdefault("json_serializer", json_text.dumps)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            # WAL lets readers run beside the single writer; foreign keys are off by default in SQLite.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(conn: Any) -> None:
            # Take the write lock at BEGIN so a read-then-write transaction (the queue's claim) can
            # never be interleaved with another writer; this is SQLite's equivalent of a row lock.
            # A connection that only reads (``Database.reading``) takes no lock and waits for no writer.
            read_only = conn.get_execution_options().get(READ_ONLY, False)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        @event.listens_for(engine, "connect")
        def _sqlite_no_autobegin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # No pre-ping: it costs a round trip per checkout (measured: +1 ms per call on loopback). A
    # connection the server closed is found by ``discard_if_closed`` instead, without one.
    kwargs.setdefault("pool_recycle", 1800)
    connect_args = dict(kwargs.pop("connect_args", {}))
    if "connect_timeout" not in parsed.query:
        connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    if not prepared_statements:
        connect_args["prepare_threshold"] = None
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    if not prepared_statements:

        @event.listens_for(engine, "connect")
        def _unprepared(_dbapi_connection: Any, record: Any) -> None:
            record.info[UNPREPARED_KEY] = True

    event.listen(engine, "checkout", discard_if_closed)

    def _forget_prepared_of(connection: Any) -> None:
        # An invalidated connection (lost mid-transaction) has no DBAPI connection to ask for, and
        # the pool discards it, prepared statements and all; asking would raise in place of the
        # error that invalidated it.
        if not connection.invalidated:
            forget_prepared(connection.connection.info)

    @event.listens_for(engine, "rollback")
    def _forget_prepared_on_rollback(connection: Any) -> None:
        _forget_prepared_of(connection)

    @event.listens_for(engine, "rollback_savepoint")
    def _forget_prepared_on_savepoint_rollback(connection: Any, _name: Any, _context: Any) -> None:
        _forget_prepared_of(connection)

    @event.listens_for(engine, "reset")
    def _forget_prepared_on_reset(dbapi_connection: Any, record: Any, _state: Any) -> None:
        # The pool rolls back a connection that comes back inside a transaction.
        if dbapi_connection.pgconn.transaction_status != TransactionStatus.IDLE:
            forget_prepared(record.info)

    @event.listens_for(engine, "checkin")
    def _autocommit_off(dbapi_connection: Any, _record: Any) -> None:
        # A batch that opened its transaction switched the driver to autocommit (db/batch.py); the
        # transaction is over by now (committed or rolled back), so the next one starts as usual.
        if dbapi_connection is not None and not dbapi_connection.closed and dbapi_connection.autocommit:
            dbapi_connection.autocommit = False

    return engine


def discard_if_closed(
    dbapi_connection: psycopg.Connection[Any], _record: Any = None, _proxy: Any = None
) -> None:
    """Refuse a pooled connection the server has closed; the pool then opens a new one in its place.

    A connection resting in the pool has nothing to read: the server speaks only when asked. When a
    server stops or restarts, or an administrator ends the connection, it sends an error and closes
    the socket, which then polls readable. So a readable socket (or a closed or broken connection)
    at checkout means the connection is gone, or at least not clean: it is replaced. The check is a
    ``poll`` system call with no wait, where a pre-ping would cost a round trip to the server on every
    checkout (docs/performance.md). A connection that dies after this check, in the middle of a call,
    fails that call (``is_unavailable``), and the pool replaces it after the error.
    """
    pgconn = dbapi_connection.pgconn
    if dbapi_connection.closed or dbapi_connection.broken or pgconn.status != ConnStatus.OK:
        raise DisconnectionError("the connection was closed")
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLIN | select.POLLPRI)
    if poller.poll(0):
        raise DisconnectionError("the server closed the connection (or sent something unasked)")


def is_unavailable(exc: BaseException) -> bool:
    """Whether an error means the database could not be reached or used for a moment (it stopped,
    restarted, lost the connection, is locked or overloaded) rather than that the statement was wrong:
    the same call may succeed when tried again later."""
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeoutError)):
        return True
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(
            exc.orig, (psycopg.OperationalError, psycopg.InterfaceError, sqlite3.OperationalError)
        )
    return isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError))


def describe_failure(exc: BaseException) -> str:
    """A one-line reason for a database error, without the statement or its parameters."""
    original = getattr(exc, "orig", None) or exc
    message = " ".join(str(original).split())
    # libpq: 'connection failed: connection to server at "h", port 5432 failed: FATAL:  role …'
    message = message.rsplit(" failed: ", 1)[-1]
    message = re.sub(r"^(FATAL|ERROR):\s*", "", message)
    message = message.split(" Is the server running", 1)[0]
    return message.rstrip(". ") or type(original).__name__


# A connection refused for these reasons will be refused again, however long one waits.
_PERMANENT_FAILURES = (
    "password authentication failed",
    "does not exist",
    "no pg_hba.conf entry",
    "unable to open database file",
    "not a database",
    "permission denied",
)


class DatabaseUnreachable(Exception):
    def __init__(self, where: str, reason: str, attempts: int, waited_seconds: float) -> None:
        self.where = where  # "PostgreSQL at db.example.com:5432" or "the SQLite file var/qbbridge.db"
        self.reason = reason
        self.attempts = attempts
        self.waited_seconds = waited_seconds
        super().__init__(str(self))

    def __str__(self) -> str:
        tried = f"; tried {self.attempts} times over {self.waited_seconds:.0f} s" if self.attempts > 1 else ""
        return f"cannot connect to {self.where} ({self.reason}{tried})"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database)


def where(url: str) -> str:
    """Where a database URL points, for an operator: host and port, or the SQLite file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"the SQLite file {parsed.database}"
    return f"PostgreSQL at {parsed.host or 'the local socket'}:{parsed.port or 5432}"


def wait_until_reachable(url: str, *, timeout: float = 10.0, pause: float = 1.0) -> None:
    """Connect to the database and run ``SELECT 1``, retrying for up to ``timeout`` seconds while the
    failure may pass (a server starting up); raise ``DatabaseUnreachable`` saying where and why."""
    started = time.monotonic()
    attempts = 0
    while True:
        attempts += 1
        try:
            engine = make_engine(url)
        except OSError as exc:  # the SQLite file's directory cannot be created
            raise DatabaseUnreachable(where(url), exc.strerror or str(exc), attempts, 0) from None
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return
        except DBAPIError as exc:
            reason = describe_failure(exc)
            waited = time.monotonic() - started
            permanent = any(marker in reason.lower() for marker in _PERMANENT_FAILURES)
            if permanent or waited >= timeout:
                raise DatabaseUnreachable(where(url), reason, attempts, waited) from None
        finally:
            engine.dispose()
        time.sleep(min(pause, timeout - waited))


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _refuse_orm_execute(state: Any) -> None:
    refuse_if_ended(state.session)


def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    refuse_if_ended(session)


class Database:
    """The engine and a session factory, passed explicitly to whatever needs them."""

    def __init__(self, url: str, *, prepared_statements: bool = True, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, prepared_statements=prepared_statements, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # A batch may end the transaction itself (db/batch.py, ``run(..., commit=True)``): an ORM
        # statement or flush after it is refused, as a batch is, instead of running outside it.
        event.listen(self.sessions, "do_orm_execute", _refuse_orm_execute)
        event.listen(self.sessions, "before_flush", _refuse_flush)

    @property
    def is_postgresql(self) -> bool:
        return is_postgresql(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for a few reads that take no lock (health checks)."""
        with self.engine.connect().execution_options(**{READ_ONLY: True}) as connection:
            yield connection

    def dispose(self) -> None:
        self.engine.dispose()
