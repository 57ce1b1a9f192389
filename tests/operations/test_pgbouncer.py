"""qbbridge through PgBouncer (Debian's package), as docs/deployment.md ("Connection pooling") says:
session pooling with a server pool as large as qbbridge's connections, transaction pooling with
QBBRIDGE_DATABASE_PREPARED_STATEMENTS=0 and a server pool smaller than qbbridge's clients, so
transactions really do move between server connections. Several tenants' mixed queues drained by
their connectors at once: every job succeeds, once, in order."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.sends.conftest import Customer
from tests.sends.test_queue_order import FLOWS, _assert_in_order, _customer, _tag
from tests.support.servers import (
    LiveServer,
    create_postgres_database,
    drop_postgres_database,
    free_port,
    start_server,
)

PGBOUNCER = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)
pytestmark = pytest.mark.skipif(
    PGBOUNCER is None or shutil.which("runuser") is None,
    reason="needs PgBouncer (Debian: apt-get install pgbouncer; scripts/test.sh installs it)",
)


@contextmanager
def _pgbouncer(mode: str, backend_host: str, backend_port: int, pool_size: int) -> Iterator[int]:
    # PgBouncer refuses to run as root; it runs as the postgres user, in a folder that user can read.
    folder = Path(tempfile.mkdtemp(prefix="qbbridge-pgbouncer-"))
    folder.chmod(0o777)
    port = free_port()
    (folder / "users.txt").write_text('"postgres" ""\n')
    config = folder / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"* = host={backend_host} port={backend_port}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'users.txt'}\n"
        f"pool_mode = {mode}\n"
        f"default_pool_size = {pool_size}\nmax_client_conn = 200\n"
        "ignore_startup_parameters = extra_float_digits\n"
    )
    for path in folder.iterdir():
        path.chmod(0o644)
    process = subprocess.Popen(
        ["runuser", "-u", "postgres", "--", str(PGBOUNCER), str(config)],
        stdout=(folder / "pgbouncer.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, (folder / "pgbouncer.log").read_text(errors="replace")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


# A session-pooled client keeps its server connection while it stays connected, and each qbbridge
# worker's pool keeps up to 30 connections (10 resting, 20 more in a burst): two workers need up to
# 60 server connections, or one worker waits for a connection the other's pool is resting.
# Transaction pooling needs no such room: 3 server connections for the same two workers, so
# consecutive transactions of one client run on different server connections.
WORKERS = 2
SESSION_POOL_SIZE = WORKERS * 30


@pytest.mark.parametrize(
    ("mode", "pool_size", "extra_env"),
    [
        ("session", SESSION_POOL_SIZE, {}),
        ("transaction", 3, {"QBBRIDGE_DATABASE_PREPARED_STATEMENTS": "0"}),
    ],
)
def test_connectors_and_admin_calls_through_pgbouncer_deliver_every_job_once_in_order(
    mode: str, pool_size: int, extra_env: dict[str, str], tmp_path: Path
) -> None:
    database_url = create_postgres_database()
    direct = make_url(database_url)
    with _pgbouncer(mode, direct.host or "127.0.0.1", direct.port or 5432, pool_size) as port:
        through_pooler = direct.set(port=port).render_as_string(hide_password=False)
        server = start_server(through_pooler, tmp_path, workers=WORKERS, extra_env=extra_env)
        try:
            _drain_three_tenants(server)
        finally:
            server.stop()
    drop_postgres_database(database_url)


def _drain_three_tenants(server: LiveServer) -> None:
    kinds = ["salesOrder", "inventory", "purchaseOrder", "productionOrder", "raw"] * 2

    def run_tenant(customer: Customer) -> list[str]:
        jobs = [FLOWS[name].queue(customer, _tag()) for name in kinds]
        customer.sync_until_idle(limit=20)
        return jobs

    customers = [_customer(server) for _ in range(3)]
    with ThreadPoolExecutor(max_workers=len(customers)) as pool:
        queued = list(pool.map(run_tenant, customers))
    for customer, jobs in zip(customers, queued, strict=True):
        assert [customer.job(job_id)["status"] for job_id in jobs] == ["succeeded"] * len(jobs)
        _assert_in_order(customer, jobs)
        assert len(customer.qb.company.sales_orders) == 2
        assert len(customer.qb.company.purchase_orders) == 2
    log = server.log_text()
    assert "Traceback" not in log and "prepared statement" not in log, log[-3000:]
