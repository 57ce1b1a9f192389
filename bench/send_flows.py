"""Benchmark: 2,000 mixed send jobs for 20 tenants through the admin API, drained by concurrent
simulated Web Connector sessions, on PostgreSQL over loopback HTTP.

Prints the admin API's accepted jobs/s and p99 latency, and end-to-end jobs/s (queued → succeeded in
the simulated QuickBooks). The simulated Web Connectors speak HTTP through the standard library
(``bench/loadgen.py``: ``StdlibConnection``), the cheapest client at hand, since they share the two
cores with the server; ``--httpx`` uses the simulator's default client instead.

    .venv/bin/python bench/send_flows.py [--tenants 20] [--jobs 2000] [--workers 2] [--drainers 4]
                                         [--requests-per-message N]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import machine
from bench.cpu import CpuMeter
from bench.loadgen import Connection, StdlibConnection, percentile
from bench.tenants import new_tenant
from simulator.company import Company
from simulator.quickbooks import QuickBooks
from simulator.webconnector import HttpxConnection, WebConnector
from tests.sends.conftest import COMPANY_SETUP, INVENTORY
from tests.support.payloads import PRODUCTION_ORDER, PURCHASE_ORDER, SALES_ORDER
from tests.support.servers import create_postgres_database, drop_postgres_database, start_server


def payloads(index: int) -> tuple[str, dict]:
    """The index-th job of a tenant: 40% sales orders, 30% purchase orders, 20% production orders,
    10% inventory."""
    kind = index % 10
    if kind < 4:
        return "/sales-orders", {**SALES_ORDER, "code": f"SO-{index}"}
    if kind < 7:
        return "/purchase-orders", {**PURCHASE_ORDER, "code": f"PO-{index}"}
    if kind < 9:
        return "/production-orders", {**PRODUCTION_ORDER, "code": f"MO-{index}"}
    return "/inventory", INVENTORY


async def queue_jobs(
    port: int, admin_key: str, tenants: list[str], per_tenant: int, concurrency: int
) -> tuple[float, list[float]]:
    work = [(tenant, *payloads(i)) for i in range(per_tenant) for tenant in tenants]
    connections = [Connection("127.0.0.1", port) for _ in range(concurrency)]
    await asyncio.gather(*(c.open() for c in connections))
    headers = {"Authorization": f"Bearer {admin_key}", "Content-Type": "application/json"}

    async def run(conn: Connection, items: list) -> None:
        for tenant, path, body in items:
            status, payload = await conn.request(
                "POST", f"/api/v1/tenants/{tenant}{path}", json.dumps(body).encode(), headers
            )
            assert status == 202, payload[:300]

    started = time.perf_counter()
    await asyncio.gather(*(run(c, work[i::concurrency]) for i, c in enumerate(connections)))
    elapsed = time.perf_counter() - started
    latencies = [lat for c in connections for lat in c.latencies]
    await asyncio.gather(*(c.close() for c in connections))
    return elapsed, latencies


def drain(args: tuple[str, list[tuple[str, str]], bool]) -> tuple[int, int]:
    """Run sessions for these tenants until their queues are empty, one thread per tenant, so every
    tenant's Web Connector is at work at once; returns the sessions run and the message sets the
    server handed over."""
    url, tenants, use_httpx = args
    connect = HttpxConnection if use_httpx else StdlibConnection

    def tenant_sessions(username: str, token: str) -> tuple[int, int]:
        qb = QuickBooks(Company.new("Bench"), use_default_schema=False)
        qb.process(COMPANY_SETUP)
        sessions = messages = 0
        while True:
            connector = WebConnector(
                url, username, token, qb, noop_pause=0.01, out=io.StringIO(), connect=connect
            )
            result = connector.run_session()
            sessions += 1
            messages += result.requests_sent
            if result.auth_status == "none":
                return sessions, messages

    with ThreadPoolExecutor(max_workers=len(tenants)) as pool:
        counts = list(pool.map(lambda tenant: tenant_sessions(*tenant), tenants))
    return sum(s for s, _ in counts), sum(m for _, m in counts)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--drainers", type=int, default=4, help="processes running Web Connector sessions")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent admin API connections")
    parser.add_argument(
        "--httpx", action="store_true", help="simulated Web Connectors use httpx (the simulator's default)"
    )
    parser.add_argument(
        "--requests-per-message",
        type=int,
        default=None,
        help="the server's QBBRIDGE_REQUESTS_PER_MESSAGE (default: the service's own, 10)",
    )
    args = parser.parse_args()

    url = create_postgres_database()
    env = {}
    if args.requests_per_message is not None:
        env["QBBRIDGE_REQUESTS_PER_MESSAGE"] = str(args.requests_per_message)
    server = start_server(
        url, Path(tempfile.mkdtemp(prefix="qbbridge-bench-")), workers=args.workers, extra_env=env
    )
    try:
        admin = server.client
        tenants: list[tuple[str, str, str]] = []
        for i in range(args.tenants):
            tenant, token = new_tenant(
                admin,
                f"Bench {i}",
                {
                    "inventory": {"adjustmentAccount": "Inventory Adjustments"},
                    "timesheets": {"createMissingCustomerJob": True},
                },
            )
            tenants.append((tenant["id"], tenant["qbwcUsername"], token))
        port = int(server.base_url.rsplit(":", 1)[1])
        per_tenant = args.jobs // args.tenants
        total = per_tenant * args.tenants
        api_meter = CpuMeter(server.process.pid)
        api_meter.start()
        api_client_cpu = time.process_time()
        api_elapsed, latencies = asyncio.run(
            queue_jobs(port, server.admin_key, [t[0] for t in tenants], per_tenant, args.concurrency)
        )
        api_client_cpu = time.process_time() - api_client_cpu
        api_meter.stop()
        groups = [
            (server.qbwc_url, [(u, t) for _, u, t in tenants[i :: args.drainers]], args.httpx)
            for i in range(args.drainers)
        ]
        started = time.perf_counter()
        children_before = _children_cpu()
        meter = CpuMeter(server.process.pid)
        meter.start()
        pool = multiprocessing.Pool(args.drainers)
        drained = pool.map(drain, groups)
        sessions = sum(s for s, _ in drained)
        messages = sum(m for _, m in drained)
        pool.close()
        pool.join()
        drain_elapsed = time.perf_counter() - started
        meter.stop()
        # The drainers have exited and been waited for; the server, also a child, has not.
        connectors_cpu = _children_cpu() - children_before
        succeeded = 0
        with httpx.Client(base_url=server.base_url, headers=admin.headers, timeout=60) as client:
            for tenant_id, _, _ in tenants:
                cursor = None
                while True:
                    params: dict[str, str | int] = {"status": "succeeded", "limit": 200}
                    if cursor:
                        params["cursor"] = cursor
                    page = client.get(f"/api/v1/tenants/{tenant_id}/jobs", params=params).json()
                    succeeded += len(page["items"])
                    cursor = page["nextCursor"]
                    if not cursor:
                        break
        print(f"server: {args.workers} worker process(es), PostgreSQL, loopback HTTP")
        print(f"tenants: {args.tenants}; jobs queued: {total}")
        print("mix: 40% sales orders, 30% purchase orders, 20% production orders, 10% inventory")
        p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
        print(f"admin API: {total / api_elapsed:.0f} jobs/s accepted ({args.concurrency} connections)")
        print(f"admin API latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        print(
            f"while queueing, CPU per job: server {api_meter.service_seconds / total * 1000:.2f} ms, "
            f"PostgreSQL {api_meter.postgres_seconds / total * 1000:.2f} ms, "
            f"load generator {api_client_cpu / total * 1000:.2f} ms"
        )
        rate = succeeded / drain_elapsed
        print(f"end to end: {succeeded} jobs succeeded in {drain_elapsed:.1f} s = {rate:.0f} jobs/s")
        print(
            f"Web Connector processes: {args.drainers}, {args.tenants} sessions at a time (one per tenant); "
            f"sessions run: {sessions}; HTTP client: {'httpx' if args.httpx else 'the standard library'}"
        )
        per_message = args.requests_per_message or "the default"
        print(f"message sets handed to QuickBooks: {messages} (requests per message set: {per_message})")
        per_job = connectors_cpu / total * 1000
        print(f"simulated Web Connectors and QuickBooks: {per_job:.2f} ms of CPU per job")
        print(
            f"during the drain, CPU per job: server {meter.service_seconds / total * 1000:.2f} ms, "
            f"PostgreSQL {meter.postgres_seconds / total * 1000:.2f} ms"
        )
        assert succeeded == total, f"only {succeeded} of {total} jobs succeeded"
    finally:
        server.stop()
        drop_postgres_database(url)


if __name__ == "__main__":
    machine.run_timed(main)
