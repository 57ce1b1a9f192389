"""A transaction on a pool connection, with an SQLAlchemy session only when something asks for one.

The Web Connector's two hot callbacks (sendRequestXML and receiveResponseXML), the other calls of
every session (clientVersion, authenticate, closeConnection) and the admin API's common send
(``api/sends.py``, its direct path) are a few batches (``db/batch.py``) in one transaction. Through
``Database.transaction()`` each pays for an SQLAlchemy session, its connection and their events:
about twice what the batches' transaction costs on a pool connection of its own
(``bench/transaction_cost.py``, docs/performance.md). ``begin`` gives them a ``Transaction``
instead:

- on PostgreSQL, a connection checked out of the engine's pool. Batches run on it directly, their
  first one opening the transaction (its BEGIN in the batch, as through a session), and a batch run
  with ``commit=True`` ending it. ``Transaction.session`` makes an ORM session joined to the same
  connection, and so to the same transaction, the first time a rarer branch needs the ORM (a wrong
  token, a step's bindings, a retrieval page, a refused session, a tenant's own API key); from then
  on batches run through that session, so its pending changes are flushed before each, as they
  always are.
- on SQLite, a session from ``Database.transaction()``, as before: a library in this process has no
  round trips to save, and its BEGIN IMMEDIATE is what keeps its queue fair (``db/engine.py``).

Either way the transaction commits when the block ends and rolls back on any error, and the
connection goes back to the pool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import PoolProxiedConnection

from db import batch as batches
from db.batch import Statement, TransactionEnded
from db.engine import Database

# Called with a committed transaction's ``info`` (what ``db/observed.py`` and ``db/outcome_log.py``
# noted in it), as a session's ``after_commit`` listeners are called with the session.
_AFTER_COMMIT: list[Callable[[dict[Any, Any]], None]] = []


def after_commit(hook: Callable[[dict[Any, Any]], None]) -> None:
    """Call ``hook`` with the ``info`` of every transaction of ``begin`` that committed on PostgreSQL
    (on SQLite ``info`` is the session's, and its own ``after_commit`` event applies)."""
    if hook not in _AFTER_COMMIT:
        _AFTER_COMMIT.append(hook)


class Transaction:
    """One transaction; pass it where a function takes ``Work`` (``db.batch.run`` runs on either),
    and ``session`` where one needs the ORM."""

    def __init__(
        self,
        database: Database,
        *,
        fairy: PoolProxiedConnection | None = None,
        session: Session | None = None,
    ) -> None:
        self.database = database
        self._fairy = fairy
        self._session = session
        self._connection: Connection | None = None
        self._ended = False
        # Whether a batch ran on the pool connection itself: the transaction is then open there.
        self._began = False
        self._info: dict[Any, Any] = {}

    @property
    def info(self) -> dict[Any, Any]:
        """What is noted for after the commit, like ``Session.info`` (on SQLite, the session's)."""
        if self._fairy is None and self._session is not None:
            return self._session.info
        return self._info

    @property
    def session(self) -> Session:
        """An ORM session in this transaction, made on first use (on PostgreSQL, joined to the
        transaction's connection: what it reads and writes commits or rolls back with the batches)."""
        if self._session is None:
            assert self._fairy is not None
            self._refuse_if_ended()
            # A Connection around the connection already checked out: the session begins its
            # transaction object on it (psycopg sends no BEGIN when a batch already opened one).
            self._connection = Connection(self.database.engine, connection=self._fairy)
            self._session = self.database.sessions(bind=self._connection)
        return self._session

    @property
    def session_if_open(self) -> Session | None:
        """The ORM session if something made one, without making it."""
        return self._session

    def run(self, batch: Sequence[tuple[Statement, Mapping[str, Any]]], *, commit: bool) -> list[list[Any]]:
        """``db.batch.run`` on this transaction."""
        if self._session is not None:
            rows = batches.run_on_session(self._session, batch, commit=commit)
            self._ended = self._ended or commit
            return rows
        self._refuse_if_ended()
        assert self._fairy is not None
        batches.check(batch)
        self._began = True
        rows = batches.run_pipelined(self._fairy, batch, commit=commit)
        self._ended = commit
        return rows

    def _refuse_if_ended(self) -> None:
        """Nothing runs, and no session is made, after the batch that ended the transaction: it would
        run outside it (on a session, ``db.batch.refuse_if_ended`` says the same)."""
        if self._ended:
            raise TransactionEnded(
                "the transaction was ended by its last batch (db.batch.run with commit=True); "
                "nothing may run on it, nor a session be made for it, after that"
            )

    # --- the end of the block (``begin``) ---------------------------------------------------------

    def _commit(self) -> None:
        driver = self._driver()
        if driver is not None and driver.pgconn.transaction_status == TransactionStatus.INERROR:
            # A statement failed and the block went on past its error: PostgreSQL would answer the
            # COMMIT by rolling back, without an error, and the block would end as if committed.
            refused = pg_errors.InFailedSqlTransaction(
                "a statement of this transaction failed earlier, so nothing of it can be committed"
            )
            raise DBAPIError.instance("COMMIT", None, refused, psycopg.Error)
        if self._session is not None:
            # Its transaction object ends (psycopg sends no COMMIT when a batch already did).
            self._session.commit()
            driver = self._driver()
        if driver is None:
            if self._began and not self._ended:
                # A batch met the loss and the block went on past its error: what the batches wrote
                # was rolled back by the server with the connection, so the block must not end as if
                # committed. (After the batch that committed, a loss changes nothing.)
                lost = psycopg.OperationalError(
                    "the connection to the database was lost before its COMMIT: "
                    "nothing of this transaction was committed"
                )
                raise DBAPIError.instance("COMMIT", None, lost, psycopg.Error)
            return
        if driver.pgconn.transaction_status != TransactionStatus.IDLE:
            try:
                driver.commit()
            except psycopg.Error as exc:
                raise DBAPIError.instance("COMMIT", None, exc, psycopg.Error) from exc

    def _rollback(self) -> None:
        """Undo the ORM session's part. The connection's transaction is rolled back by the pool when
        the connection goes back to it (its reset, which also forgets the prepared statements psycopg
        may deallocate: ``db/engine.py``). A connection lost meanwhile is discarded here instead:
        the pool's reset would fail on it and log that failure's traceback at ERROR."""
        if self._session is None:
            if self._driver() is None:
                self._discard()
            return
        try:
            self._session.rollback()
        except Exception:
            # Called while an error is on its way up: the connection is discarded instead of
            # replacing that error.
            self._discard()

    def _discard(self) -> None:
        # The pool must not hand this connection out again.
        if self._connection is not None:
            self._connection.invalidate()
        elif self._fairy is not None and self._fairy.is_valid:
            self._fairy.invalidate()
            self._fairy = None

    def _close(self) -> None:
        if self._session is not None:
            self._session.close()
        if self._connection is not None:
            self._connection.close()  # returns the pool connection it was made around
        elif self._fairy is not None:
            self._fairy.close()

    def _driver(self) -> psycopg.Connection[Any] | None:
        if self._fairy is None or not self._fairy.is_valid:
            return None
        driver = self._fairy.driver_connection
        if not isinstance(driver, psycopg.Connection) or driver.closed or driver.broken:
            return None
        return driver


@contextmanager
def begin(database: Database) -> Iterator[Transaction]:
    """A transaction committed when the block ends and rolled back on any error."""
    if not database.is_postgresql:
        with database.transaction() as session:
            yield Transaction(database, session=session)
        return
    try:
        fairy = database.engine.raw_connection()
    except psycopg.Error as exc:
        # The same exception classes as a session's first statement would raise.
        raise DBAPIError.instance(None, None, exc, psycopg.Error) from exc
    transaction = Transaction(database, fairy=fairy)
    try:
        yield transaction
        transaction._commit()
    except BaseException:
        transaction._rollback()
        raise
    finally:
        transaction._close()
    for hook in _AFTER_COMMIT:
        hook(transaction.info)


# What the queue's functions take: a session (the admin API, the console, the rare paths) or a
# transaction of ``begin`` (the Web Connector's hot paths).
Work = Session | Transaction


def session_of(work: Work) -> Session:
    """The ORM session of either: a session itself, or a transaction's (made on first use)."""
    return work if isinstance(work, Session) else work.session


def is_postgresql(work: Work) -> bool:
    if isinstance(work, Transaction):
        return work.database.is_postgresql
    return work.get_bind().dialect.name == "postgresql"
