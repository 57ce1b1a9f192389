"""A retrieval's lookups, an inventory send's look at earlier sends, and the setup checklist's
sessions read a bounded part of the database, however many imports, jobs or Web Connector sessions it
holds.

Counted in rows PostgreSQL looked at and threw away (``EXPLAIN ANALYZE``: rows removed by a filter,
in every node and loop), not in time: the plans this test once caught read every import of the
tenant on each page of a retrieval (to find the codes and sources already stored), growing with the
table. A lookup by index throws nothing away. The setup checklist's are counted in session rows
read (its old plan threw nothing away: it grouped every session since the token). PostgreSQL, but
for the checklist's indexes, which SQLite's plans are checked to use too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, select

from db import batch
from db import imports as import_repo
from db import sends as send_repo
from db.engine import Database
from db.migrate import upgrade
from db.models import Tenant, WcSession
from db.tenants import create_tenant
from mapping import setup
from tests.support.plans import driver_url, executed_plan
from tests.support.servers import migrated_database

# Far more than a lookup by index throws away (nothing), far fewer than the rows below.
MAX_DISCARDED = 100
ROWS = 6_000
_DRIVER_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.fixture(scope="module")
def database(postgres_url: str) -> Iterator[Database]:
    yield from migrated_database(postgres_url)


def _discarded(node: dict[str, Any]) -> int:
    loops = int(node.get("Actual Loops", 1))
    own = int(node.get("Rows Removed by Filter", 0)) + int(node.get("Rows Removed by Join Filter", 0))
    return own * loops + sum(_discarded(child) for child in node.get("Plans", []))


def _rows_discarded(database: Database, sql: str, params: dict[str, Any]) -> int:
    """Rows the statement's executed plan read and threw away, over all its nodes and loops. What the
    statement writes is rolled back."""
    return _discarded(executed_plan(database, sql, params))


def _tenant(database: Database, name: str) -> str:
    with database.transaction() as session:
        return create_tenant(session, name).id


def test_a_retrieval_page_looks_up_its_documents_without_reading_every_stored_import(
    database: Database,
) -> None:
    tenant = _tenant(database, "Plans imports")
    with psycopg.connect(driver_url(database)) as connection:
        connection.execute(
            "INSERT INTO imports (public_id, tenant_id, entity, status, source_type, source_id, ref_number, "
            "code, data, notes, attempts, created_at, updated_at) "
            "SELECT gen_random_uuid()::text, %(tenant)s, 'salesOrder', 'pending', 'SalesOrder', "
            "'TXN-' || n, 'SO-' || n, 'SO-' || n, '{}', '[]', 0, now(), now() "
            "FROM generate_series(1, %(rows)s) AS n",
            {"tenant": tenant, "rows": ROWS},
        )
        # Statistics that know these rows, as the other tests here take: from an auto-analyze run
        # while the shared test database held a handful of imports, PostgreSQL took the table for a
        # page or two and scanned it whole for each code (600,000 rows thrown away, once in a full run).
        connection.execute("ANALYZE imports")
    page = [f"SO-{n}" for n in range(ROWS + 1, ROWS + 101)]
    sources = [f"TXN-{n}" for n in range(ROWS + 1, ROWS + 101)]
    codes = {"tenant_id": tenant, "entity": "salesOrder", "codes": page}
    assert _rows_discarded(database, import_repo._HOLDERS.text, codes) <= MAX_DISCARDED
    known = {"tenant_id": tenant, "source_type": "SalesOrder", "source_ids": sources}
    assert _rows_discarded(database, import_repo._EXISTING_SOURCES.text, known) <= MAX_DISCARDED
    # And they still find what is there: the oldest holder of a code, and the sources stored.
    with database.transaction() as session:
        held = import_repo.codes_in_use(session, tenant, "salesOrder", ["SO-7", "SO-99999"])
        stored = import_repo.existing_sources(session, tenant, "SalesOrder", ["TXN-8", "TXN-99999"])
    assert held == {"SO-7": ("SalesOrder", "SO-7")}
    assert stored == {"TXN-8"}


def test_an_inventory_send_reads_the_tenants_latest_inventory_jobs_not_every_job(database: Database) -> None:
    """An inventory send looks up what QuickBooks said of item types to the tenant's latest inventory
    sends (``db/sends.py``, ``recent_inventory_results``). Inventory jobs are few among a tenant's jobs:
    found through an index of all the tenant's jobs, each send read every job the tenant kept."""
    tenant = _tenant(database, "Plans inventory")
    now = dt.datetime.now(dt.UTC)
    with psycopg.connect(driver_url(database)) as connection:
        # Two inventory jobs first, one with a finished step, then many jobs of the other flows.
        connection.execute(
            "INSERT INTO jobs (public_id, tenant_id, kind, status, payload, warnings, result, queue_seq, "
            "created_at, updated_at) SELECT gen_random_uuid()::text, %(tenant)s, "
            "CASE WHEN n <= 2 THEN 'inventory' ELSE 'salesOrder' END, 'succeeded', '{}', '[]', '{}', n, "
            "now(), now() FROM generate_series(1, %(rows)s) AS n",
            {"tenant": tenant, "rows": ROWS},
        )
        connection.execute(
            "INSERT INTO job_steps (job_id, tenant_id, position, kind, state, intent, request_ids, result, "
            "attempts, phase, reconcilable, created_at, completed_at) "
            "SELECT id, tenant_id, 0, 'qbxml_request', 'succeeded', '{}', '[]', '{\"seen\": 1}', 1, 'send', "
            "false, now(), %(now)s FROM jobs WHERE tenant_id = %(tenant)s AND queue_seq = 1",
            {"tenant": tenant, "now": now},
        )
        connection.execute("ANALYZE jobs")
        connection.execute("ANALYZE job_steps")
    params = {"tenant_id": tenant, "since": now - dt.timedelta(days=7), "limit": 20}
    assert _rows_discarded(database, send_repo._RECENT_INVENTORY_RESULTS.sql, params) <= MAX_DISCARDED
    # And it still finds what QuickBooks said.
    with database.transaction() as session:
        results = send_repo.recent_inventory_results(session, tenant, since=now - dt.timedelta(days=7))
    assert [result for _, result in results] == [{"seen": 1}]


