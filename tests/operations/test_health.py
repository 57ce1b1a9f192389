"""``/healthz``, ``/readyz`` and ``GET /api/v1/version`` on a real server, on both databases."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.migrate import head_revision
from qbbridge import __version__
from tests.support.servers import (
    LiveServer,
    postgres_admin_url,
    scratch_database,
    start_server,
)
from tests.support.tcp_proxy import TcpRelay


def test_health_and_readiness_answer_without_a_key(live_server: LiveServer) -> None:
    health = httpx.get(live_server.base_url + "/healthz", timeout=10)
    assert health.status_code == 200 and health.text == "ok"
    ready = httpx.get(live_server.base_url + "/readyz", timeout=10)
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "schemaRevision": head_revision()}


def test_version_is_read_with_any_api_key(live_server: LiveServer) -> None:
    url = live_server.base_url + "/api/v1/version"
    assert httpx.get(url, timeout=10).status_code == 401
    expected = {"version": __version__, "schemaRevision": head_revision(), "schemaHead": head_revision()}
    admin = live_server.client.get("/api/v1/version")
    assert admin.status_code == 200 and admin.json() == expected
    tenant = live_server.client.post("/api/v1/tenants", json={"name": "Version reader"}).json()
    key = live_server.client.post(f"/api/v1/tenants/{tenant['id']}/api-keys", json={}).json()["key"]
    with_tenant_key = httpx.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert with_tenant_key.status_code == 200 and with_tenant_key.json() == expected


@pytest.fixture(params=["postgresql", "sqlite"])
def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database for one test (its schema is changed under the server)."""
    yield from scratch_database(request.param, tmp_path / "own.db")


def _set_revision(url: str, revision: str | None) -> None:
    """Move the schema's recorded revision (None: no revision recorded)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))
        if revision is not None:
            connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:r)"), {"r": revision})
    engine.dispose()


def test_readyz_is_503_while_the_schema_is_not_the_codes(own_database: str, tmp_path: Path) -> None:
    server = start_server(own_database, tmp_path)
    try:
        ready = lambda: httpx.get(server.base_url + "/readyz", timeout=10)  # noqa: E731
        assert ready().status_code == 200
        previous = "0004" if head_revision() != "0004" else "0003"
        _set_revision(own_database, previous)
        behind = ready()
        assert behind.status_code == 503
        assert behind.json()["status"] == "unavailable"
        reason = behind.json()["reason"]
        assert previous in reason and head_revision() in reason and "qbbridge db upgrade" in reason
        # The process itself is fine: only readiness depends on the database.
        assert httpx.get(server.base_url + "/healthz", timeout=10).status_code == 200
        _set_revision(own_database, "9999")
        ahead = ready()
        assert ahead.status_code == 503 and "does not know" in ahead.json()["reason"]
        _set_revision(own_database, None)
        empty = ready()
        assert empty.status_code == 503 and "no qbbridge schema yet" in empty.json()["reason"]
        _set_revision(own_database, head_revision())
        assert ready().status_code == 200
        assert "Traceback" not in server.log_text()
    finally:
        server.stop()


def test_readyz_is_503_while_postgresql_is_unreachable(postgres_url: str, tmp_path: Path) -> None:
    relay = TcpRelay.to(postgres_admin_url())
    server = start_server(relay.url_for(postgres_url), tmp_path)
    try:
        assert httpx.get(server.base_url + "/readyz", timeout=10).status_code == 200
        relay.cut()
        down = httpx.get(server.base_url + "/readyz", timeout=30)
        assert down.status_code == 503
        assert down.json()["status"] == "unavailable"
        assert down.json()["reason"] == "the database does not answer"
        health = httpx.get(server.base_url + "/healthz", timeout=10)
        assert health.status_code == 200, "liveness never depends on the database"
        relay.restore()
        assert httpx.get(server.base_url + "/readyz", timeout=30).status_code == 200
        assert "Traceback" not in server.log_text()
    finally:
        server.stop()
        relay.cut()


def test_readyz_does_not_wait_for_a_sqlite_writer(sqlite_url: str, tmp_path: Path) -> None:
    server = start_server(sqlite_url, tmp_path)
    writer = sqlite3.connect(make_url(sqlite_url).database, isolation_level=None, timeout=30)
    try:
        writer.execute("BEGIN IMMEDIATE")  # another process holds SQLite's write lock
        started = time.monotonic()
        ready = httpx.get(server.base_url + "/readyz", timeout=20)
        assert ready.status_code == 200
        assert time.monotonic() - started < 5, "readiness waited for the writer"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        server.stop()


def _wait_for_log(server: LiveServer, needle: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        log = server.log_text()
        if needle in log:
            return log
        time.sleep(0.1)
    return server.log_text()


@pytest.mark.parametrize("level", ["info", "debug"])
def test_probes_are_left_out_of_the_access_log_unless_debugging(
    sqlite_url: str, tmp_path: Path, level: str
) -> None:
    server = start_server(sqlite_url, tmp_path, extra_env={"QBBRIDGE_LOG_LEVEL": level})
    try:
        for path in ("/healthz", "/readyz", "/healthz?from=lb"):
            assert httpx.get(server.base_url + path, timeout=10).status_code == 200
        assert server.client.get("/api/v1/version").status_code == 200
        log = _wait_for_log(server, '"GET /api/v1/version HTTP/1.1" 200')
        assert '"GET /api/v1/version HTTP/1.1" 200' in log
        probes_logged = '"GET /healthz HTTP/1.1" 200' in log and '"GET /readyz HTTP/1.1" 200' in log
        assert probes_logged == (level == "debug"), log
        if level == "info":
            assert "/healthz" not in log and "/readyz" not in log
    finally:
        server.stop()
