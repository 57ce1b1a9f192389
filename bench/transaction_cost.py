"""The floor under every database call of the service: one transaction of one trivial statement.

Several ways, interleaved in blocks in one process on one PostgreSQL database, CPU of this process
only: ``Database.transaction()`` (SQLAlchemy's session, the pool) with ``db.batch.run``, the same
with the batch ending the transaction (``commit=True``), ``db.transaction.begin()`` (what the hot
calls use: a pool connection, a session only if asked for) likewise, then the same batch with less
and less around it: an SQLAlchemy connection without a session; a connection
from the pool with psycopg's commit; the same with the COMMIT sent in the batch; psycopg alone with
BEGIN and COMMIT in the batch; and a pool checkout and checkin with nothing between. What a Web
Connector call or a send costs above the last ones is what SQLAlchemy's session and the pool cost it
once per transaction.

SQLAlchemy's pool not resetting a connection it gets back (``pool_reset_on_return=None``) was measured
here too, and left out: each way alone in a process of its own, 5,000 transactions, it costs what the
pool's reset does (173–176 µs against 177–179), but interleaved with the others it came out 60 µs
cheaper, run after run: its engine's one connection was used by it alone, the others shared theirs.
What interleaving measures well is ways that share one engine, as these do.

    .venv/bin/python bench/transaction_cost.py [--transactions 3000]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import machine
from db import batch, transaction
from db.batch import Statement
from db.engine import Database
from tests.support.servers import create_postgres_database, drop_postgres_database

TRIVIAL = Statement("SELECT 1 AS one")
BLOCK = 100


def _trivial_batch(driver: Any, info: dict[Any, Any], *, commit: bool) -> None:
    """The trivial statement as ``db.batch.run`` sends it on PostgreSQL (its BEGIN in the batch),
    on a driver connection taken some other way; with ``commit``, the batch ends with COMMIT."""
    pipeline = batch._Pipeline(driver, info)
    opens = batch._takes_over_begin(driver)
    driver.pgconn.enter_pipeline_mode()
    try:
        if opens:
            pipeline.begin()
        pipeline.add(0, TRIVIAL, None)
        if commit:
            driver.pgconn.send_query_params(b"COMMIT", None)
            pipeline.commands.append(None)
        pipeline.run(1)
    finally:
        batch._leave_pipeline_mode(driver.pgconn)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transactions", type=int, default=3000, help="measured of each kind")
    args = parser.parse_args()
    url = create_postgres_database()
    as_built = Database(url)
    raw = as_built.engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        driver.autocommit = True

        def through(database: Database, *, commit: bool = False) -> Callable[[], None]:
            def once() -> None:
                with database.transaction() as session:
                    batch.run(session, [(TRIVIAL, {})], commit=commit)

            return once

        def through_begin() -> None:
            with transaction.begin(as_built) as work:
                batch.run(work, [(TRIVIAL, {})], commit=True)

        def psycopg_alone() -> None:
            driver.execute("SELECT 1")

        def connection_without_session() -> None:
            with as_built.engine.connect() as connection, connection.begin():
                fairy = connection.connection
                assert fairy.driver_connection is not None
                _trivial_batch(fairy.driver_connection, fairy.info, commit=False)

        def pooled(commit_in_batch: bool) -> Callable[[], None]:
            def once() -> None:
                fairy = as_built.engine.raw_connection()
                try:
                    assert fairy.driver_connection is not None
                    _trivial_batch(fairy.driver_connection, fairy.info, commit=commit_in_batch)
                    if not commit_in_batch:
                        fairy.driver_connection.commit()
                finally:
                    fairy.close()

            return once

        kept_info: dict[object, object] = {}

        def psycopg_batch() -> None:
            _trivial_batch(driver, kept_info, commit=True)

        def checkout_only() -> None:
            as_built.engine.raw_connection().close()

        kinds = {
            "Database.transaction() + batch.run": through(as_built),
            "the same, the batch ending with COMMIT (commit=True)": through(as_built, commit=True),
            "db.transaction.begin() (the hot calls), the batch ending with COMMIT": through_begin,
            "an SQLAlchemy connection without a session, the same batch": connection_without_session,
            "a pool connection, the batch, psycopg's commit": pooled(False),
            "a pool connection, the batch ending with COMMIT": pooled(True),
            "psycopg alone, BEGIN, the statement and COMMIT in one batch": psycopg_batch,
            "psycopg alone, autocommit": psycopg_alone,
            "a pool checkout and checkin, nothing between": checkout_only,
        }
        spent = dict.fromkeys(kinds, 0.0)
        for run in kinds.values():
            for _ in range(200):
                run()
        for _ in range(args.transactions // BLOCK):
            for name, run in kinds.items():
                started = time.process_time()
                for _ in range(BLOCK):
                    run()
                spent[name] += time.process_time() - started
        for name, seconds in spent.items():
            print(f"{name}: {seconds / args.transactions * 1e6:.1f} µs of CPU a transaction")
    finally:
        raw.close()
        as_built.dispose()
        drop_postgres_database(url)


if __name__ == "__main__":
    machine.run_timed(main)
