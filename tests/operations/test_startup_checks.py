"""``qbbridge serve`` checks everything it needs before it listens, and a bad setting stops it with one
line naming the variable, what is wrong with the value and an example: exit code 2, no traceback,
nothing listening. Every test runs the real command."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.engine import Database
from db.migrate import upgrade
from qbbridge.config import VARIABLES
from tests.operations.conftest import Run, assert_refused, clean_environment, run_qbbridge
from tests.support.servers import create_postgres_database, drop_postgres_database, free_port

# One bad value (at least) for every variable an operator sets, with what the error must say.
BAD_VALUES: list[tuple[str, str, str]] = [
    ("QBBRIDGE_DATABASE_URL", "garbage", "not a database URL"),
    ("QBBRIDGE_DATABASE_URL", "mysql://qb:hunter2@db.example.com/qb", "PostgreSQL"),
    ("QBBRIDGE_DATABASE_URL", "postgresql+asyncpg://qb@db.example.com/qb", "psycopg"),
    ("QBBRIDGE_DATABASE_URL", "sqlite://", "in-memory"),
    ("QBBRIDGE_DATABASE_WAIT_SECONDS", "601", "between 0 and 600"),
    ("QBBRIDGE_PUBLIC_URL", "garbage", "not an absolute http:// or https:// URL"),
    ("QBBRIDGE_PUBLIC_URL", "ftp://qb.example.com", "not an absolute http:// or https:// URL"),
    ("QBBRIDGE_PUBLIC_URL", "https://qb.example.com/?tenant=1", "query"),
    ("QBBRIDGE_PUBLIC_URL", "http://qb.example.com", "QBBRIDGE_ALLOW_INSECURE_PUBLIC_URL=1"),
    ("QBBRIDGE_ALLOW_INSECURE_PUBLIC_URL", "maybe", "use 1 (yes) or 0 (no)"),
    ("QBBRIDGE_DATABASE_PREPARED_STATEMENTS", "sometimes", "use 1 (yes) or 0 (no)"),
    ("QBBRIDGE_ADMIN_API_KEY", "two words", "cannot carry"),
    ("QBBRIDGE_SECRET_KEY", "hunter2-not-a-key", "is not a Fernet key"),
    ("QBBRIDGE_SECRET_KEY_FILE", "/", "is not a file path"),
    ("QBBRIDGE_MAX_API_BODY_BYTES", "10", "between 1024 and 1073741824"),
    ("QBBRIDGE_AUTH_ADDRESS_FAILURE_LIMIT", "0", "between 1 and 100000"),
    ("QBBRIDGE_TRUSTED_PROXIES", "proxy.internal", "is not an IP address or network"),
    ("QBBRIDGE_SESSION_TIMEOUT_MINUTES", "abc", "not a whole number"),
    ("QBBRIDGE_MAX_SOAP_BODY_BYTES", "10", "between 1024 and 1073741824"),
    ("QBBRIDGE_CALLS_PER_CONNECTION", "-5", "between 0 and 1000000"),
    ("QBBRIDGE_CALL_THREADS", "65", "between 0 and 64"),
    ("QBBRIDGE_REQUESTS_PER_MESSAGE", "101", "between 1 and 100"),
    ("QBBRIDGE_MIN_CLIENT_VERSION", "latest", "not a Web Connector version"),
    ("QBBRIDGE_RUN_EVERY_MINUTES", "0", "between 1 and 1440"),
    ("QBBRIDGE_AUTH_FAILURE_LIMIT", "0", "between 1 and 1000"),
    ("QBBRIDGE_AUTH_FAILURE_WINDOW_MINUTES", "1.5", "not a whole number"),
    ("QBBRIDGE_SUPERSEDE_AFTER_SECONDS", "-1", "between 0 and 86400"),
    ("QBBRIDGE_PUSH_INTERVAL_SECONDS", "nan", "not a number of seconds"),
    ("QBBRIDGE_LOG_LEVEL", "loud", "not a log level"),
    ("QBBRIDGE_METRICS_TOKEN", "hunter2", "shorter than 16 characters"),
    ("QBBRIDGE_LOG_FORMAT", "xml", "not a log format"),
    ("QBBRIDGE_PAYLOAD_RETENTION_DAYS", "-1", "between 0 and 36500"),
]
# Set by ``qbbridge serve`` itself for its workers, from --port.
SET_BY_SERVE = {"QBBRIDGE_PORT"}


def test_every_variable_has_a_bad_value_checked() -> None:
    checked = {name for name, _, _ in BAD_VALUES}
    assert {variable.name for variable in VARIABLES} - SET_BY_SERVE == checked


@dataclass
class Refusal:
    run: Run
    port: int
    workdir: Path


@pytest.fixture(scope="module")
def refusals(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Refusal]:
    """``qbbridge serve`` with each bad value, a few at a time (each is a process of its own)."""

    # Made here, one after another: pytest's numbered temporary directories are not thread-safe.
    workdirs = {case[:2]: tmp_path_factory.mktemp("refused") for case in BAD_VALUES}

    def serve(name: str, value: str) -> tuple[tuple[str, str], Refusal]:
        workdir = workdirs[(name, value)]
        port = free_port()
        env = clean_environment(**{"QBBRIDGE_DATABASE_URL": f"sqlite:///{workdir / 'qb.db'}", name: value})
        return (name, value), Refusal(
            run_qbbridge(["serve", "--port", str(port)], env, workdir), port, workdir
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(lambda case: serve(case[0], case[1]), BAD_VALUES))


@pytest.mark.parametrize(("name", "value", "problem"), BAD_VALUES, ids=[f"{n}={v}" for n, v, _ in BAD_VALUES])
def test_a_bad_value_stops_serve_with_one_line(
    refusals: dict[tuple[str, str], Refusal], name: str, value: str, problem: str
) -> None:
    refusal = refusals[(name, value)]
    run = refusal.run
    line = assert_refused(run, f"{name}=", problem, "for example", port=refusal.port)
    assert run.stdout == ""
    if name in ("QBBRIDGE_ADMIN_API_KEY", "QBBRIDGE_SECRET_KEY", "QBBRIDGE_METRICS_TOKEN"):
        assert value not in line  # a secret is never shown, even a bad one
    if "hunter2" in value:
        assert "hunter2" not in line
    # Nothing was created either: the check comes before the database.
    assert not (refusal.workdir / "qb.db").exists()


def test_plain_http_for_another_host_starts_when_allowed(tmp_path: Path) -> None:
    port = free_port()
    env = clean_environment(
        QBBRIDGE_DATABASE_URL=f"sqlite:///{tmp_path / 'qb.db'}",
        QBBRIDGE_PUBLIC_URL="http://qb.example.com",
        QBBRIDGE_ALLOW_INSECURE_PUBLIC_URL="1",
        QBBRIDGE_LOG_LEVEL="critical",
    )
    run = run_qbbridge(["config", "check", "--port", str(port)], env, tmp_path)
    assert run.returncode == 0, run.stderr
    assert "QBBRIDGE_PUBLIC_URL" in run.stdout and "http://qb.example.com" in run.stdout


def test_an_unreachable_postgresql_is_retried_briefly_then_named(tmp_path: Path) -> None:
    nobody = free_port()  # nothing listens there
    port = free_port()
    env = clean_environment(
        QBBRIDGE_DATABASE_URL=f"postgresql+psycopg://qbbridge:s3cret@127.0.0.1:{nobody}/qbbridge",
        QBBRIDGE_DATABASE_WAIT_SECONDS="3",
    )
    run = run_qbbridge(["serve", "--port", str(port)], env, tmp_path)
    line = assert_refused(
        run,
        "QBBRIDGE_DATABASE_URL=",
        f"PostgreSQL at 127.0.0.1:{nobody}",
        "Connection refused",
        "tried",
        port=port,
    )
    assert "s3cret" not in line
    # Bounded: it waited for the database about as long as told, not for ever.
    assert 3 <= run.seconds < 30, run.seconds


def test_a_database_that_never_answers_holds_serve_for_the_connect_timeout_only(tmp_path: Path) -> None:
    """A host that accepts the connection and then says nothing (a hung server, a firewall that
    swallows packets) fails the attempt after libpq's connect_timeout, not the system's minutes."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    port = free_port()
    try:
        env = clean_environment(
            QBBRIDGE_DATABASE_URL=f"postgresql+psycopg://qbbridge@127.0.0.1:{silent.getsockname()[1]}/qbbridge",
            QBBRIDGE_DATABASE_WAIT_SECONDS="0",
        )
        run = run_qbbridge(["serve", "--port", str(port)], env, tmp_path)
    finally:
        silent.close()
    assert_refused(run, "cannot connect to PostgreSQL at 127.0.0.1", "timeout", port=port)
    assert 4 <= run.seconds < 20, run.seconds