def _setup_statements(database: Database, ids: list[str]) -> list[tuple[str, Any]]:
    """The statements (and parameters) reading sessions that the checklist of a page of these tenants,
    then of the first alone, sends."""
    statements: list[tuple[str, Any]] = []

    def keep(*args: Any) -> None:
        statements.append((args[2], args[3]))

    with database.transaction() as session:
        tenants = list(session.scalars(select(Tenant).where(Tenant.id.in_(ids)).order_by(Tenant.name)))
        event.listen(database.engine, "before_cursor_execute", keep)
        try:
            setup.checklists(session, tenants)
            setup.checklist(session, tenants[0])
        finally:
            event.remove(database.engine, "before_cursor_execute", keep)
    return [(sql, params) for sql, params in statements if "qbwc_sessions" in sql]


def _session_rows_read(node: dict[str, Any]) -> int:
    """Rows of ``qbwc_sessions`` the executed plan read: returned by its scans, or read and thrown away."""
    own = 0
    if node.get("Relation Name") == "qbwc_sessions":
        loops = int(node.get("Actual Loops", 1))
        own = (int(node.get("Actual Rows", 0)) + int(node.get("Rows Removed by Filter", 0))) * loops
    return own + sum(_session_rows_read(child) for child in node.get("Plans", []))


