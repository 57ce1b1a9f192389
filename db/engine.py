"""Engines and sessions. One engine per process; SQLite gets the pragmas it needs to be a fair queue."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from db.batch import forget_prepared


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
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
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        @event.listens_for(engine, "connect")
        def _sqlite_no_autobegin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # No pre-ping: it costs a round trip per checkout (measured: +1 ms per call on loopback), and a
    # connection dropped by a database restart is discarded by the pool on its first error anyway.
    kwargs.setdefault("pool_recycle", 1800)
    engine = create_engine(url, **kwargs)

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


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


class Database:
    """The engine and a session factory, passed explicitly to whatever needs them."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_postgresql(self) -> bool:
        return is_postgresql(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
