"""A retrieval's lookups read a bounded part of the database, however many imports it holds.

Counted in rows PostgreSQL looked at and threw away (``EXPLAIN ANALYZE``: rows removed by a filter,
in every node and loop), not in time: the plans this test once caught read every import of the
tenant on each page of a retrieval (to find the codes and sources already stored), growing with the
table. A lookup by index throws nothing away. PostgreSQL only: the plans are PostgreSQL's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from db import batch
from db import imports as import_repo
from db.engine import Database
from db.migrate import upgrade
from db.tenants import create_tenant

# Far more than a lookup by index throws away (nothing), far fewer than the rows below.
MAX_DISCARDED = 100
ROWS = 6_000


@pytest.fixture(scope="module")
def database(postgres_url: str) -> Iterator[Database]:
    database = Database(postgres_url)
    upgrade(database.engine)
    yield database
    database.dispose()


def _driver_url(database: Database) -> str:
    return database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _discarded(node: dict[str, Any]) -> int:
    loops = int(node.get("Actual Loops", 1))
    own = int(node.get("Rows Removed by Filter", 0)) + int(node.get("Rows Removed by Join Filter", 0))
    return own * loops + sum(_discarded(child) for child in node.get("Plans", []))


def _rows_discarded(database: Database, sql: str, params: dict[str, Any]) -> int:
    """Rows the statement's executed plan read and threw away, over all its nodes and loops."""
    query = batch._PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))
    with psycopg.connect(_driver_url(database)) as connection:
        # The plan the service runs: its statements are prepared once per connection and run many
        # times (db/batch.py), so PostgreSQL soon uses one generic plan for every parameter value.
        connection.execute("SET plan_cache_mode = force_generic_plan")
        [[plan]] = connection.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {query}", params).fetchall()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return _discarded(plan[0]["Plan"])


def _tenant(database: Database, name: str) -> str:
    with database.transaction() as session:
        return create_tenant(session, name).id


def test_a_retrieval_page_looks_up_its_documents_without_reading_every_stored_import(
    database: Database,
) -> None:
    tenant = _tenant(database, "Plans imports")
    with psycopg.connect(_driver_url(database)) as connection:
        connection.execute(
            "INSERT INTO imports (public_id, tenant_id, entity, status, source_type, source_id, ref_number, "
            "code, data, notes, attempts, created_at, updated_at) "
            "SELECT gen_random_uuid()::text, %(tenant)s, 'salesOrder', 'pending', 'SalesOrder', "
            "'TXN-' || n, 'SO-' || n, 'SO-' || n, '{}', '[]', 0, now(), now() "
            "FROM generate_series(1, %(rows)s) AS n",
            {"tenant": tenant, "rows": ROWS},
        )
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
