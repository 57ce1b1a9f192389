"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import uuid
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

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
