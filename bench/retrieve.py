"""Benchmark: one full retrieval of 10,000 sales orders of 5 lines each from a simulated QuickBooks,
through SOAP, PostgreSQL and the mapping. Prints orders/s and the server's peak memory.

    .venv/bin/python bench/retrieve.py [--orders 10000] [--lines 5]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import machine
from bench.memory import PeakRss
from simulator.company import Company
from simulator.quickbooks import QuickBooks
from simulator.webconnector import WebConnector
from tests.sends.conftest import COMPANY_SETUP
from tests.simulator.conftest import message_set
from tests.support.servers import create_postgres_database, drop_postgres_database, start_server


def seeded_company(orders: int, lines: int) -> QuickBooks:
    qb = QuickBooks(Company.new("Bench"), use_default_schema=False)
    qb.process(COMPANY_SETUP)
    line = "".join(
        f"<SalesOrderLineAdd><ItemRef><FullName>WIDGET-1</FullName></ItemRef><Desc>Line {n}</Desc>"
        f"<Quantity>{n + 1}</Quantity><Rate>12.50</Rate></SalesOrderLineAdd>"
        for n in range(lines)
    )
    batch = 500
    for start in range(0, orders, batch):
        adds = [
            f"<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>ACME</FullName></CustomerRef>"
            f"<RefNumber>B-{n}</RefNumber>{line}</SalesOrderAdd></SalesOrderAddRq>"
            for n in range(start, min(orders, start + batch))
        ]
        qb.process(message_set(*adds))
    return qb


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=5)
    args = parser.parse_args()

    qb = seeded_company(args.orders, args.lines)
    url = create_postgres_database()
    server = start_server(url, Path(tempfile.mkdtemp(prefix="qbbridge-bench-")), workers=1)
    try:
        admin = server.client
        tenant = admin.post("/api/v1/tenants", json={"name": "Bench"}).json()
        token = admin.post(f"/api/v1/tenants/{tenant['id']}/token").json()["token"]
        idle_memory = psutil.Process(server.process.pid).memory_info().rss
        admin.put(
            f"/api/v1/tenants/{tenant['id']}/settings", json={"retrievals": {"salesOrder": {"enabled": True}}}
        ).raise_for_status()
        job = admin.post(
            f"/api/v1/tenants/{tenant['id']}/retrievals",
            json={"entities": ["salesOrder"], "since": "2000-01-01"},
        ).json()["jobId"]
        sampler = PeakRss(server.process.pid, interval=0.05)
        started = time.perf_counter()
        result = WebConnector(
            server.qbwc_url, tenant["qbwcUsername"], token, qb, noop_pause=0.01, out=io.StringIO()
        ).run_session()
        elapsed = time.perf_counter() - started
        peak = sampler.stop()
        counts = admin.get(f"/api/v1/jobs/{job}").json()["result"]["entities"]["salesOrder"]
        assert result.ok, result.last_error
        assert counts["imported"] == args.orders, counts
        print(f"orders: {args.orders} of {args.lines} lines; pages: {counts['pages']}")
        print("server: 1 process, PostgreSQL, loopback HTTP")
        rate = args.orders / elapsed
        print(f"retrieval: {elapsed:.1f} s = {rate:.0f} orders/s end to end (SOAP, parse, map, store)")
        idle_mb, peak_mb = idle_memory / 2**20, peak / 2**20
        print(f"server memory: {idle_mb:.0f} MB idle, {peak_mb:.0f} MB peak during the retrieval")
    finally:
        server.stop()
        drop_postgres_database(url)


if __name__ == "__main__":
    machine.run_timed(main)
