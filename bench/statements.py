"""How many statements and round trips to PostgreSQL a Web Connector call and an accepted send take.

Counted in-process on the client side, per kind of call: every statement of a batch (``db/batch.py``,
with its BEGIN when the batch opens the transaction, and a PREPARE the first time a connection sees
a statement), every statement SQLAlchemy sends (with the BEGIN psycopg sends before a transaction's
first one), and every COMMIT and ROLLBACK; a round trip is one wait for the server's answer. The
Web Connector sessions are those of ``bench/soap_cost.py`` (raw qbXML requests, one session per
tenant); the sends are the mix of ``bench/send_cost.py`` through the real FastAPI application.
PREPAREs are counted apart: after warming up there are none.

The script uses only what every version of the code since the batches has (``db.batch._exchange``,
``_Pipeline``), so the same file can be copied into an older checkout and run there to compare.

    .venv/bin/python bench/statements.py [--tenants 10] [--jobs 200]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from psycopg import pq
from sqlalchemy import event

from bench import soap_cost
from db import batch
from db import tenants as tenant_repo
from db.engine import Database
from db.migrate import upgrade
from tests.support.servers import create_postgres_database, drop_postgres_database


class Counter:
    """Statements and round trips, bucketed by what is being measured (``self.bucket``)."""

    def __init__(self) -> None:
        self.bucket = "setup"
        self.statements: collections.Counter[str] = collections.Counter()
        self.round_trips: collections.Counter[str] = collections.Counter()
        self.prepares: collections.Counter[str] = collections.Counter()
        self.calls: collections.Counter[str] = collections.Counter()
        self.sql: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)

    def statement(self, sql: str, *, trip: bool) -> None:
        self.statements[self.bucket] += 1
        self.sql[self.bucket][" ".join(sql.split())[:90]] += 1
        if trip:
            self.round_trips[self.bucket] += 1

    def install_batches(self) -> None:
        counter = self
        exchange, add, begin = batch._exchange, batch._Pipeline.add, batch._Pipeline.begin

        def counted_exchange(pgconn: Any) -> Any:
            counter.round_trips[counter.bucket] += 1
            return exchange(pgconn)

        def counted_add(self: Any, index: int, statement: Any, dumped: Any) -> None:
            if statement.prepared_name not in self.prepared and statement.prepared_name not in self.commands:
                counter.prepares[counter.bucket] += 1
            counter.statement(statement.sql, trip=False)
            add(self, index, statement, dumped)

        def counted_begin(self: Any) -> None:
            counter.statement("BEGIN (in a batch)", trip=False)
            begin(self)

        batch._exchange = counted_exchange  # type: ignore[assignment]
        batch._Pipeline.add = counted_add  # type: ignore[method-assign]
        batch._Pipeline.begin = counted_begin  # type: ignore[method-assign]

    def install(self, database: Database) -> None:
        counter = self

        @event.listens_for(database.engine, "before_cursor_execute")
        def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            driver = conn.connection.driver_connection
            if driver.pgconn.transaction_status == pq.TransactionStatus.IDLE and not driver.autocommit:
                counter.statement("BEGIN (psycopg)", trip=True)
            counter.statement(statement, trip=True)

        # COMMIT and ROLLBACK counted where psycopg sends them, whoever asks (SQLAlchemy's session,
        # or ``db.transaction`` on its pool connection directly), and only when they are sent: psycopg
        # sends nothing when the transaction is already over (a batch's own COMMIT ended it).
        for name, text in (("commit", "COMMIT"), ("rollback", "ROLLBACK")):
            original = getattr(psycopg.Connection, name)

            def counted(driver: Any, *, _original: Any = original, _text: str = text) -> Any:
                if driver.pgconn.transaction_status != pq.TransactionStatus.IDLE:
                    counter.statement(_text, trip=True)
                return _original(driver)

            setattr(psycopg.Connection, name, counted)

    def report(self, verbose: bool) -> None:
        for bucket, calls in self.calls.items():
            print(
                f"{bucket}: {self.statements[bucket] / calls:.2f} statements, "
                f"{self.round_trips[bucket] / calls:.2f} round trips per call "
                f"({calls} calls, {self.prepares[bucket]} PREPAREs)"
            )
            if verbose:
                for sql, count in self.sql[bucket].most_common():
                    print(f"    {count / calls:6.2f}  {sql}")


METHOD = re.compile(r"^(\w+)")


def soap_calls(counter: Counter, database: Database, tenants: int) -> None:
    credentials = []
    with database.transaction() as session:
        for index in range(tenants + 2):
            tenant = tenant_repo.create_tenant(session, f"Count {index}")
            token = tenant_repo.issue_token(session, tenant)
            soap_cost.enqueue_queries(session, tenant.id, soap_cost.REQUESTS)
            credentials.append((tenant.qbwc_username, token))
    caller = soap_cost.Caller(database)
    plain_call = caller.call
    for username, token in credentials[:2]:
        caller.session(username, token)

    def counted_call(method: str, **params: Any) -> str:
        counter.bucket = f"SOAP {method}"
        counter.calls[counter.bucket] += 1
        try:
            return plain_call(method, **params)
        finally:
            counter.bucket = "setup"

    caller.call = counted_call  # type: ignore[method-assign]
    for username, token in credentials[2:]:
        caller.session(username, token)


async def sends(counter: Counter, url: str, jobs: int) -> None:
    from bench.send_cost import ADMIN_KEY, TENANTS, Caller, create_tenants
    from bench.send_flows import payloads

    os.environ.update(
        QBBRIDGE_DATABASE_URL=url, QBBRIDGE_ADMIN_API_KEY=ADMIN_KEY, QBBRIDGE_PUSH_INTERVAL_SECONDS="0"
    )
    from qbbridge.app import create_app
    from qbbridge.config import load_settings

    database = Database(url)
    counter.install(database)
    try:
        caller = Caller(create_app(load_settings(), database))
        tenants = await create_tenants(caller, "Count")
        for index in range(2):
            for tenant in tenants:
                path, payload = payloads(index)
                if "code" in payload:
                    payload = {**payload, "code": f"WARM-{index}"}
                status, body = await caller.call("POST", f"/api/v1/tenants/{tenant}{path}", payload)
                assert status == 202, body
        for index in range(max(1, jobs // TENANTS)):
            for tenant in tenants:
                path, payload = payloads(index)
                counter.bucket = f"send {path.rsplit('/', 1)[-1]}"
                counter.calls[counter.bucket] += 1
                counter.calls["send (all)"] += 1
                before = counter.statements[counter.bucket], counter.round_trips[counter.bucket]
                status, body = await caller.call("POST", f"/api/v1/tenants/{tenant}{path}", payload)
                assert status == 202, body
                counter.statements["send (all)"] += counter.statements[counter.bucket] - before[0]
                counter.round_trips["send (all)"] += counter.round_trips[counter.bucket] - before[1]
                counter.bucket = "setup"
    finally:
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenants", type=int, default=10, help="Web Connector sessions counted")
    parser.add_argument("--jobs", type=int, default=200, help="sends counted")
    parser.add_argument("--verbose", action="store_true", help="list the statements of each kind of call")
    args = parser.parse_args()
    counter = Counter()
    counter.install_batches()
    url = create_postgres_database()
    database = Database(url)
    try:
        upgrade(database.engine)
        counter.install(database)
        soap_calls(counter, database, args.tenants)
    finally:
        database.dispose()
        drop_postgres_database(url)
    url = create_postgres_database()
    try:
        migrating = Database(url)
        upgrade(migrating.engine)
        migrating.dispose()
        asyncio.run(sends(counter, url, args.jobs))
    finally:
        drop_postgres_database(url)
    counter.report(args.verbose)


if __name__ == "__main__":
    main()
