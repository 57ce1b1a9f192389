"""Soak benchmark: many tenants, each with a simulated QuickBooks company and Web Connector, in rounds
for a long time, against ``qbbridge serve`` on PostgreSQL over loopback HTTP.

Every ``--interval`` seconds a round starts: each tenant gets a few sends through the admin API (sales
orders, purchase orders, inventory) and, one round in ``--retrieve-every``, a retrieval of the sales
orders entered in its QuickBooks since its previous one, whose imports it then acknowledges as Fusion
Operations would; then every tenant's Web Connector syncs (sessions until the server has nothing more
for it), the connectors starting evenly over ``--spread`` seconds (0, the default: all at once, the
worst case of every customer polling on the same minute). The companies live in ``--connectors``
processes for the whole run, so they grow as real ones do.

Per round it prints the server's resident memory (the ``serve`` process and its workers, summed), the
jobs waiting at the round's start, after the sends and at its end, the Web Connector's call latency
(p50, p99), the jobs finished and the failures; at the end, whether memory stayed flat, the queue
drained every round and the p99 stayed steady.

    .venv/bin/python bench/soak.py [--tenants 40] [--minutes 5] [--interval 60] [--spread 0]
    .venv/bin/python bench/soak.py --tenants 200 --minutes 30 --spread 40   # issue 19's full run
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import multiprocessing
import secrets
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import machine
from bench.loadgen import StdlibConnection, percentile
from bench.memory import PeakRss, tree_rss
from bench.tenants import new_tenant
from simulator.company import Company
from simulator.quickbooks import QuickBooks
from simulator.webconnector import WebConnector
from tests.sends.conftest import COMPANY_SETUP, INVENTORY
from tests.simulator.conftest import message_set
from tests.support.payloads import PURCHASE_ORDER, SALES_ORDER
from tests.support.servers import create_postgres_database, drop_postgres_database, start_server

# Memory is "flat" when the last rounds hold at most this much more than the first ones after the
# first round (which warms caches and pools up), and p99 "steady" when the last rounds' is at most
# this multiple of the first ones'. On a shared 2-core machine both are read with the machine line.
FLAT_MEMORY_GROWTH = 0.10
STEADY_P99_RATIO = 1.5


def send(tenant_index: int, round_number: int, number: int) -> tuple[str, dict]:
    """One send of a tenant's round: half sales orders, three in ten purchase orders, one in five
    inventory counts, codes unique over the run."""
    code = f"{round_number}-{number}"
    kind = (tenant_index + number) % 10
    if kind < 5:
        return "/sales-orders", {**SALES_ORDER, "code": f"SO-{code}"}
    if kind < 8:
        return "/purchase-orders", {**PURCHASE_ORDER, "code": f"PO-{code}"}
    return "/inventory", INVENTORY


class TimedConnection(StdlibConnection):
    """The standard-library connection of ``bench/loadgen.py``, timing every Web Connector call."""

    def __init__(self, timeout: float, latencies: list[float]) -> None:
        super().__init__(timeout)
        self.latencies = latencies

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        started = time.perf_counter()
        try:
            return super().post(url, body, headers)
        finally:
            self.latencies.append(time.perf_counter() - started)


@dataclass
class SyncReport:
    """What one connector process saw in one round."""

    latencies: list[float] = field(default_factory=list)
    sessions: int = 0
    failed_sessions: int = 0
    errors: list[str] = field(default_factory=list)


def enter_sales_orders(qb: QuickBooks, prefix: str, count: int) -> None:
    """Sales orders someone enters in QuickBooks itself, for the retrievals to bring to Fusion
    Operations (the ones qbbridge sent are not brought back)."""
    if not count:
        return
    line = (
        "<SalesOrderLineAdd><ItemRef><FullName>WIDGET-1</FullName></ItemRef>"
        "<Quantity>2</Quantity><Rate>12.50</Rate></SalesOrderLineAdd>"
    )
    qb.process(
        message_set(
            *(
                f"<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>ACME</FullName></CustomerRef>"
                f"<RefNumber>Q{prefix}-{n}</RefNumber>{line}</SalesOrderAdd></SalesOrderAddRq>"
                for n in range(count)
            )
        )
    )


def connector_process(url: str, tenants: list[tuple[str, str, float]], pipe: Pipe) -> None:
    """Holds the QuickBooks companies of these tenants (username, token, the fraction of the spread
    after which its connector starts) for the whole run; on each message from the parent, syncs every
    one of them (a thread each) until the server has nothing more."""
    companies = {}
    for username, _, _ in tenants:
        qb = QuickBooks(Company.new("Soak"), use_default_schema=False)
        qb.process(COMPANY_SETUP)
        companies[username] = qb
    pipe.send("ready")

    def sync(username: str, token: str, start: float, report: SyncReport, lock: threading.Lock) -> None:
        time.sleep(start)
        latencies: list[float] = []
        sessions = failed = 0
        errors: list[str] = []
        # A connector whose sessions keep failing would loop forever; a real one waits for its next
        # scheduled poll, as this one does after a bounded number of sessions.
        for _ in range(50):
            connector = WebConnector(
                url,
                username,
                token,
                companies[username],
                noop_pause=0.01,
                out=io.StringIO(),
                connect=lambda timeout: TimedConnection(timeout, latencies),
            )
            result = connector.run_session()
            sessions += 1
            if not result.ok:
                failed += 1
                errors.append(result.last_error or "session failed")
            if result.auth_status == "none":
                break
        with lock:
            report.latencies.extend(latencies)
            report.sessions += sessions
            report.failed_sessions += failed
            report.errors.extend(errors)

    with ThreadPoolExecutor(max_workers=len(tenants)) as pool:
        while True:
            command = pipe.recv()
            if command == "stop":
                break
            _, round_number, entered, spread = command
            for number, qb in enumerate(companies.values()):
                enter_sales_orders(qb, f"{round_number}-{number}", entered)
            report = SyncReport()
            lock = threading.Lock()
            list(
                pool.map(
                    lambda tenant, r=report, k=lock, d=spread: sync(
                        tenant[0], tenant[1], tenant[2] * d, r, k
                    ),
                    tenants,
                )
            )
            pipe.send(report)


def server_call_buckets(client: httpx.Client, token: str) -> dict[float, float]:
    """The server's own histogram of Web Connector call times (``/metrics``), all methods together:
    upper bound in seconds → calls answered within it, counted since the server started."""
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    answer.raise_for_status()
    buckets: dict[float, float] = {}
    for family in text_string_to_metric_families(answer.text):
        if family.name != "qbbridge_web_connector_call_seconds":
            continue
        for sample in family.samples:
            if sample.name.endswith("_bucket"):
                bound = float(sample.labels["le"])
                buckets[bound] = buckets.get(bound, 0) + sample.value
    return buckets


def server_p99(before: dict[float, float], after: dict[float, float]) -> float:
    """The upper bound of the bucket holding the 99th percentile of the calls between two readings."""
    counts = sorted((bound, after[bound] - before.get(bound, 0)) for bound in after)
    total = counts[-1][1] if counts else 0
    for bound, within in counts:
        if within >= 0.99 * total:
            return bound
    return float("inf")


def job_counts(engine: Engine) -> dict[str, int]:
    """Jobs by status, read from the database directly so the figures do not load the server."""
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT status, count(*) FROM jobs GROUP BY status")).all()
    return {status: int(count) for status, count in rows}


def waiting(counts: dict[str, int]) -> int:
    return counts.get("queued", 0) + counts.get("in_flight", 0)


FAILED_STATUSES = ("failed", "unknown_outcome", "cancelled")


@dataclass
class Round:
    number: int
    rss_end: int
    rss_peak: int
    waiting_start: int
    waiting_queued: int
    waiting_end: int
    p50: float
    p99: float
    server_p99: float
    calls: int
    sessions: int
    jobs_done: int
    failures: int
    seconds: float
    queue_seconds: float
    sync_seconds: float


def queue_round(
    client: httpx.Client,
    tenants: list[dict],
    round_number: int,
    sends: int,
    retrieve_every: int,
    since: dict[str, str],
) -> tuple[int, list[str], list[str]]:
    """The admin API's part of a round, on ``client``: returns the jobs accepted, the refusals, and
    the tenants that were asked for a retrieval."""
    accepted = 0
    refusals: list[str] = []
    retrieving: list[str] = []
    for index, tenant in enumerate(tenants):
        base = f"/api/v1/tenants/{tenant['id']}"
        for number in range(sends):
            path, body = send(index, round_number, number)
            answer = client.post(base + path, json=body)
            if answer.status_code == 202:
                accepted += 1
            else:
                refusals.append(f"{path}: {answer.status_code} {answer.text[:200]}")
        if (index + round_number) % retrieve_every == 0:
            answer = client.post(
                base + "/retrievals", json={"entities": ["salesOrder"], "since": since[tenant["id"]]}
            )
            if answer.status_code == 202:
                accepted += 1
                retrieving.append(tenant["id"])
            else:
                refusals.append(f"/retrievals: {answer.status_code} {answer.text[:200]}")
    return accepted, refusals, retrieving


def acknowledge_imports(client: httpx.Client, tenant_ids: list[str]) -> tuple[int, list[str]]:
    """Fusion Operations reading and acknowledging what the retrievals brought."""
    acknowledged = 0
    refusals: list[str] = []
    for tenant_id in tenant_ids:
        base = f"/api/v1/tenants/{tenant_id}/imports"
        while True:
            page = client.get(base, params={"status": "pending", "limit": 500})
            if page.status_code != 200:
                refusals.append(f"GET imports: {page.status_code}")
                break
            ids = [item["id"] for item in page.json()["items"]]
            if not ids:
                break
            answer = client.post(base + "/ack", json={"ids": ids})
            if answer.status_code != 200:
                refusals.append(f"POST imports/ack: {answer.status_code}")
                break
            acknowledged += len(ids)
    return acknowledged, refusals


def verdicts(rounds: list[Round]) -> list[str]:
    lines = []
    steady = rounds[1:] if len(rounds) > 2 else rounds
    half = max(1, len(steady) // 2)
    first, last = steady[:half], steady[-half:]
    first_rss = statistics.mean(r.rss_end for r in first)
    last_rss = statistics.mean(r.rss_end for r in last)
    growth = (last_rss - first_rss) / first_rss
    lines.append(
        f"memory: {first_rss / 2**20:.0f} MB after rounds {first[0].number}-{first[-1].number}, "
        f"{last_rss / 2**20:.0f} MB after rounds {last[0].number}-{last[-1].number} ({growth:+.1%}): "
        + ("flat" if growth <= FLAT_MEMORY_GROWTH else f"GROWING (more than {FLAT_MEMORY_GROWTH:.0%})")
    )
    undrained = [r.number for r in rounds if r.waiting_end]
    lines.append(
        "queue: drained at the end of every round"
        if not undrained
        else f"queue: NOT drained at the end of rounds {undrained}"
    )
    first_p99 = statistics.median(r.p99 for r in first)
    last_p99 = statistics.median(r.p99 for r in last)
    ratio = last_p99 / first_p99 if first_p99 else float("inf")
    lines.append(
        f"Web Connector p99: {first_p99 * 1000:.0f} ms in the first rounds, {last_p99 * 1000:.0f} ms in "
        f"the last ({ratio:.2f}x): "
        + ("steady" if ratio <= STEADY_P99_RATIO else f"RISING (more than {STEADY_P99_RATIO}x)")
    )
    failures = sum(r.failures for r in rounds)
    lines.append(f"failures: {failures}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenants", type=int, default=40)
    parser.add_argument("--minutes", type=float, default=5, help="how long rounds keep starting")
    parser.add_argument(
        "--interval", type=float, default=60, help="seconds from one round's start to the next"
    )
    parser.add_argument("--sends", type=int, default=4, help="sends per tenant per round")
    parser.add_argument(
        "--retrieve-every",
        type=int,
        default=3,
        help="each tenant asks for a retrieval one round in this many",
    )
    parser.add_argument(
        "--entered", type=int, default=2, help="sales orders entered in each QuickBooks per round"
    )
    parser.add_argument(
        "--spread",
        type=float,
        default=0,
        help="seconds over which the connectors' syncs start, evenly (default 0: all at once)",
    )
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument(
        "--connectors", type=int, default=2, help="processes running the simulated connectors"
    )
    parser.add_argument("--port", type=int, default=None, help="the server's port (default: a free one)")
    args = parser.parse_args()

    url = create_postgres_database()
    # The server's own call times come from /metrics, beside the ones the connectors measure.
    metrics_token = secrets.token_urlsafe(24)
    server = start_server(
        url,
        Path(tempfile.mkdtemp(prefix="qbbridge-soak-")),
        workers=args.workers,
        port=args.port,
        extra_env={"QBBRIDGE_METRICS_TOKEN": metrics_token},
    )
    engine = create_engine(url, pool_size=1)
    processes: list[multiprocessing.Process] = []
    pipes: list[Pipe] = []
    try:
        admin = server.client
        tenants: list[dict] = []
        credentials: list[tuple[str, str]] = []
        for i in range(args.tenants):
            tenant, token = new_tenant(
                admin,
                f"Soak {i}",
                {
                    "inventory": {"adjustmentAccount": "Inventory Adjustments"},
                    "retrievals": {"salesOrder": {"enabled": True}},
                },
            )
            tenants.append(tenant)
            # Connectors start evenly over the spread, in tenant order.
            credentials.append((tenant["qbwcUsername"], token, i / args.tenants))
        for i in range(args.connectors):
            parent, child = multiprocessing.Pipe()
            process = multiprocessing.Process(
                target=connector_process, args=(server.qbwc_url, credentials[i :: args.connectors], child)
            )
            process.start()
            child.close()  # so that a connector process that dies ends the run (EOFError), not hangs it
            processes.append(process)
            pipes.append(parent)
        for pipe in pipes:
            assert pipe.recv() == "ready"

        print(f"server: {args.workers} worker process(es), PostgreSQL, loopback HTTP")
        print(
            f"tenants: {args.tenants}; per round each gets {args.sends} sends (half sales orders, 3 in 10 "
            f"purchase orders, 1 in 5 inventory) and one round in {args.retrieve_every} a retrieval of its "
            f"sales orders; rounds every {args.interval:g} s for {args.minutes:g} min; connectors start "
            + (f"evenly over {args.spread:g} s" if args.spread else "all at once")
            + f" ({args.connectors} processes)"
        )
        print(f"server memory before the first round: {tree_rss(server.process.pid) / 2**20:.0f} MB")
        print(
            "round | RSS end / peak MB | waiting: start, after sends, end | WC calls | "
            "p50 / p99 / server's p99 ms | sessions | jobs done, imports acknowledged | failures | "
            "seconds: sends, sync, round"
        )
        rounds: list[Round] = []
        run_started = time.monotonic()
        # Each retrieval asks for what changed since the previous one ended (the run's start at first).
        started_at = dt.datetime.now(dt.UTC).isoformat()
        since = {tenant["id"]: started_at for tenant in tenants}
        round_number = 0
        with httpx.Client(base_url=server.base_url, headers=admin.headers, timeout=60) as client:
            while True:
                round_number += 1
                round_started = time.monotonic()
                before = job_counts(engine)
                buckets_before = server_call_buckets(client, metrics_token)
                sampler = PeakRss(server.process.pid)
                accepted, refusals, retrieving = queue_round(
                    client, tenants, round_number, args.sends, args.retrieve_every, since
                )
                queue_seconds = time.monotonic() - round_started
                after_sends = waiting(job_counts(engine))
                sync_started = time.monotonic()
                for pipe in pipes:
                    pipe.send(("sync", round_number, args.entered, args.spread))
                reports: list[SyncReport] = [pipe.recv() for pipe in pipes]
                sync_seconds = time.monotonic() - sync_started
                for tenant_id in retrieving:
                    since[tenant_id] = dt.datetime.now(dt.UTC).isoformat()
                acknowledged, ack_refusals = acknowledge_imports(client, retrieving)
                end = job_counts(engine)
                buckets_after = server_call_buckets(client, metrics_token)
                peak = sampler.stop()
                latencies = [lat for report in reports for lat in report.latencies]
                done = sum(end.get(s, 0) - before.get(s, 0) for s in ("succeeded", *FAILED_STATUSES))
                job_failures = sum(end.get(s, 0) - before.get(s, 0) for s in FAILED_STATUSES)
                session_failures = sum(report.failed_sessions for report in reports)
                problems = refusals + ack_refusals + [e for report in reports for e in report.errors]
                current = Round(
                    number=round_number,
                    rss_end=tree_rss(server.process.pid),
                    rss_peak=peak,
                    waiting_start=waiting(before),
                    waiting_queued=after_sends,
                    waiting_end=waiting(end),
                    p50=percentile(latencies, 0.5),
                    p99=percentile(latencies, 0.99),
                    server_p99=server_p99(buckets_before, buckets_after),
                    calls=len(latencies),
                    sessions=sum(report.sessions for report in reports),
                    jobs_done=done,
                    failures=job_failures + session_failures + len(refusals) + len(ack_refusals),
                    seconds=time.monotonic() - round_started,
                    queue_seconds=queue_seconds,
                    sync_seconds=sync_seconds,
                )
                rounds.append(current)
                print(
                    f"{current.number:5} | "
                    f"{current.rss_end / 2**20:6.0f} / {current.rss_peak / 2**20:4.0f} | "
                    f"{current.waiting_start}, {current.waiting_queued}, {current.waiting_end} | "
                    f"{current.calls} | {current.p50 * 1000:.1f} / {current.p99 * 1000:.1f} / "
                    f"≤ {current.server_p99 * 1000:.0f} | "
                    f"{current.sessions} | {current.jobs_done} of {accepted} queued, {acknowledged} | "
                    f"{current.failures} | "
                    f"{queue_seconds:.1f}, {sync_seconds:.1f}, {current.seconds:.1f}",
                    flush=True,
                )
                for problem in problems[:5]:
                    print(f"      {problem}")
                next_start = round_started + args.interval
                if next_start - run_started >= args.minutes * 60:
                    break
                if current.seconds > args.interval:
                    print(f"      round overran its {args.interval:g} s interval; the next starts at once")
                else:
                    time.sleep(next_start - time.monotonic())
        for line in verdicts(rounds):
            print(line)
    finally:
        for pipe in pipes:
            pipe.send("stop")
        for process in processes:
            process.join(timeout=30)
        engine.dispose()
        server.stop()
        drop_postgres_database(url)


if __name__ == "__main__":
    machine.run_timed(main)
