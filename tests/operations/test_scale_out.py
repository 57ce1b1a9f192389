"""Two qbbridge instances on one PostgreSQL behind a real reverse proxy (Debian's Caddy running the
shipped deploy/Caddyfile, over https with Caddy's own CA), as docs/deployment.md describes: every Web Connector call and admin call is free to land on either
instance, and still every job reaches QuickBooks exactly once, in the order its tenant's jobs were
accepted. Also: instances started at the same moment on a new database upgrade it once, not twice."""

from __future__ import annotations

import io
import os
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from simulator.faults import Faults
from simulator.webconnector import WebConnector
from tests.sends.conftest import Customer
from tests.sends.test_queue_order import FLOWS, _assert_rounds_done_once, _customer, _tag
from tests.support.servers import (
    REPO_ROOT,
    LiveServer,
    create_postgres_database,
    drop_postgres_database,
    free_port,
    start_server,
)

CADDY = shutil.which("caddy")
METRICS_TOKEN = "scale-out-metrics-token-0123456789"
CADDYFILE = REPO_ROOT / "deploy" / "Caddyfile"
pytestmark = pytest.mark.skipif(
    CADDY is None, reason="needs Caddy (Debian: apt-get install caddy; scripts/test.sh installs it)"
)


def _start_both(database_url: str, workdir: Path) -> tuple[LiveServer, LiveServer]:
    """Two instances sharing the admin key and the secret key, started at the same moment."""
    env = {
        "QBBRIDGE_SECRET_KEY": Fernet.generate_key().decode(),
        # Access lines say which instance served which call.
        "QBBRIDGE_LOG_LEVEL": "info",
        "QBBRIDGE_METRICS_TOKEN": METRICS_TOKEN,
    }
    admin_key = f"scale-out-admin-{_tag()}{_tag()}"
    with ThreadPoolExecutor(max_workers=2) as pool:
        started = [
            pool.submit(start_server, database_url, workdir / name, admin_key=admin_key, extra_env=env)
            for name in ("a", "b")
        ]
        first, second = (future.result() for future in started)
    return first, second


