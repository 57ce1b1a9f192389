"""Real qbbridge servers for tests: ``qbbridge serve`` in a subprocess, on a real port, on a real database."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.engine import Database
from db.migrate import upgrade

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def terminate_backend(database: Database, pid: int) -> None:
    """End a PostgreSQL backend, as a restart or an administrator would, and wait until it has exited
    (its socket closed): without the timeout ``pg_terminate_backend`` returns once the signal is sent,
    and the next step could still find the connection open."""
    with database.transaction() as session:
        ended = session.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()
    assert ended, f"backend {pid} did not exit within 5 s"


def postgres_admin_url() -> str:
    return os.environ.get("QBBRIDGE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def create_postgres_database() -> str:
    """A new, empty PostgreSQL database for one test run; returns its SQLAlchemy URL."""
    admin_url = make_url(postgres_admin_url())
    name = f"qbbridge_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    parsed = make_url(url)
    engine = create_engine(make_url(postgres_admin_url()), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    engine.dispose()


@dataclass
class LiveServer:
    base_url: str
    admin_key: str
    database_url: str
    log_path: Path
    process: subprocess.Popen[bytes]
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {self.admin_key}"}, timeout=30
        )

    @property
    def qbwc_url(self) -> str:
        return self.base_url + "/qbwc"

    def log_raw(self) -> str:
        """The log file as written: one JSON object per line (and what ``serve`` prints before it)."""
        return self.log_path.read_text(errors="replace")

    def log_text(self) -> str:
        """The log as a person reads it: each JSON line as ``time [fields] LEVEL logger: message``, its
        traceback on the lines after; other lines as written. Every value of every line is in it."""
        return "\n".join(readable_line(line) for line in self.log_raw().splitlines()) + "\n"

    def stop(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


_READABLE_FIRST = ("timestamp", "level", "logger", "event", "exception")


def readable_line(line: str) -> str:
    if not line.startswith("{"):
        return line
    try:
        record = json.loads(line)
    except ValueError:
        return line
    fields = " ".join(f"{key}={value}" for key, value in record.items() if key not in _READABLE_FIRST)
    text = " ".join(
        part
        for part in (
            record.get("timestamp", ""),
            fields,
            f"{str(record.get('level', '')).upper()} {record.get('logger', '')}: {record.get('event', '')}",
        )
        if part
    )
    return text + ("\n" + record["exception"] if record.get("exception") else "")


def start_server(
    database_url: str,
    workdir: Path,
    *,
    admin_key: str | None = None,
    extra_env: dict[str, str] | None = None,
    workers: int = 1,
    port: int | None = None,
) -> LiveServer:
    port = port or free_port()
    admin_key = admin_key or f"test-admin-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "QBBRIDGE_DATABASE_URL": database_url,
        "QBBRIDGE_ADMIN_API_KEY": admin_key,
        "QBBRIDGE_LOG_LEVEL": "warning",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra_env or {})
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"server-{port}.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "qbbridge.cli", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=workdir,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    server = LiveServer(
        base_url=f"http://127.0.0.1:{port}",
        admin_key=admin_key,
        database_url=database_url,
        log_path=log_path,
        process=process,
    )
    try:
        wait_until_healthy(server.base_url, lambda: process.poll() is None)
    except RuntimeError as exc:
        server.stop()
        raise RuntimeError(f"qbbridge serve {exc}:\n{log_path.read_text(errors='replace')}") from None
    return server


def wait_until_healthy(base_url: str, running: Callable[[], bool], timeout: float = 60) -> None:
    """Return once ``base_url`` answers ``/healthz`` with 200; RuntimeError when ``running`` says the
    server has gone ("exited early") or ``timeout`` seconds pass ("did not start in time")."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not running():
            raise RuntimeError("exited early")
        try:
            if httpx.get(base_url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("did not start in time")


def serving(database_url: str, workdir: Path, **options: Any) -> Iterator[LiveServer]:
    """A server for a fixture to ``yield from``: started with ``start_server``'s ``options``, stopped
    when the fixture's scope ends."""
    server = start_server(database_url, workdir, **options)
    yield server
    server.stop()


def migrated_database(database_url: str) -> Iterator[Database]:
    """The database at ``database_url``, migrated to the head, for a fixture to ``yield from`` (tests
    of the data layer itself, without a server); its connections are closed when the scope ends."""
    database = Database(database_url)
    upgrade(database.engine)
    yield database
    database.dispose()


def scratch_database(kind: str, sqlite_path: Path) -> Iterator[str]:
    """An empty database of the test's own, for a fixture to ``yield from``: a new PostgreSQL database,
    dropped when the scope ends, or (``kind`` "sqlite") a file at ``sqlite_path``."""
    if kind == "sqlite":
        yield f"sqlite:///{sqlite_path}"
        return
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)