def test_the_setup_checklist_reads_a_few_sessions_however_many_a_tenant_kept(database: Database) -> None:
    """The Tenants list's setup progress and the tenant page's checklist find a tenant's first session
    since its token and its latest one QuickBooks answered by index, not by reading every session the
    tenant kept (sessions are never deleted: a 30-minute schedule keeps 1,440 a month)."""
    token_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ids = [_tenant(database, f"Plans setup {n}") for n in range(3)]
    with psycopg.connect(driver_url(database)) as connection:
        connection.execute(
            "UPDATE tenants SET token_created_at = %(at)s, token_digest = repeat('0', 64) WHERE id = ANY(%(ids)s)",
            {"at": token_at, "ids": ids},
        )
        # Per tenant: sessions every 30 minutes for ROWS / 2 before the token and as many after. Before
        # it, QuickBooks answered every other one; since it, only the first two: the rest had nothing
        # to exchange, so the latest answered session is thousands of sessions back.
        connection.execute(
            "INSERT INTO qbwc_sessions (tenant_id, ticket_digest, state, created_at, last_seen_at, closed_at, "
            "company_file, refusal, hcp_received, wait_requested, steps_done, planned_steps, waits, "
            "retried_open_file) "
            "SELECT t, md5(t || n), 'closed', %(at)s + n * interval '30 minutes', now(), "
            "%(at)s + n * interval '30 minutes' + interval '1 minute', "
            "CASE WHEN (n < 0 AND n %% 2 = 0) OR n = 0 THEN 'C:\\Company.qbw' END, "
            "CASE WHEN n = 1 THEN 'connection_error' END, false, false, 0, 0, 0, false "
            "FROM unnest(%(ids)s::varchar[]) AS t, generate_series(-%(half)s, %(half)s - 1) AS n",
            {"at": token_at, "ids": ids, "half": ROWS // 2},
        )
        connection.execute("ANALYZE qbwc_sessions")
    with database.transaction() as session:
        tenants = list(session.scalars(select(Tenant).where(Tenant.id.in_(ids))))
        # Still the right sessions: the first since the token, and the refusal 30 minutes later (the
        # latest answer, as QuickBooks' answers stopped there).
        for steps in [*setup.checklists(session, tenants).values(), setup.checklist(session, tenants[0])]:
            assert (steps[2].status, steps[2].at) == (setup.DONE, token_at)
            assert (steps[3].status, steps[3].at) == (setup.FAILED, token_at + dt.timedelta(minutes=31))
    reading = _setup_statements(database, ids)
    assert len(reading) == 3  # the page's statement, then the tenant's first and latest sessions
    for sql, params in reading:
        # The driver's placeholders (``%(name)s``) as the statements' own (``:name``).
        plan = executed_plan(database, _DRIVER_PLACEHOLDER.sub(r":\1", sql).replace("%%", "%"), params)
        # Two sessions a tenant (the first and the latest answered), and their rows joined back.
        assert _session_rows_read(plan) <= 4 * len(ids), (sql, plan)


def test_on_sqlite_the_setup_checklist_finds_its_sessions_by_index(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'plans.db'}")
    try:
        upgrade(database.engine)
        with database.transaction() as session:
            tenant = create_tenant(session, "Plans setup on SQLite")
            tenant.token_created_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
            tenant.token_digest = "0" * 64
            # A session since the token, so that the checklist goes on to the latest answered one.
            session.add(
                WcSession(
                    tenant_id=tenant.id,
                    ticket_digest="0" * 64,
                    created_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
                    last_seen_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
                )
            )
        reading = _setup_statements(database, [tenant.id])
        assert len(reading) == 3
        with database.engine.connect() as connection:
            for sql, params in reading:
                details = [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)]
                sessions = [d for d in details if "qbwc_sessions" in d]
                # Each session read is a search: by the primary key (a row joined back), or by one of
                # the checklist's indexes from the tenant's token on; never a scan of the sessions.
                assert sessions and all(
                    d.startswith("SEARCH")
                    and (
                        "INTEGER PRIMARY KEY" in d
                        or ("ix_qbwc_sessions_tenant_" in d and "created_at>?" in d)
                    )
                    for d in sessions
                ), details
                assert any("ix_qbwc_sessions_tenant_answered" in d for d in details) == (
                    "'connection_error'" in sql
                )
    finally:
        database.dispose()


def test_on_sqlite_an_inventory_send_finds_the_inventory_jobs_by_their_index(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'plans.db'}")
    try:
        upgrade(database.engine)
        sql = batch._PARAMETER.sub(r"?", send_repo._RECENT_INVENTORY_RESULTS.sql)
        with database.engine.connect() as connection:
            details = [
                row[3]
                for row in connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {sql}", ("tenant", 20, "2026-01-01 00:00:00")
                )
            ]
        assert any(d.startswith("SEARCH j USING INDEX ix_jobs_tenant_inventory") for d in details), details
    finally:
        database.dispose()
