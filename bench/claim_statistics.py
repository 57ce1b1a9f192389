"""What the queue's looks at queued steps cost PostgreSQL when a backlog came after its statistics.

A service that has run a while has statistics of a long history of finished jobs; a backlog that
then comes (a first sync, a day of sends while QuickBooks was closed) is too small a part of the
tables for autovacuum to analyze them again. This builds that: ``--history`` finished jobs of a
step each, analyzed, then ``--tenants`` × ``--jobs`` raw requests queued, and a Web Connector
session open for the first tenant; with ``--requests-out``, every other tenant's requests are then
sent in sessions of their own and not answered yet (many connectors mid-update at once).

For each statement that looks for queued steps (every form of the claim, the check for work, the
companions' claim, the count at a session's start, the cancels) or for the session's requests out
(at an answer, when orphaned), it prints PostgreSQL's executor time of the generic plan the service
runs (the median of ``--runs`` on one connection, each rolled back) and the rows of jobs and
job_steps its scans read, then the same after ``ANALYZE``. ``--compare-plain`` also runs each
statement with its state tests written plainly (``state = 'queued'``), as before they went through
COALESCE or a range of one value (db/queue/sql.py: ``_still_queued``, ``_STILL_QUEUED``,
``_state_is``), in the same run. ``--compare-ticket-cte`` runs each claim by ticket also with the
session looked up once, in a CTE of its own (``me``), instead of by ticket wherever the statement
needs the session or its tenant (db/queue/sql.py: ``OPEN_SESSION_ID``, ``OPEN_SESSION_TENANT``; six
index lookups in the claim of a prepared step), a change measured and not made (docs/performance.md).

    .venv/bin/python bench/claim_statistics.py [--tenants 50] [--jobs 200] [--history 100000]
                                               [--runs 9] [--requests-out] [--compare-plain]
                                               [--compare-ticket-cte]
"""

from __future__ import annotations

import re
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import machine, options
from db.engine import Database
from db.queue.sql import OPEN_SESSION_ID, OPEN_SESSION_TENANT
from tests.support import backlog
from tests.support.plans import explained
from tests.support.servers import create_postgres_database, drop_postgres_database, migrated_database

# The state tests as they were written before: through COALESCE now (``_still_queued`` for steps,
# ``_STILL_QUEUED`` for jobs), or as a range of one value (``_state_is``).
_THROUGH_COALESCE = re.compile(r"COALESCE\(([\w.]+), ''\) = 'queued'")
_ONE_VALUE_RANGE = re.compile(r"([\w.]+) >= '(\w+)' AND \1 <= '\2'")


def plain(sql: str) -> str:
    """``sql`` with its state tests written plainly."""
    return _ONE_VALUE_RANGE.sub(r"\1 = '\2'", _THROUGH_COALESCE.sub(r"\1 = 'queued'", sql))


# The session found once by ticket, for every place a claim by ticket needs it.
_ME = (
    "me AS MATERIALIZED (SELECT id, tenant_id FROM qbwc_sessions "
    "WHERE ticket_digest = :ticket_digest AND state = 'open' AND last_seen_at >= :cutoff)"
)


def one_ticket_lookup(sql: str) -> str | None:
    """``sql`` with its session looked up once in the CTE ``me``; None for a statement without a
    CTE or without the session found by ticket."""
    if not sql.lstrip().startswith("WITH ") or OPEN_SESSION_ID not in sql:
        return None
    through_me = sql.replace(OPEN_SESSION_ID, "(SELECT id FROM me)").replace(
        OPEN_SESSION_TENANT, "(SELECT tenant_id FROM me)"
    )
    return through_me.replace("WITH ", f"WITH {_ME}, ", 1)


def measure(database: Database, sql: str, params: dict[str, Any], runs: int) -> tuple[float, int]:
    """The median executor time (ms) of ``runs`` runs, and the rows of the queue's tables it read."""
    documents = explained(database, sql, params, runs)
    took = statistics.median(float(document["Execution Time"]) for document in documents)
    return took, backlog.queue_rows_read(documents[-1]["Plan"])


def report(
    database: Database, ticket: str, runs: int, compare: bool, when: str, *, ticket_cte: bool = False
) -> None:
    print(f"\n{when}: executor ms (median of {runs}), rows of jobs and job_steps read")
    for name, (sql, params) in backlog.queue_statements(database, ticket).items():
        took, read = measure(database, sql, params, runs)
        line = f"  {name}: {took:.3f} ms, {read} rows"
        if compare:
            plain_took, plain_read = measure(database, plain(sql), params, runs)
            line += f"; written plainly {plain_took:.3f} ms, {plain_read} rows"
        variant = one_ticket_lookup(sql) if ticket_cte else None
        if variant is not None:
            # Alternating with the statement as it is, so that both see the same minute.
            ours, once = [], []
            for _ in range(runs):
                ours.append(measure(database, sql, params, 3)[0])
                once.append(measure(database, variant, params, 3)[0])
            line += (
                f"; alternating, as it is {statistics.median(ours):.3f} ms, "
                f"the session looked up once {statistics.median(once):.3f} ms"
            )
        print(line)


def main() -> None:
    parser = options.parser(
        __doc__,
        tenants=(50, "tenants with a backlog"),
        jobs=(200, "raw requests queued for each tenant"),
        history=(100_000, "finished jobs analyzed before the backlog"),
        runs=(9, "runs of each statement"),
    )
    parser.add_argument(
        "--requests-out", action="store_true", help="every other tenant's requests sent and unanswered"
    )
    parser.add_argument(
        "--compare-plain", action="store_true", help="also run the state tests written plainly"
    )
    parser.add_argument(
        "--compare-ticket-cte",
        action="store_true",
        help="also run each claim by ticket with the session looked up once, in a CTE",
    )
    args = parser.parse_args()
    url = create_postgres_database()
    try:
        for database in migrated_database(url):
            backlog.finished_history(database, args.history)
            backlog.analyze(database)
            ticket = backlog.queued_backlog(database, args.tenants, args.jobs)
            queued = f"{args.tenants} tenants × {args.jobs} requests"
            print(f"history: {args.history} finished jobs; backlog: {queued}")
            if args.requests_out:
                print(f"requests out in other sessions: {backlog.requests_out_elsewhere(database, ticket)}")
            report(
                database,
                ticket,
                args.runs,
                args.compare_plain,
                "statistics of the history alone",
                ticket_cte=args.compare_ticket_cte,
            )
            backlog.analyze(database)
            report(
                database,
                ticket,
                args.runs,
                args.compare_plain,
                "after ANALYZE",
                ticket_cte=args.compare_ticket_cte,
            )
    finally:
        drop_postgres_database(url)


if __name__ == "__main__":
    machine.run_timed(main)
