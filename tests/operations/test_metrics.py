"""``/metrics`` over real HTTP: its token, and with ``--workers 2`` the counters of both workers added up
to exactly what simulated Web Connectors and admin calls did (whichever worker answers the scrape,
and after a worker died)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest
from lxml import etree
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event

from db.engine import Database
from db.migrate import upgrade
from qbbridge.metrics import FIGURES_CACHE_SECONDS, QueueFiguresCache
from tests.foundation.helpers import new_tenant, queue_raw
from tests.support.servers import LiveServer, create_postgres_database, drop_postgres_database, start_server
from tests.support.webconnector import WebConnectorClient, answer_for, customer_query

TOKEN = "metrics-" + uuid.uuid4().hex


def scrape(server: LiveServer, token: str = TOKEN) -> dict[str, float]:
    """Every sample of one scrape: ``name{labels}`` → value, read with prometheus-client's own parser."""
    response = httpx.get(
        server.base_url + "/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for found in family.samples:
            key = _key(found.name, found.labels)
            assert key not in samples, f"{key} appears twice"
            samples[key] = found.value
    return samples


def _key(name: str, labels: dict[str, str]) -> str:
    return name + "".join(f"|{k}={v}" for k, v in sorted(labels.items()))


def sample(samples: dict[str, float], name: str, **labels: str) -> float:
    return samples.get(_key(name, labels), 0.0)


def test_metrics_answer_404_without_a_token_configured(tmp_path: Path) -> None:
    server = start_server(f"sqlite:///{tmp_path / 'qb.db'}", tmp_path)
    try:
        response = httpx.get(server.base_url + "/metrics", headers={"Authorization": "Bearer anything"})
        assert response.status_code == 404
        # The admin key does not open it either: metrics are off until a token is configured.
        assert httpx.get(server.base_url + "/metrics", headers=server.client.headers).status_code == 404
    finally:
        server.stop()


def test_metrics_need_their_own_token(tmp_path: Path) -> None:
    server = start_server(
        f"sqlite:///{tmp_path / 'qb.db'}", tmp_path, extra_env={"QBBRIDGE_METRICS_TOKEN": TOKEN}
    )
    try:
        missing = httpx.get(server.base_url + "/metrics")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        assert "QBBRIDGE_METRICS_TOKEN" in missing.json()["detail"]
        wrong = httpx.get(server.base_url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}x"})
        assert wrong.status_code == 403
        admin = httpx.get(
            server.base_url + "/metrics", headers={"Authorization": f"Bearer {server.admin_key}"}
        )
        assert admin.status_code == 403
        samples = scrape(server)
        assert sample(samples, "qbbridge_steps_waiting", state="queued") == 0
        assert sample(samples, "qbbridge_web_connector_last_contact_timestamp_seconds") == 0
        # The refused scrapes are counted like any other request, by route.
        assert (
            sample(samples, "qbbridge_admin_requests_total", route="/metrics", method="GET", status="401")
            == 1
        )
        assert (
            sample(samples, "qbbridge_admin_requests_total", route="/metrics", method="GET", status="403")
            == 2
        )
    finally:
        server.stop()


def _worker_pids(server: LiveServer, count: int) -> list[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = psutil.Process(server.process.pid).children()
        workers = [child.pid for child in children if "resource_tracker" not in " ".join(child.cmdline())]
        if len(workers) >= count:
            return workers[:count]
        time.sleep(0.2)
    raise AssertionError("the workers did not start")


def _metrics_dir(worker_pid: int) -> Path:
    environ = psutil.Process(worker_pid).environ()
    return Path(environ["PROMETHEUS_MULTIPROC_DIR"])


TENANTS = 3
JOBS_PER_TENANT = 12
CONNECTORS = 6
BAD_LOGINS = 4
FAILING_MARKER = "-FAIL"


@pytest.fixture
def own_postgres() -> Iterator[str]:
    """A database of this test's own: the queue's gauges count every step in it."""
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


def test_two_workers_add_up_to_what_the_connectors_did(own_postgres: str, tmp_path: Path) -> None:
    server = start_server(
        own_postgres,
        tmp_path,
        workers=2,
        # Every Web Connector call on a fresh connection: the kernel spreads them over both workers.
        extra_env={"QBBRIDGE_METRICS_TOKEN": TOKEN, "QBBRIDGE_CALLS_PER_CONNECTION": "1"},
    )
    try:
        workers = _worker_pids(server, 2)
        tenants = [new_tenant(server.client, f"Metrics {i}") for i in range(TENANTS)]
        failing = 0
        for index, tenant in enumerate(tenants):
            for number in range(JOBS_PER_TENANT):
                fails = number % 4 == 3
                failing += fails
                queue_raw(
                    server.client,
                    tenant.id,
                    customer_query(f"T{index}-J{number}{FAILING_MARKER if fails else ''}"),
                )
        jobs = TENANTS * JOBS_PER_TENANT
        before = scrape(server)
        assert sample(before, "qbbridge_steps_waiting", state="queued") == jobs
        assert sample(before, "qbbridge_oldest_queued_step_age_seconds") >= 0
        assert (
            sample(
                before,
                "qbbridge_admin_requests_total",
                route="/api/v1/tenants/{tenant_id}/qbxml",
                method="POST",
                status="202",
            )
            == jobs
        )

        for _ in range(BAD_LOGINS):
            wc = WebConnectorClient(server.qbwc_url)
            assert wc.authenticate(tenants[0].username, "not-the-token") == ["", "nvu"]

        calls: dict[str, int] = {}
        codes: dict[str, int] = {}

        def count(method: str) -> None:
            calls[method] = calls.get(method, 0) + 1

        def connector(worker: int) -> None:
            tenant = tenants[worker % TENANTS]
            wc = WebConnectorClient(server.qbwc_url)
            while True:
                ticket, status = wc.authenticate(tenant.username, tenant.token)
                count(f"authenticate/{'no_work' if status == 'none' else 'work'}")
                if status == "none":
                    wc.close_connection(ticket)
                    count("closeConnection/ok")
                    return
                while True:
                    request_xml = wc.send_request_xml(ticket)
                    count(f"sendRequestXML/{'request' if request_xml else 'nothing'}")
                    if not request_xml:
                        break
                    failing_here = FAILING_MARKER in request_xml
                    code = 3100 if failing_here else 0
                    for _ in etree.fromstring(request_xml.encode()).find("QBXMLMsgsRq"):
                        codes[str(code)] = codes.get(str(code), 0) + 1
                    answer = answer_for(
                        request_xml,
                        status_code=code,
                        severity="Error" if failing_here else "Info",
                        message="The name is already in use." if failing_here else "Status OK",
                    )
                    progress = wc.receive_response_xml(ticket, answer)
                    count(
                        f"receiveResponseXML/{'done' if progress >= 100 else 'error' if progress < 0 else 'more'}"
                    )
                    if progress < 0:
                        wc.get_last_error(ticket)
                        count("getLastError/message")
                    if progress >= 100 or progress < 0:
                        break
                wc.close_connection(ticket)
                count("closeConnection/ok")

        with ThreadPoolExecutor(max_workers=CONNECTORS) as pool:
            list(pool.map(connector, range(CONNECTORS)))

        # Both workers served calls: each wrote its own counters.
        directory = _metrics_dir(workers[0])
        assert directory == _metrics_dir(workers[1])
        written = {path.name for path in directory.iterdir()}
        for pid in workers:
            assert f"counter_{pid}.db" in written, written

        # The queue's gauges are read again once the cached figures are older than their age limit.
        time.sleep(FIGURES_CACHE_SECONDS + 0.5)
        scrapes = [scrape(server) for _ in range(6)]
        for after in scrapes:
            for key, expected in calls.items():
                method, outcome = key.split("/")
                assert (
                    sample(after, "qbbridge_web_connector_calls_total", method=method, outcome=outcome)
                    == expected
                ), key
            assert (
                sample(after, "qbbridge_web_connector_calls_total", method="authenticate", outcome="refused")
                == BAD_LOGINS
            )
            assert sample(after, "qbbridge_authenticate_failures_total") == BAD_LOGINS
            answered = sum(v for k, v in calls.items() if k.startswith("receiveResponseXML/"))
            assert (
                sample(after, "qbbridge_web_connector_call_seconds_count", method="receiveResponseXML")
                == answered
            )
            assert sample(after, "qbbridge_jobs_finished_total", flow="raw_qbxml", status="failed") == failing
            assert (
                sample(after, "qbbridge_jobs_finished_total", flow="raw_qbxml", status="succeeded")
                == jobs - failing
            )
            assert (
                sample(after, "qbbridge_quickbooks_status_codes_total", code="3100")
                == codes["3100"]
                == failing
            )
            assert sample(after, "qbbridge_quickbooks_status_codes_total", code="0") == codes["0"]
            assert sample(after, "qbbridge_steps_waiting", state="queued") == 0
            assert sample(after, "qbbridge_steps_waiting", state="in_flight") == 0
            assert sample(after, "qbbridge_web_connector_last_contact_timestamp_seconds") > time.time() - 600

        # A worker that dies is replaced; what it counted stays in the totals.
        total = sample(
            scrapes[-1], "qbbridge_web_connector_calls_total", method="authenticate", outcome="work"
        )
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            current = [c.pid for c in psutil.Process(server.process.pid).children() if c.pid != workers[0]]
            if len([pid for pid in current if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]) >= 3:
                break
            time.sleep(0.2)
        for _ in range(4):
            after = scrape(server)
            assert (
                sample(after, "qbbridge_web_connector_calls_total", method="authenticate", outcome="work")
                == total
            )
    finally:
        server.stop()
    # The supervisor removes the directory when it stops.
    assert not directory.exists()


def test_the_queue_figures_cost_one_query_per_cache_age(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'qb.db'}")
    upgrade(database.engine)
    statements: list[str] = []
    event.listen(database.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    cache = QueueFiguresCache(database, session_timeout=dt.timedelta(minutes=30), max_age=60)
    for _ in range(10):
        figures = cache.get()
    assert cache.reads == 1
    # SQLite's own BEGIN aside, one statement.
    assert [s for s in statements if s != "BEGIN"] == statements[-1:], statements
    assert figures.steps_waiting == {"queued": 0, "in_flight": 0, "unknown_outcome": 0}
    uncached = QueueFiguresCache(database, session_timeout=dt.timedelta(minutes=30), max_age=0)
    uncached.get()
    uncached.get()
    assert uncached.reads == 2
    database.dispose()
