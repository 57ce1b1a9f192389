"""PostgreSQL restarted for real while Web Connectors send orders and the admin API is busy.

Every job is delivered exactly once, no call answers 500 or a SOAP fault, and no traceback reaches
the log. The restart (``pg_ctlcluster`` stop, then start once a Web Connector call and an admin call
have met the outage: usually within a second, at most ``OUTAGE_LIMIT``) stops the whole local
cluster, which other tests sharing it see too: it is marked ``postgres_restart`` so it can be run
alone (``-m postgres_restart``) or left out (``-m "not postgres_restart"``); the suite runs it.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from simulator.webconnector import SessionResult, WebConnector
from tests.sends.conftest import new_company
from tests.support.payloads import SALES_ORDER
from tests.support.servers import (
    LiveServer,
    create_postgres_database,
    drop_postgres_database,
    postgres_admin_url,
    start_server,
)

pytestmark = pytest.mark.postgres_restart

TENANTS = 3
ORDERS_BEFORE = 5  # queued before the connectors start
ORDERS_DURING = 3  # sent through the admin API while they run
# How long the simulated QuickBooks takes per request, so sessions are in progress when it restarts.
QUICKBOOKS_SECONDS = 0.3
# The longest the cluster stays down (it comes back as soon as the calls above met the outage).
OUTAGE_LIMIT = 15


@dataclass
class Cluster:
    version: str
    name: str

    def stop(self) -> None:
        self._run("stop")

    def start(self) -> None:
        self._run("start")

    def _run(self, action: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", "-m", "fast", self.version, self.name, action],
            check=True,
            capture_output=True,
            timeout=120,
        )


def _local_cluster() -> Cluster:
    url = make_url(postgres_admin_url())
    if url.host not in ("127.0.0.1", "localhost") or shutil.which("pg_ctlcluster") is None:
        pytest.skip(f"restarting PostgreSQL needs a local Debian cluster (pg_ctlcluster) at {url.host}")
    listing = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True)
    for line in listing.stdout.splitlines():
        version, name, port, *_ = line.split()
        if int(port) == (url.port or 5432):
            return Cluster(version, name)
    pytest.skip(f"no local PostgreSQL cluster listens on port {url.port or 5432}")


def _started_at() -> Any:
    engine = create_engine(postgres_admin_url())
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT pg_postmaster_start_time()")).scalar_one()
    finally:
        engine.dispose()


def _wait_for_postgresql(timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _started_at()
            return
        except Exception:
            time.sleep(0.2)
    raise AssertionError("PostgreSQL did not come back after the restart")


@dataclass
class Tenant:
    id: str
    username: str
    token: str
    codes: list[str]
    qb: Any = field(default_factory=new_company)
    sessions: list[SessionResult] = field(default_factory=list)


@dataclass
class Seen:
    responses: list[tuple[str, int, dict[str, str], str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def unavailable(self) -> bool:
        with self.lock:
            return any(status == 503 for _, status, _, _ in self.responses)

    def add(self, what: str, response: httpx.Response) -> None:
        with self.lock:
            self.responses.append((what, response.status_code, dict(response.headers), response.text))


OUTAGE_LOG = re.compile(
    r"(authenticate|clientVersion|sendRequestXML|receiveResponseXML|getLastError|closeConnection"
    r"|connectionError): the database is unavailable"
)


def _connector_met_outage(server: LiveServer) -> bool:
    return OUTAGE_LOG.search(server.log_text()) is not None


def _send_order(admin: httpx.Client, seen: Seen, tenant: Tenant, code: str) -> None:
    """POST a sales order, sending it again after a 503 (as its Retry-After asks) until accepted."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        response = admin.post(f"/api/v1/tenants/{tenant.id}/sales-orders", json={**SALES_ORDER, "code": code})
        seen.add(f"POST sales-order {code}", response)
        if response.status_code == 202:
            return
        assert response.status_code == 503, response.text
        time.sleep(min(float(response.headers["retry-after"]), 1.0))
    raise AssertionError(f"sales order {code} was never accepted")


def _run_connector(server: LiveServer, tenant: Tenant, stop: threading.Event) -> None:
    """Web Connector sessions for the tenant, one after another, as its scheduler would run them."""
    while not stop.is_set():
        connector = WebConnector(
            server.qbwc_url,
            tenant.username,
            tenant.token,
            tenant.qb,
            noop_pause=0.5,
            slow=QUICKBOOKS_SECONDS,
            out=io.StringIO(),
        )
        tenant.sessions.append(connector.run_session())
        time.sleep(0.2)