def test_a_missing_postgresql_database_is_named_at_once(tmp_path: Path) -> None:
    scratch = create_postgres_database()
    drop_postgres_database(scratch)  # its server answers; the database does not exist
    port = free_port()
    env = clean_environment(QBBRIDGE_DATABASE_URL=scratch, QBBRIDGE_DATABASE_WAIT_SECONDS="30")
    run = run_qbbridge(["serve", "--port", str(port)], env, tmp_path)
    parsed = make_url(scratch)
    assert_refused(run, f"PostgreSQL at {parsed.host}:{parsed.port or 5432}", "does not exist", port=port)
    assert run.seconds < 25, "a database that does not exist is not waited for"


def test_an_unusable_sqlite_path_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the database's directory should be")
    port = free_port()
    env = clean_environment(QBBRIDGE_DATABASE_URL=f"sqlite:///{blocker / 'qb.db'}")
    run = run_qbbridge(["serve", "--port", str(port)], env, tmp_path)
    assert_refused(run, "QBBRIDGE_DATABASE_URL=", f"the SQLite file {blocker / 'qb.db'}", port=port)


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_a_schema_from_a_newer_version_is_refused(tmp_path: Path, kind: str) -> None:
    url = create_postgres_database() if kind == "postgresql" else f"sqlite:///{tmp_path / 'newer.db'}"
    try:
        database = Database(url)
        upgrade(database.engine)
        database.dispose()
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        engine.dispose()
        port = free_port()
        run = run_qbbridge(
            ["serve", "--port", str(port)], clean_environment(QBBRIDGE_DATABASE_URL=url), tmp_path
        )
        assert_refused(run, "revision 9999", "does not know", port=port)
    finally:
        if url.startswith("postgresql"):
            drop_postgres_database(url)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_port_in_use_stops_serve_before_it_says_it_listens(tmp_path: Path, workers: int) -> None:
    port = free_port()
    holder = socket.socket()
    holder.bind(("127.0.0.1", port))
    holder.listen()
    try:
        env = clean_environment(QBBRIDGE_DATABASE_URL=f"sqlite:///{tmp_path / 'qb.db'}")
        run = run_qbbridge(["serve", "--port", str(port), "--workers", str(workers)], env, tmp_path)
    finally:
        holder.close()
    assert_refused(run, f"--port {port}", f"cannot listen on 127.0.0.1:{port}", "Address already in use")
