"""Benchmark: many concurrent Web Connector sessions against qbbridge on PostgreSQL, over loopback HTTP.

Each session: serverVersion, clientVersion, authenticate, 20 × (sendRequestXML, receiveResponseXML),
closeConnection, each for a tenant of its own with 20 raw qbXML jobs queued. ``--sessions`` of
them run at any moment, each on a new connection, and a new one starts as soon as one ends, until
``--sessions`` × ``--rounds`` have run. Prints SOAP calls/s, sessions/s, p50/p99 latency, and, in
the same run, the calls/s of a trivial route on the same server (the ceiling) and the ratio between
the two.

    .venv/bin/python bench/soap_sessions.py [--sessions 50] [--rounds 4] [--requests 20] [--workers 2]
                                            [--rate CALLS_PER_SECOND]
"""

from __future__ import annotations

import asyncio
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import machine, options
from bench.cpu import CpuMeter
from bench.indexes import drop_new_indexes
from bench.loadgen import Connection, percentile
from db.engine import Database
from tests.support.servers import create_postgres_database, drop_postgres_database, start_server

INTUIT = "http://developer.intuit.com/"
ENVELOPE = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
    "<soap:Body>{call}</soap:Body></soap:Envelope>"
)
QUERY = (
    '<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
    "<CustomerQueryRq><FullName>Customer {n}</FullName></CustomerQueryRq></QBXMLMsgsRq></QBXML>"
)
# What the Web Connector sends with every sendRequestXML of a session, beside the ticket.
SEND_REQUEST_XML_PARAMS: dict[str, str | int] = {
    "strHCPResponse": "",
    "strCompanyFileName": "C:\\Bench.qbw",
    "qbXMLCountry": "US",
    "qbXMLMajorVers": 13,
    "qbXMLMinorVers": 0,
}
REQUEST_ID = re.compile(r'requestID="([^"]+)"')
RESULT = re.compile(r"Result>([^<]*)</")


def soap(method: str, **params: str | int) -> tuple[bytes, dict[str, str]]:
    inner = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in params.items())
    call = f'<{method} xmlns="{INTUIT}">{inner}</{method}>' if inner else f'<{method} xmlns="{INTUIT}" />'
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{INTUIT}{method}"'}
    return ENVELOPE.format(call=call).encode(), headers


def answer(request_id: str) -> str:
    return (
        f'<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="{request_id}" statusCode="1" '
        'statusSeverity="Info" '
        'statusMessage="A query request did not find a matching object in QuickBooks" />'
        "</QBXMLMsgsRs></QBXML>"
    )


class Pacer:
    """Spaces one session's calls ``interval`` seconds apart (None: as fast as answers come back).

    With ``--rate``, the sessions together offer that many calls per second, so latency is measured at
    a known load instead of at whatever load the server saturates at. A session still waits for each
    answer before its next call, as the Web Connector does."""

    def __init__(self, interval: float | None) -> None:
        self.interval = interval
        self.next_at: float | None = None

    async def wait(self) -> None:
        if self.interval is None:
            return
        now = time.perf_counter()
        if self.next_at is None:
            # Spread the sessions' first calls over one interval instead of starting them all at once.
            self.next_at = now + random.uniform(0, self.interval)
        if self.next_at > now:
            await asyncio.sleep(self.next_at - now)
        self.next_at = max(self.next_at, now) + self.interval


async def one_session(
    conn: Connection, username: str, token: str, requests: int, pacer: Pacer | None = None
) -> int:
    pacer = pacer or Pacer(None)
    calls = 0
    for method, params in (("serverVersion", {}), ("clientVersion", {"strVersion": "2.3.0.215"})):
        body, headers = soap(method, **params)
        await pacer.wait()
        await conn.request("POST", "/qbwc", body, headers)
        calls += 1
    body, headers = soap("authenticate", strUserName=username, strPassword=token)
    await pacer.wait()
    status, payload = await conn.request("POST", "/qbwc", body, headers)
    calls += 1
    strings = re.findall(r"<tns:string>([^<]*)</tns:string>", payload.decode())
    ticket = strings[0]
    assert ticket and strings[1] != "nvu", payload
    for index in range(requests):
        body, headers = soap("sendRequestXML", ticket=ticket, **SEND_REQUEST_XML_PARAMS)
        await pacer.wait()
        status, payload = await conn.request("POST", "/qbwc", body, headers)
        calls += 1
        text = payload.decode()
        match = REQUEST_ID.search(text.replace("&quot;", '"'))
        assert status == 200 and match, text[:500]
        body, headers = soap(
            "receiveResponseXML", ticket=ticket, response=answer(match.group(1)), hresult="", message=""
        )
        await pacer.wait()
        status, payload = await conn.request("POST", "/qbwc", body, headers)
        calls += 1
        progress = int(RESULT.search(payload.decode()).group(1))  # type: ignore[union-attr]
        assert (progress == 100) == (index == requests - 1), (index, progress)
    body, headers = soap("closeConnection", ticket=ticket)
    await pacer.wait()
    await conn.request("POST", "/qbwc", body, headers)
    return calls + 1


