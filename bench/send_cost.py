"""What one send costs the admin API, in-process: wall time, the service's CPU and PostgreSQL's CPU.

CPU time moves far less than throughput when the machine is shared, so this is the figure to compare
changes of the send path with. The sends are the mix of ``bench/send_flows.py`` (40 % sales orders,
30 % purchase orders, 20 % production orders, 10 % inventory) for 20 tenants, made one after another
through the real FastAPI application (called as ASGI, without HTTP: routing, authentication, body
validation, the send, the JSON answer) on a new PostgreSQL database. PostgreSQL's CPU is read from
``/proc/<backend pid>/stat`` of the connections the service used (Linux, database on this machine).

    .venv/bin/python bench/send_cost.py [--jobs 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import machine
from bench.cpu import backend_cpu_seconds, backend_pids, freeze_like_the_server
from bench.send_flows import payloads
from db.engine import Database
from db.migrate import upgrade
from tests.support.servers import create_postgres_database, drop_postgres_database

ADMIN_KEY = "send-cost-admin-key"
TENANTS = 20


class Caller:
    """Calls the ASGI application directly, as uvicorn would for one HTTP/1.1 request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, bytes]:
        content = json.dumps(body).encode() if body is not None else b""
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"127.0.0.1"),
                (b"authorization", f"Bearer {ADMIN_KEY}".encode()),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": content, "more_body": False}
            await asyncio.Event().wait()  # the client never disconnects
            raise AssertionError("unreachable")

        status = 0
        chunks: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


async def create_tenants(caller: Caller, label: str) -> list[str]:
    """TENANTS tenants through the admin API, with the settings every send flow needs."""
    tenants = []
    for index in range(TENANTS):
        status, body = await caller.call("POST", "/api/v1/tenants", {"name": f"{label} {index}"})
        assert status == 201, body
        tenant = json.loads(body)["id"]
        settings = {
            "inventory": {"adjustmentAccount": "Inventory Adjustments"},
            "timesheets": {"createMissingCustomerJob": True},
        }
        status, body = await caller.call("PUT", f"/api/v1/tenants/{tenant}/settings", settings)
        assert status == 200, body
        tenants.append(tenant)
    return tenants


async def run(jobs: int) -> None:
    url = create_postgres_database()
    os.environ.update(
        QBBRIDGE_DATABASE_URL=url, QBBRIDGE_ADMIN_API_KEY=ADMIN_KEY, QBBRIDGE_PUSH_INTERVAL_SECONDS="0"
    )
    from qbbridge.app import create_app
    from qbbridge.config import load_settings

    database = Database(url)
    try:
        upgrade(database.engine)
        caller = Caller(create_app(load_settings(), database))
        tenants = await create_tenants(caller, "Cost")
        per_tenant = jobs // TENANTS
        measured = [
            (f"/api/v1/tenants/{tenant}{path}", payload)
            for index in range(per_tenant)
            for tenant in tenants
            for path, payload in [payloads(index)]
        ]
        # Warm up with codes of their own: a code sent again would be "already sent", a cheaper path.
        for index in range(5):
            for tenant in tenants:
                path, payload = payloads(index)
                if "code" in payload:
                    payload = {**payload, "code": f"WARM-{index}"}
                status, body = await caller.call("POST", f"/api/v1/tenants/{tenant}{path}", payload)
                assert status == 202, body
        freeze_like_the_server()
        pids = backend_pids(database.engine)
        database_before = backend_cpu_seconds(pids)
        wall_before, cpu_before = time.perf_counter(), time.process_time()
        for path, payload in measured:
            status, body = await caller.call("POST", path, payload)
            assert status == 202, body
        wall = time.perf_counter() - wall_before
        cpu = time.process_time() - cpu_before
        database_cpu = backend_cpu_seconds(pids) - database_before
        sends = len(measured)
        print(f"sends: {sends} (mix of bench/send_flows.py, {TENANTS} tenants, one after another)")
        print(f"per send: wall {wall / sends * 1000:.3f} ms")
        print(f"per send: service CPU {cpu / sends * 1000:.3f} ms (FastAPI, the send, driver)")
        print(f"per send: PostgreSQL CPU {database_cpu / sends * 1000:.3f} ms")
        total = (cpu + database_cpu) / sends
        print(f"ceiling from these alone on 2 cores: {2 / total:,.0f} sends/s (without HTTP and client)")
    finally:
        database.dispose()
        drop_postgres_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=2000, help="sends measured (plus 100 to warm up)")
    args = parser.parse_args()
    asyncio.run(run(args.jobs))


if __name__ == "__main__":
    machine.run_timed(main)
