"""What this machine allows the Web Connector benchmark: the same load against two floor servers.

``bench/soap_sessions.py`` measures qbbridge. This script sends the same kind of load (``--sessions``
connections, each sending its next call as soon as the answer arrives, every call the Web
Connector's ``sendRequestXML`` envelope) to two servers that do far less than any Web Connector
service can, each in turn, in one run:

- ``commit``: reads the request, commits one single-row ``UPDATE`` on PostgreSQL and answers a fixed
  SOAP envelope, with no SOAP library: the floor of any service that stores something per call
  (a service that hands out queued requests must store that it did, before it answers).
- ``spyne``: the same commit behind qbbridge's own envelope guard and Spyne adapter, called as the
  ``/qbwc`` endpoint calls them (``qbwc/endpoint.py``): the floor of a service built on Spyne.

Both run as ``--workers`` uvicorn processes, each with its own socket on one port (``SO_REUSEPORT``,
as ``qbbridge serve`` runs them), with one PostgreSQL connection each, on the same machine as the
load generator, like ``soap_sessions.py``. Prints, for each, SOAP calls/s, p50 and p99 latency, and
the CPU per call of the server, PostgreSQL and the load generator.

    .venv/bin/python bench/soap_floor.py [--sessions 50] [--seconds 10] [--workers 2] [--with-qbbridge]

With ``--with-qbbridge`` the same run then measures qbbridge (``bench/soap_sessions.py`` with as many
sessions) and prints its calls/s and p99 as ratios to the ``spyne`` floor's.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import machine, options
from bench.cpu import CpuMeter
from bench.loadgen import Connection, percentile
from bench.soap_sessions import QUERY, SEND_REQUEST_XML_PARAMS, soap
from tests.support.servers import create_postgres_database, drop_postgres_database, free_port

MODES = ("commit", "spyne")
ROWS = 64
ANSWER = (
    b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
    b'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    b'<sendRequestXMLResponse xmlns="http://developer.intuit.com/"><sendRequestXMLResult>'
    b"&lt;QBXML /&gt;</sendRequestXMLResult></sendRequestXMLResponse></soap:Body></soap:Envelope>"
)


# --- the floor servers (run in the worker processes) --------------------------------------------


class FloorStore:
    """One PostgreSQL connection in autocommit: each ``commit`` is one statement, one transaction."""

    def __init__(self, dsn: str) -> None:
        import psycopg

        self.connection = psycopg.connect(dsn, autocommit=True)
        self.calls = 0

    def commit(self) -> int:
        self.calls += 1
        row = self.connection.execute(
            "UPDATE floor_calls SET calls = calls + 1 WHERE id = %s RETURNING calls", (self.calls % ROWS,)
        ).fetchone()
        assert row is not None
        return int(row[0])


class FloorService:
    """What Spyne calls for ``sendRequestXML``: one commit, then a request to hand out."""

    def __init__(self, store: FloorStore) -> None:
        self.store = store

    def send_request_xml(self, *_: Any) -> str:
        return QUERY.format(n=self.store.commit())


def floor_app(mode: str, dsn: str) -> Any:
    store = FloorStore(dsn)
    if mode == "commit":

        def answer(body: bytes) -> bytes:
            store.commit()
            return ANSWER
    else:
        from qbwc import spyne_compat  # noqa: F401  (before Spyne, on Python 3.12+)
        from qbwc.endpoint import wsgi_environ
        from qbwc.soap_guard import inspect_envelope
        from qbwc.spyne_adapter import OPERATIONS, build_wsgi

        wsgi = build_wsgi(FloorService(store), max_body_bytes=64 * 1024 * 1024)  # type: ignore[arg-type]

        def answer(body: bytes) -> bytes:
            document = inspect_envelope(body, OPERATIONS).document
            environ = wsgi_environ(document, server_name="127.0.0.1", remote_addr="127.0.0.1")
            return b"".join(wsgi(environ, lambda status, headers, exc_info=None: None))

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        payload = answer(b"".join(chunks))
        headers = [(b"content-type", b"text/xml; charset=utf-8")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    return app


def run_floor_worker(mode: str, dsn: str, port: int) -> None:
    import uvicorn

    from qbbridge.workers import listening_socket

    config = uvicorn.Config(floor_app(mode, dsn), host="127.0.0.1", port=port, log_level="warning")
    uvicorn.Server(config).run(sockets=[listening_socket("127.0.0.1", port)])


def serve_floor(mode: str, dsn: str, port: int, workers: int) -> None:
    """The floor server's parent process: its workers, until SIGTERM."""
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=run_floor_worker, args=(mode, dsn, port)) for _ in range(workers)]
    for process in processes:
        process.start()
    # Blocked only now: the workers, started from this process, must keep the default handlers.
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    signal.sigwait(stop)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join()


# --- the load --------------------------------------------------------------------------------------


