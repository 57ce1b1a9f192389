"""Shared fixtures: a real PostgreSQL database per run, the embedded SQLite database, live servers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from db.engine import Database
from tests.support import shared
from tests.support.servers import (
    LiveServer,
    create_postgres_database,
    drop_postgres_database,
    migrated_database,
    start_server,
)

# --- the shared qbXML files: required, or every skip counted at the end ---------------------------


def pytest_sessionstart(session: pytest.Session) -> None:
    if shared.required():
        problems = shared.problems()
        if problems:
            pytest.exit(
                f"{shared.REQUIRE_VARIABLE} is set but the shared qbXML files are missing: "
                + "; ".join(problems)
                + ". Set QBBRIDGE_SHARED_DIR to the folder holding qbxml-schema/ and qbxml-samples/.",
                returncode=pytest.ExitCode.USAGE_ERROR,
            )


def _skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return reason.removeprefix("Skipped: ")


def _report_fuzzing(terminalreporter: Any) -> None:
    """The fuzzer's own numbers (requests generated, passed, failed) for each run, in every run's summary."""
    lines = [
        f"{report.nodeid.split('::')[-1]}: {value}"
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", [])
        if name == "schemathesis"
    ]
    if lines:
        terminalreporter.write_sep("-", "schemathesis over /openapi.json")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> Iterator[None]:
    """Say at the end, loudly, how many tests were skipped and why: a skipped test checked nothing.
    (Outermost, so it comes after pytest's own short summary, just before the closing line.)"""
    yield
    _report_fuzzing(terminalreporter)
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons = Counter(_skip_reason(report) for report in skipped)
    count = len(skipped)
    terminalreporter.write_sep("!", f"{count} test{'s' if count != 1 else ''} skipped: they checked nothing", red=True, bold=True)
    for reason, times in reasons.most_common():
        terminalreporter.write_line(f"{times:6d} × {reason}", yellow=True)
    if any(reason.startswith(shared.SKIP_PREFIX) for reason in reasons):
        terminalreporter.write_line(
            "The schema and sample tests need Intuit's qbXML schemas and real QuickBooks messages. Point "
            f"QBBRIDGE_SHARED_DIR at the folder holding {shared.SCHEMA_FOLDER}/ and {shared.SAMPLES_FOLDER}/ "
            f"(looked in {shared.shared_dir()}); see README, \"Tests\".",
            red=True,
            bold=True,
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
    yield from migrated_database(database_url)


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
