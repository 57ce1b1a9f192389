"""The queue's claims, and its other looks at queued steps, find their rows by key, whatever
PostgreSQL's statistics say.

``sendRequestXML``'s claim is one statement on PostgreSQL (``db/queue/sql.py``: the step taken, and
its job moved to in flight in a data-modifying CTE). Two plans once read every queued row of every
tenant at each claim:

* the job's move, written with a plain ``status = 'queued'``, was answered from the partial index of
  open jobs (1,000 index entries under ``bench/soap_sessions.py``, about a third of PostgreSQL's time
  a call);
* the step, found by ``id`` and tested ``state = 'queued'``, was answered from the partial index of
  waiting steps, twice a claim, by the generic plan the service runs once statistics held few queued
  steps (2,005 rows read for 1,000 steps queued).

Counted here as rows of ``jobs`` and ``job_steps`` a plan's scans read, returned or thrown away
(``EXPLAIN ANALYZE`` of the generic plan of a prepared statement, as the service runs them), with
statistics taken on the empty tables of a new database, on a long history analyzed before a backlog
came, and again once analyzed: every form of the claim, the check for work, the claim of a message
set's companions, the count of a tenant's queued steps, the statements that cancel or fail a job's
queued steps and find the jobs waiting for a failed one, and a session's looks at its requests out
and at those left without an answer, also with many other sessions each with such steps. Written
plainly, all but the check for work read every queued step, open job, request out or request left
without an answer of every tenant under one of those statistics (bench/claim_statistics.py
--compare-plain).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from db.engine import Database
from tests.support.backlog import (
    analyze,
    finished_history,
    queue_rows_read,
    queue_statements,
    queued_backlog,
    requests_out_elsewhere,
)
from tests.support.plans import executed_plan
from tests.support.servers import migrated_database, scratch_database

TENANTS = 100
JOBS_EACH = 20
# Rows of the queue's tables a statement may read: a claim by key reads a few, the companions' claim
# (its limit here is 10) about 90, the count at a session's start the tenant's 20 queued steps. The
# scans this guards against read the whole backlog, 2,000 steps, twice a claim.
MAX_ROWS_READ = 200
# Finished jobs before the backlog: ten times the backlog, the share at which autovacuum analyzes a
# table again (autovacuum_analyze_scale_factor, 0.1).
HISTORY = 10 * TENANTS * JOBS_EACH


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    # A database of the test's own: "statistics of the empty tables" must be of tables that are empty.
    for url in scratch_database("postgresql", tmp_path / "unused.db"):
        yield from migrated_database(url)


def _assert_found_by_key(database: Database, ticket: str, when: str) -> None:
    read = {
        name: queue_rows_read(executed_plan(database, sql, params))
        for name, (sql, params) in queue_statements(database, ticket).items()
    }
    too_many = {name: rows for name, rows in read.items() if rows > MAX_ROWS_READ}
    assert not too_many, f"{when}: rows of jobs and job_steps read: {too_many}"


# Each scenario: whether a history of finished jobs is analyzed before the backlog comes, and in what
# state every other tenant's requests then are in sessions of their own (None: still queued).
SCENARIOS = {
    # A new installation, before autovacuum's first look.
    "statistics of the empty tables": (False, None),
    # A service that has run a while: statistics of a long history with nothing queued, then a
    # backlog too small a part of the tables for autovacuum to analyze them again.
    "statistics of a history without a backlog": (True, None),
    # The same, with many connectors mid-update at once: each call's look at its own session's steps
    # reads those, not every session's (1,980 here, the other sessions' requests out).
    "statistics of a history, many sessions with requests out": (True, "in_flight"),
    # And with many answers lost, waiting for a person: a session's look at its own reads its own.
    "statistics of a history, many sessions with answers lost": (True, "unknown_outcome"),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_queues_statements_read_their_own_rows_whatever_the_statistics(
    database: Database, scenario: str
) -> None:
    history, elsewhere = SCENARIOS[scenario]
    if history:
        finished_history(database, HISTORY)
    analyze(database)
    ticket = queued_backlog(database, TENANTS, JOBS_EACH)
    if elsewhere is not None:
        assert requests_out_elsewhere(database, ticket, elsewhere) == (TENANTS - 1) * JOBS_EACH
    _assert_found_by_key(database, ticket, scenario)
    analyze(database)
    _assert_found_by_key(database, ticket, f"{scenario}, then analyzed")
