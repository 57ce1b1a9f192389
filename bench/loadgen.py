"""A small asyncio HTTP/1.1 keep-alive client for benchmarks.

It does just enough HTTP (Content-Length bodies, keep-alive) to cost the machine far less per call
than a general-purpose client, so the numbers measure the server.
"""

from __future__ import annotations

import asyncio
import http.client
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Connection:
    host: str
    port: int
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    latencies: list[float] = field(default_factory=list)

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Content-Length: {len(body)}",
        ]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        started = time.perf_counter()
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        chunked = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value.strip())
            elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                if size == 0:
                    await self.reader.readline()
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readline()
            payload = b"".join(parts)
        else:
            payload = await self.reader.readexactly(length)
        self.latencies.append(time.perf_counter() - started)
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


class StdlibConnection:
    """A keep-alive HTTP/1.1 connection from Python's standard library, for the simulated Web
    Connectors of ``bench/send_flows.py`` (``simulator.webconnector.HttpConnection``).

    It costs about a third of httpx's CPU per call (0.2 ms against 0.6 ms on this machine), and on a
    2-core machine the load generator's CPU is taken from the server under test. It does less than
    httpx: no proxies, and no reconnecting after the server closed an idle connection, which the
    benchmark's sessions never leave idle. A ``Connection: close`` answer (the server's limit of calls
    per connection) is followed by a new connection, as the Web Connector does.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        parts = urlsplit(url)
        if self.connection is None:
            host = parts.hostname or "127.0.0.1"
            self.connection = http.client.HTTPConnection(host, parts.port, timeout=self.timeout)
        self.connection.request("POST", parts.path or "/", body, headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]
