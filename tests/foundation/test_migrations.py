"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from db.engine import Database
from db.migrate import upgrade
from db.models import Base
from tests.support.servers import create_postgres_database, drop_postgres_database


def _assert_matches(database: Database) -> None:
    upgrade(database.engine)
    upgrade(database.engine)  # idempotent
    with database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"
    tables = set(inspect(database.engine).get_table_names())
    assert {"tenants", "api_keys", "qbwc_sessions", "jobs", "job_steps", "audit_log"} <= tables


def test_migrations_match_models_on_sqlite(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.db'}")
    try:
        _assert_matches(database)
    finally:
        database.dispose()


def test_migrations_match_models_on_postgresql() -> None:
    url = create_postgres_database()
    database = Database(url)
    try:
        _assert_matches(database)
    finally:
        database.dispose()
        drop_postgres_database(url)


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


def test_imports_keep_their_codes_on_sqlite(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.db'}")
    try:
        _imports_keep_their_codes(database)
    finally:
        database.dispose()


def test_imports_keep_their_codes_on_postgresql() -> None:
    url = create_postgres_database()
    database = Database(url)
    try:
        _imports_keep_their_codes(database)
    finally:
        database.dispose()
        drop_postgres_database(url)