async def run_soap(
    host: str, port: int, tenants: list[tuple[str, str]], slots: int, requests: int, rate: float | None = None
) -> tuple[float, int, list[float], dict[str, list[float]]]:
    """Run one session per tenant, ``slots`` of them at any moment, each on a connection of its own.

    A slot starts its next session as soon as the last one closes, so the load stays at ``slots``
    concurrent sessions until the tenants run out. Each session opens a new connection, as the Web
    Connector does when its schedule comes round (an idle connection does not outlive the minutes
    between two runs)."""
    waiting = list(reversed(tenants))
    latencies: list[float] = []
    by_method: dict[str, list[float]] = {}

    async def slot() -> int:
        pacer = Pacer(slots / rate if rate else None)
        calls = 0
        while waiting:
            user, token = waiting.pop()
            conn = Connection(host, port)
            await conn.open()
            calls += await one_session(conn, user, token, requests, pacer)
            await conn.close()
            latencies.extend(conn.latencies)
            for method, latency in zip(session_methods(requests), conn.latencies, strict=True):
                by_method.setdefault(method, []).append(latency)
        return calls

    started = time.perf_counter()
    counts = await asyncio.gather(*(slot() for _ in range(slots)))
    elapsed = time.perf_counter() - started
    return elapsed, sum(counts), latencies, by_method


def queue_tenants(admin: httpx.Client, count: int, requests: int) -> list[tuple[str, str, str]]:
    """``count`` tenants made through the admin API, each with ``requests`` raw qbXML requests
    queued: (tenant id, Web Connector user name, password) each."""
    tenants = []
    for i in range(count):
        tenant = admin.post("/api/v1/tenants", json={"name": f"Bench {i}"}).json()
        token = admin.post(f"/api/v1/tenants/{tenant['id']}/token").json()["token"]
        tenants.append((tenant["id"], tenant["qbwcUsername"], token))
        for n in range(requests):
            admin.post(f"/api/v1/tenants/{tenant['id']}/qbxml", json={"qbxml": QUERY.format(n=n)})
    return tenants


def session_methods(requests: int) -> list[str]:
    """The calls of one session, in order (what ``one_session`` sends)."""
    exchange = ["sendRequestXML", "receiveResponseXML"] * requests
    return ["serverVersion", "clientVersion", "authenticate", *exchange, "closeConnection"]


async def run_trivial(
    host: str, port: int, concurrency: int, per_connection: int
) -> tuple[float, int, list[float]]:
    connections = [Connection(host, port) for _ in range(concurrency)]
    await asyncio.gather(*(c.open() for c in connections))

    async def loop(conn: Connection) -> None:
        for _ in range(per_connection):
            await conn.request("GET", "/ping")

    started = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in connections))
    elapsed = time.perf_counter() - started
    latencies = [lat for c in connections for lat in c.latencies]
    await asyncio.gather(*(c.close() for c in connections))
    return elapsed, concurrency * per_connection, latencies


def main() -> None:
    parser = options.parser(
        __doc__,
        sessions=50,
        rounds=(4, "sessions in all: this many times --sessions, one tenant each"),
        requests=20,
        workers=2,
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="offer this many SOAP calls/s in all (paced sessions) instead of calling as fast as possible",
    )
    options.add_without_new_indexes(parser, "once the server has migrated")
    args = parser.parse_args()

    url = create_postgres_database()
    server = start_server(url, Path(tempfile.mkdtemp(prefix="qbbridge-bench-")), workers=args.workers)
    if args.without_new_indexes:
        indexes_dropped = Database(url)
        drop_new_indexes(indexes_dropped.engine)
        indexes_dropped.dispose()
    try:
        tenants = queue_tenants(server.client, args.sessions * args.rounds, args.requests)
        host, port = "127.0.0.1", int(server.base_url.rsplit(":", 1)[1])
        meter = CpuMeter(server.process.pid)
        load_cpu_before = time.process_time()
        meter.start()
        total_elapsed, total_calls, all_latencies, by_method = asyncio.run(
            run_soap(
                host,
                port,
                [(user, token) for _, user, token in tenants],
                args.sessions,
                args.requests,
                args.rate,
            )
        )
        meter.stop()
        load_cpu = time.process_time() - load_cpu_before
        sessions = args.sessions * args.rounds
        soap_rate = total_calls / total_elapsed
        trivial_elapsed, trivial_calls, trivial_latencies = asyncio.run(
            run_trivial(host, port, args.sessions, max(50, total_calls // args.sessions // 2))
        )
        trivial_rate = trivial_calls / trivial_elapsed
        print(f"server: {args.workers} worker process(es), PostgreSQL, loopback HTTP")
        print(f"concurrent sessions: {args.sessions}; sessions run: {sessions}")
        offered = f"{args.rate:.0f} calls/s offered (paced)" if args.rate else "as fast as answers come back"
        print(f"load: {offered}")
        print(f"requests per session: {args.requests}")
        print(f"SOAP calls: {total_calls} in {total_elapsed:.2f} s")
        print(f"SOAP calls/s: {soap_rate:.0f}")
        print(f"sessions/s: {sessions / total_elapsed:.1f}")
        p50 = percentile(all_latencies, 0.50) * 1000
        p99 = percentile(all_latencies, 0.99) * 1000
        print(f"SOAP latency p50: {p50:.1f} ms, p99: {p99:.1f} ms")
        # The first call of a session is also the first on its connection.
        each = ", ".join(
            f"{method} {percentile(values, 0.5) * 1000:.0f}/{percentile(values, 0.99) * 1000:.0f}"
            for method, values in by_method.items()
        )
        print(f"latency by call, p50/p99 ms: {each}")
        trivial_p99 = percentile(trivial_latencies, 0.99) * 1000
        print(
            f"CPU per SOAP call: server {meter.service_seconds / total_calls * 1000:.3f} ms, "
            f"PostgreSQL {meter.postgres_seconds / total_calls * 1000:.3f} ms, "
            f"load generator {load_cpu / total_calls * 1000:.3f} ms"
        )
        print(f"trivial route (GET /ping) calls/s: {trivial_rate:.0f} (p99 {trivial_p99:.1f} ms)")
        print(f"ratio SOAP / trivial: {soap_rate / trivial_rate:.2f}")
    finally:
        server.stop()
        drop_postgres_database(url)


if __name__ == "__main__":
    machine.run_timed(main)
