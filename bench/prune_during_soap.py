"""Benchmark: the SOAP benchmark's sessions while retention prunes a large old history.

Fills a new PostgreSQL database with ``--steps`` old finished steps (two per job, each with a
request and a response of about 600 bytes, ended 200 days ago), then measures Web Connector
sessions (``bench/soap_sessions.py``'s, on a 2-worker server) once before pruning and again and
again while ``qbbridge prune --days 90`` runs beside them as its own process, until it is done.
Prints each measurement's SOAP calls/s and p50/p99 latency, and how long the pruning took.

    .venv/bin/python bench/prune_during_soap.py [--steps 1000000] [--sessions 20] [--requests 10]
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text

from bench import machine, options
from bench.loadgen import percentile
from bench.soap_sessions import QUERY, run_soap
from tests.support.servers import LiveServer, create_postgres_database, drop_postgres_database, start_server

PAYLOAD = "<QBXML><QBXMLMsgsRq>" + "<CustomerQueryRq><FullName>Old Customer</FullName></CustomerQueryRq>" * 8
# Two steps per job, ended 200 days ago: all of it is due for pruning at 90 days.
FILL_JOBS = text(
    """
    INSERT INTO jobs (public_id, tenant_id, kind, status, error, payload, warnings, result, created_at,
                      updated_at, finished_at, queue_seq)
    SELECT gen_random_uuid()::text, :tenant, 'raw_qbxml', 'succeeded', NULL,
           '{"qbxml": "old"}', '[]', '{"listId": "1"}', now() - interval '200 days',
           now() - interval '200 days', now() - interval '200 days' + (i || ' seconds')::interval, -i
    FROM generate_series(1, :jobs) AS i
    """
)
FILL_STEPS = text(
    """
    INSERT INTO job_steps (job_id, tenant_id, position, kind, state, intent, request, request_ids,
                           response, status_code, status_severity, status_message, result, attempts,
                           phase, reconcilable, created_at, completed_at)
    SELECT j.id, j.tenant_id, p, 'raw', 'succeeded', '{"qbxml": "old"}', :payload, '[]', :payload, 0,
           'Info', 'Status OK', '{}', 1, 'send', false, j.created_at, j.finished_at
    FROM jobs j CROSS JOIN generate_series(0, 1) AS p
    WHERE j.queue_seq < 0
    """
)


def new_tenants(server: LiveServer, count: int, requests: int, tag: str) -> list[tuple[str, str]]:
    admin = server.client
    tenants = []
    for i in range(count):
        tenant = admin.post("/api/v1/tenants", json={"name": f"Bench {tag} {i}"}).json()
        token = admin.post(f"/api/v1/tenants/{tenant['id']}/token").json()["token"]
        for n in range(requests):
            admin.post(f"/api/v1/tenants/{tenant['id']}/qbxml", json={"qbxml": QUERY.format(n=n)})
        tenants.append((tenant["qbwcUsername"], token))
    return tenants


def measure(server: LiveServer, tenants: list[tuple[str, str]], sessions: int, requests: int) -> str:
    host, port = "127.0.0.1", int(server.base_url.rsplit(":", 1)[1])
    elapsed, calls, latencies, _ = asyncio.run(run_soap(host, port, tenants, sessions, requests))
    return (
        f"{calls / elapsed:.0f} SOAP calls/s, p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms ({calls} calls in {elapsed:.1f} s)"
    )


def main() -> None:
    args = options.parser(
        __doc__,
        steps=(1_000_000, "old finished steps to prune"),
        sessions=20,
        requests=10,
        rounds=(2, "sessions per measurement: rounds × sessions"),
        measurements=(12, "most measurements during pruning"),
    ).parse_args()

    url = create_postgres_database()
    workdir = Path(tempfile.mkdtemp(prefix="qbbridge-bench-prune-"))
    # The background pass is off: the pruning measured is the one started below, at a known moment.
    server = start_server(url, workdir, workers=2, extra_env={"QBBRIDGE_PAYLOAD_RETENTION_DAYS": "0"})
    try:
        tenant = server.client.post("/api/v1/tenants", json={"name": "Old history"}).json()["id"]
        engine = create_engine(url)
        started = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(FILL_JOBS, {"tenant": tenant, "jobs": args.steps // 2})
            connection.execute(FILL_STEPS, {"payload": PAYLOAD})
            connection.execute(text("UPDATE jobs SET queue_seq = -queue_seq WHERE queue_seq < 0"))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
            steps = connection.execute(text("SELECT count(*) FROM job_steps")).scalar_one()
            size = connection.execute(
                text("SELECT pg_size_pretty(pg_database_size(current_database()))")
            ).scalar_one()
        engine.dispose()
        print(
            f"history: {steps} old steps written in {time.perf_counter() - started:.0f} s (database {size})"
        )
        count = args.sessions * args.rounds
        sets = [new_tenants(server, count, args.requests, f"set {n}") for n in range(args.measurements + 1)]
        print(
            f"server: 2 worker processes, PostgreSQL; {args.sessions} concurrent sessions, "
            f"{args.requests} requests each"
        )
        print(f"before pruning: {measure(server, sets[0], args.sessions, args.requests)}")
        env = {**os.environ, "QBBRIDGE_DATABASE_URL": url, "QBBRIDGE_LOG_LEVEL": "warning"}
        prune_started = time.perf_counter()
        prune = subprocess.Popen(
            [sys.executable, "-m", "qbbridge.cli", "prune", "--days", "90"],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        used = 1
        while prune.poll() is None and used < len(sets):
            print(
                f"while pruning ({time.perf_counter() - prune_started:.0f} s in): "
                f"{measure(server, sets[used], args.sessions, args.requests)}",
                flush=True,
            )
            used += 1
        output, _ = prune.communicate()
        print(
            f"pruning: {time.perf_counter() - prune_started:.0f} s, exit code {prune.returncode}: "
            f"{output.strip()}"
        )
        if used < len(sets):
            print(f"after pruning: {measure(server, sets[used], args.sessions, args.requests)}")
    finally:
        server.stop()
        drop_postgres_database(url)


if __name__ == "__main__":
    machine.run_timed(main)
