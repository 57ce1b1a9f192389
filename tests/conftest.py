"""Shared fixtures: a real PostgreSQL database per run, the embedded SQLite database, live servers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from db.engine import Database
from db.migrate import upgrade
from tests.support.servers import (
    LiveServer,
    create_postgres_database,
    drop_postgres_database,
    start_server,
)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'qbbridge.db'}"


@pytest.fixture(scope="session", params=["postgresql", "sqlite"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs once on PostgreSQL and once on the embedded SQLite database."""
    return request.getfixturevalue("postgres_url" if request.param == "postgresql" else "sqlite_url")


@pytest.fixture(scope="module")
def database(database_url: str) -> Iterator[Database]:
    """A migrated database, once per database kind, for tests of the data layer itself (no server)."""
    database = Database(database_url)
    upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def live_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``qbbridge serve`` on a real port and database; tests create their own tenants to stay apart."""
    # A connector that died is superseded by the next session after one silent second here, so tests
    # of lost answers need not wait; the concurrency test keeps the production default.
    server = start_server(
        database_url, tmp_path_factory.mktemp("server"), extra_env={"QBBRIDGE_SUPERSEDE_AFTER_SECONDS": "1", "QBBRIDGE_PUSH_INTERVAL_SECONDS": "0.3"}
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_live_server(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server on PostgreSQL only, for tests that are about PostgreSQL behaviour."""
    server = start_server(postgres_url, tmp_path_factory.mktemp("pgserver"))
    yield server
    server.stop()


@pytest.fixture
def admin(live_server: LiveServer) -> httpx.Client:
    return live_server.client
