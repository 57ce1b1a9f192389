"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from db import batch
from db.engine import Database
from db.migrate import upgrade
from db.models import Base
from db.queue import NEXT_QUEUE_SEQ
from tests.support.servers import create_postgres_database, drop_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database of each kind, nothing migrated yet."""
    url = (
        f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.db'}" if request.param == "sqlite" else create_postgres_database()
    )
    database = Database(url)
    try:
        yield database
    finally:
        database.dispose()
        if request.param == "postgresql":
            drop_postgres_database(url)


def _assert_matches(database: Database) -> None:
    upgrade(database.engine)
    upgrade(database.engine)  # idempotent
    with database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"
    tables = set(inspect(database.engine).get_table_names())
    assert {"tenants", "api_keys", "qbwc_sessions", "jobs", "job_steps", "audit_log"} <= tables


def test_migrations_match_models(fresh: Database) -> None:
    _assert_matches(fresh)


def _imports_keep_their_codes(database: Database) -> None:
    """Imports stored before codes took a prefix per QuickBooks document type keep the code they were
    imported under: the upgrade copies it from their data, and gives them no notes."""
    upgrade(database.engine, "0005")
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO tenants (id, name, qbwc_username, file_id, company_file, settings, created_at, "
                "updated_at) VALUES ('t1', 'Acme', 'u1', '{F}', '', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        for row_id, entity, source_type, data in (
            (1, "salesOrder", "Invoice", '{"code": "1001", "rows": []}'),
            (2, "salesOrder", "Estimate", "{}"),
            (3, "product", "Item", '{"code": "WIDGET-1"}'),
        ):
            connection.execute(
                text(
                    "INSERT INTO imports (id, public_id, tenant_id, entity, status, source_type, source_id, "
                    "data, attempts, created_at, updated_at) VALUES (:id, :pid, 't1', :entity, 'pending', "
                    ":source_type, :sid, :data, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"id": row_id, "pid": f"p{row_id}", "entity": entity, "source_type": source_type, "sid": f"s{row_id}", "data": data},
            )
    upgrade(database.engine)
    with database.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, code, notes FROM imports ORDER BY id")).all()
    assert [(row.id, row.code) for row in rows] == [(1, "1001"), (2, None), (3, "WIDGET-1")]
    assert all(json.loads(row.notes) == [] if isinstance(row.notes, str) else row.notes == [] for row in rows)


def test_imports_keep_their_codes(fresh: Database) -> None:
    _imports_keep_their_codes(fresh)


def _queue_places_move(database: Database) -> None:
    """0015 moves each tenant's last queue place to ``tenant_queues``: a tenant's next job still goes
    after every job it queued before the upgrade, and a tenant with none starts at 1."""
    upgrade(database.engine, "0014")
    with database.engine.begin() as connection:
        for tenant_id, last in (("t1", 7), ("t2", 0)):
            connection.execute(
                text(
                    "INSERT INTO tenants (id, name, qbwc_username, file_id, company_file, settings, created_at, "
                    "updated_at, last_queue_seq) VALUES (:id, :id, :id, :file, '', '{}', CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP, :last)"
                ),
                {"id": tenant_id, "file": "{" + tenant_id + "}", "last": last},
            )
    upgrade(database.engine)
    with database.transaction() as session:
        taken = {
            tenant_id: batch.run_one(session, NEXT_QUEUE_SEQ, {"tenant_id": tenant_id})[0].last_queue_seq
            for tenant_id in ("t1", "t2")
        }
    assert taken == {"t1": 8, "t2": 1}
    assert "last_queue_seq" not in {column["name"] for column in inspect(database.engine).get_columns("tenants")}


def test_queue_places_move_to_their_own_table(fresh: Database) -> None:
    _queue_places_move(fresh)
