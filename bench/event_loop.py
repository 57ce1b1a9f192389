"""Web Connector sessions on the workers' event loop, asyncio's own against uvloop, in one run.

``qbbridge serve`` runs its workers on asyncio's event loop (``qbbridge/workers.py``, ``EVENT_LOOP``).
This script measures what that choice does against uvloop, the loop uvicorn picks on its own when
installed: it starts the same application twice, each on a PostgreSQL database of its own, with
``--workers`` worker processes built exactly as ``qbbridge serve`` builds them (its uvicorn
configuration, its HTTP protocol, a socket of their own on a shared port) except for the loop, then
runs ``bench/soap_sessions.py``'s sessions against each in turn, ``--sessions`` at a time, block after
block (each ``--rounds`` times ``--sessions`` sessions, a new one starting on a new connection as soon
as one ends, as in ``bench/soap_sessions.py``), the order swapped at every block so that neither is
always first. Only one server has work at any moment. Prints, for each loop, every block's calls/s and
p99, the session's first call's p99 (``serverVersion``, the first call on a new connection), and the
CPU a call of the workers and of PostgreSQL, with the medians.

    .venv/bin/python bench/event_loop.py [--sessions 50] [--rounds 4] [--blocks 4] [--requests 20]
        [--workers 2]
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import machine, options
from bench.cpu import CpuMeter
from bench.loadgen import percentile
from bench.soap_sessions import queue_tenants, run_soap
from db.engine import Database
from db.migrate import upgrade
from tests.support.servers import (
    create_postgres_database,
    drop_postgres_database,
    free_port,
    wait_until_healthy,
)

ADMIN_KEY = "event-loop-bench-admin-key"
LOOPS = ("asyncio", "uvloop")


def serve_worker(loop: str, port: int, database_url: str, workdir: str) -> None:
    """One worker process, as ``qbbridge.workers.run_worker`` makes it, on ``loop``."""
    import uvicorn

    os.environ.update(
        QBBRIDGE_DATABASE_URL=database_url, QBBRIDGE_ADMIN_API_KEY=ADMIN_KEY, QBBRIDGE_LOG_LEVEL="warning"
    )
    os.chdir(workdir)
    from qbbridge.workers import ServeOptions, listening_socket, worker_config

    config = worker_config(ServeOptions(host="127.0.0.1", port=port, log_level="warning", access_log=False))
    config.loop = loop
    uvicorn.Server(config).run(sockets=[listening_socket("127.0.0.1", port)])


@dataclass
class Variant:
    loop: str
    workers: int
    database_url: str = field(init=False)
    port: int = field(init=False)
    processes: list[multiprocessing.process.BaseProcess] = field(default_factory=list)
    tenants: list[tuple[str, str]] = field(default_factory=list)
    blocks: list[dict[str, float]] = field(default_factory=list)

    def start(self) -> None:
        self.database_url = create_postgres_database()
        database = Database(self.database_url)
        upgrade(database.engine)
        database.dispose()
        self.port = free_port()
        workdir = tempfile.mkdtemp(prefix="qbbridge-bench-")
        context = multiprocessing.get_context("spawn")
        for _ in range(self.workers):
            process = context.Process(
                target=serve_worker, args=(self.loop, self.port, self.database_url, workdir)
            )
            process.start()
            self.processes.append(process)
        wait_until_healthy(self.base_url, lambda: all(process.is_alive() for process in self.processes))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def queue(self, sessions: int, requests: int) -> None:
        """``sessions`` tenants, each with ``requests`` raw qbXML requests queued through the admin API."""
        with httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as admin:
            self.tenants += [(user, token) for _, user, token in queue_tenants(admin, sessions, requests)]

    def run_block(self, sessions: int, rounds: int, requests: int) -> None:
        block, self.tenants = self.tenants[: sessions * rounds], self.tenants[sessions * rounds :]
        meters = [CpuMeter(process.pid) for process in self.processes if process.pid is not None]
        for meter in meters:
            meter.start()
        elapsed, calls, latencies, by_method = asyncio.run(
            run_soap("127.0.0.1", self.port, block, sessions, requests)
        )
        for meter in meters:
            meter.stop()
        self.blocks.append(
            {
                "calls/s": calls / elapsed,
                "p99 ms": percentile(latencies, 0.99) * 1000,
                "serverVersion p99 ms": percentile(by_method["serverVersion"], 0.99) * 1000,
                "server CPU a call, ms": sum(m.service_seconds for m in meters) / calls * 1000,
                # Every PostgreSQL process of the machine: the same for each meter; the other server idles.
                "PostgreSQL CPU a call, ms": meters[0].postgres_seconds / calls * 1000,
            }
        )

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.join(30)
        drop_postgres_database(self.database_url)


def main() -> None:
    args = options.parser(
        __doc__,
        sessions=50,
        rounds=(4, "sessions in a block: this many times --sessions"),
        blocks=(4, "blocks of sessions on each loop"),
        requests=20,
        workers=2,
    ).parse_args()
    variants = [Variant(loop, args.workers) for loop in LOOPS]
    try:
        for variant in variants:
            variant.start()
            variant.queue(args.sessions * args.rounds * args.blocks, args.requests)
        for index in range(args.blocks):
            for variant in variants if index % 2 == 0 else reversed(variants):
                variant.run_block(args.sessions, args.rounds, args.requests)
    finally:
        for variant in variants:
            variant.stop()
    print(
        f"{args.workers} worker process(es) a server, PostgreSQL, loopback HTTP; {args.blocks} blocks of "
        f"{args.sessions * args.rounds} sessions, {args.sessions} at once, {args.requests} requests a "
        "session, the loops in turn"
    )
    for variant in variants:
        print(f"{variant.loop}:")
        for name in variant.blocks[0]:
            values = [block[name] for block in variant.blocks]
            shown = "{:.3f}" if "CPU" in name else "{:.0f}"
            each = ", ".join(shown.format(value) for value in values)
            print(f"  {name}: median {shown.format(statistics.median(values))} ({each})")


if __name__ == "__main__":
    machine.run_timed(main)