def _read_continuously(admin: httpx.Client, seen: Seen, tenants: list[Tenant], stop: threading.Event) -> None:
    while not stop.is_set():
        for tenant in tenants:
            seen.add("GET jobs", admin.get(f"/api/v1/tenants/{tenant.id}/jobs"))
            seen.add("GET links", admin.get(f"/api/v1/tenants/{tenant.id}/links"))
        seen.add("GET version", admin.get("/api/v1/version"))
        time.sleep(0.05)


def _jobs(admin: httpx.Client, tenant: Tenant) -> list[dict[str, Any]]:
    response = admin.get(f"/api/v1/tenants/{tenant.id}/jobs", params={"limit": 100})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_every_order_is_delivered_once_across_a_postgresql_restart(tmp_path: Path) -> None:
    cluster = _local_cluster()
    url = create_postgres_database()
    server = start_server(
        url,
        tmp_path,
        workers=2,
        # One order per message set: sessions last long enough to be cut in the middle.
        extra_env={
            "QBBRIDGE_SUPERSEDE_AFTER_SECONDS": "1",
            "QBBRIDGE_PUSH_INTERVAL_SECONDS": "0",
            "QBBRIDGE_REQUESTS_PER_MESSAGE": "1",
        },
    )
    admin = httpx.Client(base_url=server.base_url, headers=server.client.headers, timeout=60)
    seen = Seen()
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        tenants = []
        for number in range(TENANTS):
            created = admin.post(
                "/api/v1/tenants", json={"name": f"Restart {number} {uuid.uuid4().hex[:6]}"}
            ).json()
            token = admin.post(f"/api/v1/tenants/{created['id']}/token").json()["token"]
            codes = [f"SO-R{number}-{n}" for n in range(ORDERS_BEFORE + ORDERS_DURING)]
            tenants.append(Tenant(created["id"], created["qbwcUsername"], token, codes))
        for tenant in tenants:
            for code in tenant.codes[:ORDERS_BEFORE]:
                _send_order(admin, seen, tenant, code)

        threads = [threading.Thread(target=_run_connector, args=(server, t, stop)) for t in tenants]
        threads.append(threading.Thread(target=_read_continuously, args=(admin, seen, tenants, stop)))
        for thread in threads:
            thread.start()
        # Restart once the connectors are under way: some orders delivered, most not yet.
        deadline = time.monotonic() + 60
        while sum(job["status"] == "succeeded" for t in tenants for job in _jobs(admin, t)) < TENANTS:
            assert time.monotonic() < deadline, "the connectors delivered nothing"
            time.sleep(0.05)
        before = _started_at()
        senders = [
            threading.Thread(
                target=lambda t=t: [_send_order(admin, seen, t, c) for c in t.codes[ORDERS_BEFORE:]]
            )
            for t in tenants
        ]
        for sender in senders:
            sender.start()
        # A restart, held down only until both a Web Connector call and an admin call met it (a
        # plain restart can fall between their calls), and at most OUTAGE_LIMIT seconds.
        cluster.stop()
        try:
            deadline = time.monotonic() + OUTAGE_LIMIT
            while time.monotonic() < deadline and not (_connector_met_outage(server) and seen.unavailable()):
                time.sleep(0.05)
        finally:
            cluster.start()
        _wait_for_postgresql()
        assert _started_at() != before, "PostgreSQL was restarted"
        for sender in senders:
            sender.join(timeout=150)

        deadline = time.monotonic() + 180
        while True:
            statuses = [job["status"] for t in tenants for job in _jobs(admin, t)]
            # A send repeated after a 503 may add a job that reports the order already sent.
            if len(statuses) >= TENANTS * len(tenants[0].codes) and set(statuses) == {"succeeded"}:
                break
            assert time.monotonic() < deadline, f"not every order was delivered: {statuses}"
            time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        admin.close()
        server.stop()
        log = server.log_text()
        drop_postgres_database(url)

    # Exactly once: one sales order in each QuickBooks company per code, linked to its job.
    for tenant in tenants:
        orders = tenant.qb.company.sales_orders
        assert len(orders) == len(tenant.codes), [o.get("RefNumber") for o in orders]
        assert len({order["TxnID"] for order in orders}) == len(tenant.codes)
    # No 500: while the database was away, calls answered 503 with Retry-After, in JSON.
    assert any(status == 503 for _, status, _, _ in seen.responses), "the restart met admin calls"
    for what, status, headers, body in seen.responses:
        assert status < 500 or status == 503, (what, status, body)
        if status == 503:
            assert headers.get("retry-after") == "5" and "database is unavailable" in body, (what, body)
    # No SOAP fault: every session ended with an answer of the protocol.
    assert OUTAGE_LOG.search(log), "the restart met Web Connector calls"
    for tenant in tenants:
        for session in tenant.sessions:
            assert not re.search(r"SOAP fault|HTTP 5\d\d", session.last_error), session.last_error
    assert "Traceback" not in log, log[-5000:]
