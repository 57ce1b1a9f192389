"""How much memory the server takes to read one large Web Connector answer.

A raw qbXML CustomerQuery job is answered (``receiveResponseXML``) with a response of the given size,
over HTTP, by a real ``qbbridge serve`` (one process) on a new database. Before the call the kernel's
peak resident set of the server process is reset to its current size (``/proc/<pid>/clear_refs``), so
the peak read after the call (``VmHWM``) is the call's own: its growth above the resident size before
the call is what one such answer costs. Each size runs on a fresh server, after one small session
(so imports and caches are warm).

    .venv/bin/python bench/large_answer.py [--sizes 20,60] [--database postgresql|sqlite]

Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import machine
from tests.foundation.helpers import job, new_tenant, queue_raw
from tests.support.servers import create_postgres_database, drop_postgres_database, start_server
from tests.support.webconnector import WebConnectorClient, answer_for, customer_query

MB = 1_000_000


def kib_field(pid: int, name: str) -> int:
    """A ``/proc/<pid>/status`` memory field, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(name)


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def customer_answer(request_xml: str, size: int) -> str:
    request_id = re.search(r'requestID="([^"]+)"', request_xml)
    assert request_id, request_xml
    record = (
        "<CustomerRet><ListID>80000001-1700000000</ListID><EditSequence>1700000000</EditSequence>"
        f"<Name>Customer</Name><FullName>Customer</FullName><Notes>{'n' * 900}</Notes></CustomerRet>"
    )
    head = (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
        f'<CustomerQueryRs requestID="{request_id.group(1)}" statusCode="0" statusSeverity="Info" '
        'statusMessage="Status OK">'
    )
    tail = "</CustomerQueryRs></QBXMLMsgsRs></QBXML>"
    return head + record * ((size - len(head) - len(tail)) // len(record)) + tail


def measure(database_url: str, size: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as workdir:
        server = start_server(database_url, Path(workdir))
        try:
            pid = server.process.pid
            admin = server.client
            tenant = new_tenant(admin)
            wc = WebConnectorClient(server.qbwc_url, client=httpx.Client(timeout=300))
            # Warm up: one small session through the same path.
            queue_raw(admin, tenant.id, customer_query("Warm"))
            ticket, _ = wc.authenticate(tenant.username, tenant.token)
            assert wc.receive_response_xml(ticket, answer_for(wc.send_request_xml(ticket))) == 100
            wc.close_connection(ticket)

            job_id = queue_raw(admin, tenant.id, customer_query("Everyone"))
            ticket, _ = wc.authenticate(tenant.username, tenant.token)
            request_xml = wc.send_request_xml(ticket)
            answer = customer_answer(request_xml, size)
            time.sleep(0.5)
            before = kib_field(pid, "VmRSS")
            reset_peak(pid)
            started = time.perf_counter()
            progress = wc.receive_response_xml(ticket, answer)
            elapsed = time.perf_counter() - started
            peak = kib_field(pid, "VmHWM")
            after = kib_field(pid, "VmRSS")
            assert progress == 100, progress
            assert job(admin, job_id)["status"] == "succeeded"
            return {
                "answer": len(answer) / MB,
                "before": before / MB,
                "peak": peak / MB,
                "growth": (peak - before) / MB,
                "after": after / MB,
                "seconds": elapsed,
            }
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="20,60", help="answer sizes in MB (10^6 characters), comma-separated"
    )
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    args = parser.parse_args()
    for size in (int(part) for part in args.sizes.split(",")):
        if args.database == "postgresql":
            url = create_postgres_database()
            try:
                figures = measure(url, size * MB)
            finally:
                drop_postgres_database(url)
        else:
            with tempfile.TemporaryDirectory() as directory:
                figures = measure(f"sqlite:///{directory}/qbbridge.db", size * MB)
        print(
            f"answer {figures['answer']:.1f} MB ({args.database}): "
            f"server RSS {figures['before']:.0f} MB before, "
            f"peak {figures['peak']:.0f} MB (+{figures['growth']:.0f} MB = "
            f"{figures['growth'] / figures['answer']:.1f}x the answer), {figures['after']:.0f} MB after; "
            f"call {figures['seconds']:.2f} s",
            flush=True,
        )


if __name__ == "__main__":
    machine.run_timed(main)