async def closed_loop(port: int, sessions: int, seconds: float) -> tuple[int, float, list[float]]:
    body, headers = soap("sendRequestXML", ticket="floor-" + "x" * 26, **SEND_REQUEST_XML_PARAMS)
    connections = [Connection("127.0.0.1", port) for _ in range(sessions)]
    await asyncio.gather(*(c.open() for c in connections))
    warm_until = time.perf_counter() + 1.0
    stop_at = warm_until + seconds

    async def loop(connection: Connection) -> None:
        while time.perf_counter() < stop_at:
            status, payload = await connection.request("POST", "/qbwc", body, headers)
            assert status == 200 and b"sendRequestXMLResult" in payload, payload[:300]
            if time.perf_counter() < warm_until:
                connection.latencies.clear()

    await asyncio.gather(*(loop(c) for c in connections))
    latencies = [latency for c in connections for latency in c.latencies]
    await asyncio.gather(*(c.close() for c in connections))
    return len(latencies), seconds, latencies


def wait_until_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the floor server exited early")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                time.sleep(1.0)  # every worker listening
                return
        time.sleep(0.1)
    raise RuntimeError("the floor server did not start")


def measure(mode: str, dsn: str, args: argparse.Namespace) -> tuple[float, float]:
    port = free_port()
    command = [sys.executable, __file__, "--serve", mode, "--dsn", dsn, "--port", str(port)]
    command += ["--workers", str(args.workers)]
    server = subprocess.Popen(command)
    try:
        wait_until_listening(port, server)
        meter = CpuMeter(server.pid)
        meter.start()
        client_cpu = time.process_time()
        calls, elapsed, latencies = asyncio.run(closed_loop(port, args.sessions, args.seconds))
        client_cpu = time.process_time() - client_cpu
        meter.stop()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    # The meter also counted the one-second warm-up; CPU per call is over every call it saw.
    seen = calls * (elapsed + 1.0) / elapsed
    server_ms, postgres_ms = meter.service_seconds / seen * 1000, meter.postgres_seconds / seen * 1000
    print(
        f"{mode}: {calls / elapsed:.0f} SOAP calls/s; p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms; CPU per call: server {server_ms:.3f} ms, "
        f"PostgreSQL {postgres_ms:.3f} ms, load generator {client_cpu / seen * 1000:.3f} ms"
    )
    return calls / elapsed, percentile(latencies, 0.99) * 1000


def measure_qbbridge(args: argparse.Namespace) -> tuple[float, float]:
    """qbbridge itself under the same number of closed-loop connections: ``bench/soap_sessions.py``
    (whole Web Connector sessions, 20 requests each), run as its own process."""
    command = [sys.executable, str(Path(__file__).with_name("soap_sessions.py"))]
    command += ["--sessions", str(args.sessions), "--workers", str(args.workers), "--rounds", "4"]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"SOAP calls/s: (\d+)", output).group(1))  # type: ignore[union-attr]
    latency = re.search(r"SOAP latency p50: [\d.]+ ms, p99: ([\d.]+) ms", output)
    p99 = float(latency.group(1))  # type: ignore[union-attr]
    cpu = re.search(r"CPU per SOAP call: .*", output)
    cpu_text = cpu.group(0) if cpu else ""
    print(f"qbbridge (bench/soap_sessions.py): {rate:.0f} SOAP calls/s; p99 {p99:.1f} ms; {cpu_text}")
    return rate, p99


def main() -> None:
    parser = options.parser(
        __doc__,
        sessions=(50, "concurrent connections (closed loop)"),
        seconds=(10.0, "measured seconds per server"),
        workers=2,
    )
    parser.add_argument(
        "--with-qbbridge",
        action="store_true",
        help="then run bench/soap_sessions.py with as many sessions, and print its ratios to the spyne floor",
    )
    parser.add_argument("--serve", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_floor(args.serve, args.dsn, args.port, args.workers)
        return

    url = create_postgres_database()
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        import psycopg

        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute("CREATE TABLE floor_calls (id integer PRIMARY KEY, calls bigint NOT NULL)")
            connection.execute(f"INSERT INTO floor_calls SELECT g, 0 FROM generate_series(0, {ROWS - 1}) g")
        print(
            f"floor servers: {args.workers} worker process(es), PostgreSQL, loopback HTTP; "
            f"{args.sessions} connections in a closed loop, {args.seconds:.0f} s each after 1 s of warm-up"
        )
        floors = {mode: measure(mode, dsn, args) for mode in MODES}
        if args.with_qbbridge:
            rate, p99 = measure_qbbridge(args)
            spyne_rate, spyne_p99 = floors["spyne"]
            ratios = f"{rate / spyne_rate:.2f}x the calls/s, {p99 / spyne_p99:.2f}x the p99"
            goal = "issue 20's goal: at least 0.6x the calls/s, at most 2x the p99"
            print(f"qbbridge / spyne floor: {ratios} ({goal})")
    finally:
        drop_postgres_database(url)


if __name__ == "__main__":
    if "--serve" in sys.argv:
        main()
    else:
        machine.run_timed(main)
