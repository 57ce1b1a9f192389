"""The floor under every database call of the service: one transaction of one trivial statement.

Three ways, interleaved in blocks in one process on one PostgreSQL database, CPU of this process only:
``Database.transaction()`` (SQLAlchemy's session, the pool) with ``db.batch.run``, the same with
SQLAlchemy's pool not resetting a connection it gets back (``pool_reset_on_return=None``), and psycopg
alone on one connection in autocommit. What a Web Connector call or a send costs above the first is
what SQLAlchemy's session and the pool cost it once per transaction.

    .venv/bin/python bench/transaction_cost.py [--transactions 3000]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import machine
from db import batch
from db.batch import Statement
from db.engine import Database
from tests.support.servers import create_postgres_database, drop_postgres_database

TRIVIAL = Statement("SELECT 1 AS one")
BLOCK = 100


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transactions", type=int, default=3000, help="measured of each kind")
    args = parser.parse_args()
    url = create_postgres_database()
    as_built, no_reset = Database(url), Database(url, pool_reset_on_return=None)
    raw = as_built.engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        driver.autocommit = True

        def through(database: Database) -> Callable[[], None]:
            def once() -> None:
                with database.transaction() as session:
                    batch.run(session, [(TRIVIAL, {})])

            return once

        def psycopg_alone() -> None:
            driver.execute("SELECT 1")

        kinds = {
            "Database.transaction() + batch.run": through(as_built),
            "the same, pool_reset_on_return=None": through(no_reset),
            "psycopg alone, autocommit": psycopg_alone,
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
        no_reset.dispose()
        drop_postgres_database(url)


if __name__ == "__main__":
    machine.run_timed(main)