def _start_caddy(upstreams: list[LiveServer], workdir: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    """Debian's caddy running the shipped deploy/Caddyfile, over https with its own CA (tls internal)."""
    port = free_port()
    env = {
        **os.environ,
        "QBBRIDGE_DOMAIN": f"localhost:{port}",
        "QBBRIDGE_TLS": "internal",
        "QBBRIDGE_UPSTREAMS": " ".join(server.base_url.removeprefix("http://") for server in upstreams),
        "CADDY_ADMIN": "off",
        "CADDY_HTTP_PORT": str(free_port()),
        # Caddy keeps its CA and certificates under XDG_DATA_HOME.
        "XDG_DATA_HOME": str(workdir),
        "XDG_CONFIG_HOME": str(workdir),
        "HOME": str(workdir),
    }
    log_path = workdir / "caddy.log"
    process = subprocess.Popen(
        [str(CADDY), "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env=env,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    root_certificate = workdir / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    base_url = f"https://localhost:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log_path.read_text(errors="replace")
        try:
            if root_certificate.exists():
                trusted = ssl.create_default_context(cafile=str(root_certificate))
                answer = httpx.get(base_url + "/readyz", timeout=1, verify=trusted)
                if answer.status_code == 200:
                    return process, base_url, root_certificate
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"Caddy did not start:\n{log_path.read_text(errors='replace')}")


class Deployment:
    def __init__(self, instances: tuple[LiveServer, LiveServer], proxy: LiveServer) -> None:
        self.instances = instances
        self.proxy = proxy

    def metrics(self) -> list[dict[str, float]]:
        """Each instance's /metrics, scraped from the instance itself (as Prometheus does), summed by
        metric name and the labels given in ``by``."""
        scraped = []
        for server in self.instances:
            answer = httpx.get(
                server.base_url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30
            )
            assert answer.status_code == 200, answer.text
            samples: dict[str, float] = {}
            for family in text_string_to_metric_families(answer.text):
                for sample in family.samples:
                    key = sample.name + "".join(f"|{k}={v}" for k, v in sorted(sample.labels.items()))
                    samples[key] = sample.value
            scraped.append(samples)
        return scraped

    def calls_served(self, path: str) -> list[int]:
        """How many requests to ``path`` each instance answered (from its access log)."""
        return [server.log_text().count(f'"POST {path}') for server in self.instances]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    workdir = tmp_path_factory.mktemp("scale-out")
    database_url = create_postgres_database()
    first, second = _start_both(database_url, workdir)
    caddy, base_url, root_certificate = _start_caddy([first, second], workdir)
    # The proxy stands where one server would: the tests' clients and connectors only know its
    # address, and trust Caddy's CA as a Web Connector's PC would be told to.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SSL_CERT_FILE", str(root_certificate))
        proxy = LiveServer(base_url, first.admin_key, database_url, workdir / "caddy.log", caddy)
        yield Deployment((first, second), proxy)
        proxy.stop()
    first.stop()
    second.stop()
    drop_postgres_database(database_url)


def test_instances_started_at_once_on_a_new_database_upgrade_it_once(deployment: Deployment) -> None:
    for server in deployment.instances:
        ready = httpx.get(server.base_url + "/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        assert "Traceback" not in server.log_text()
    upgrades = [server.log_text().count("Running upgrade  -> 0001") for server in deployment.instances]
    assert sorted(upgrades) == [0, 1], f"each instance's count of the first migration: {upgrades}"


def test_calls_landing_on_either_instance_deliver_every_job_once_in_order(deployment: Deployment) -> None:
    """Four tenants at once, each with a mixed queue of multi-step jobs; half is queued before its
    connector starts and half while its sessions run. Calls alternate between the instances (round
    robin per request, so one Web Connector session's calls are served by both)."""
    kinds = ["salesOrder", "inventory", "purchaseOrder", "productionOrder", "raw"]
    customers = [_customer(deployment.proxy) for _ in range(4)]
    before = deployment.calls_served("/qbwc")

    def run_tenant(customer: Customer) -> list[str]:
        jobs = [FLOWS[name].queue(customer, _tag()) for name in kinds]
        done = threading.Event()

        def queue_more() -> None:
            for name in kinds:
                jobs.append(FLOWS[name].queue(customer, _tag()))
                time.sleep(0.05)
            done.set()

        adder = threading.Thread(target=queue_more)
        adder.start()
        idle = 0
        while not (done.is_set() and idle >= 3):
            connector = WebConnector(
                customer.server.qbwc_url, customer.username, customer.token, customer.qb,
                noop_pause=0.01, faults=Faults(), out=io.StringIO(),
            )  # fmt: skip
            result = connector.run_session()
            assert result.ok, result
            idle = 0 if result.requests_sent else idle + 1
            time.sleep(0.02)
        adder.join()
        customer.sync_until_idle()
        return jobs

    with ThreadPoolExecutor(max_workers=len(customers)) as pool:
        queued = list(pool.map(run_tenant, customers))

    for customer, jobs in zip(customers, queued, strict=True):
        _assert_rounds_done_once(customer, jobs, 2)

    served = [
        after - earlier for after, earlier in zip(deployment.calls_served("/qbwc"), before, strict=True)
    ]
    assert min(served) > 0.3 * sum(served), f"Web Connector calls per instance: {served}"
    for server in deployment.instances:
        assert "Traceback" not in server.log_text()

    # The instances' /metrics add up to what was done: each counted the Web Connector calls it
    # answered (its access log says which), and together the jobs the database holds as finished.
    scraped = deployment.metrics()
    for server, samples in zip(deployment.instances, scraped, strict=True):
        counted = sum(v for k, v in samples.items() if k.startswith("qbbridge_web_connector_calls_total|"))
        assert counted == server.log_text().count('"POST /qbwc'), counted
    finished = sum(
        v for samples in scraped for k, v in samples.items() if k.startswith("qbbridge_jobs_finished_total|")
    )
    succeeded = sum(
        v
        for samples in scraped
        for k, v in samples.items()
        if k.startswith("qbbridge_jobs_finished_total|") and "|status=succeeded" in k
    )
    engine = create_engine(deployment.proxy.database_url)
    with engine.connect() as connection:
        in_database = connection.execute(
            text("SELECT count(*) FROM jobs WHERE finished_at IS NOT NULL")
        ).scalar()
    engine.dispose()
    assert finished == succeeded == in_database == sum(len(jobs) for jobs in queued)
    # Both report the same queue, read from the one database.
    assert [samples["qbbridge_steps_waiting|state=queued"] for samples in scraped] == [0, 0]
