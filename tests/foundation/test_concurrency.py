"""Two app processes on one PostgreSQL database, 20 concurrent Web Connector sessions over 5 tenants:
every queued request is delivered exactly once, and each tenant sees only its own."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lxml import etree

from tests.foundation.helpers import job, new_tenant, queue_raw
from tests.support.servers import LiveServer, start_server
from tests.support.webconnector import WebConnectorClient, answer_for, customer_query

TENANTS = 5
SESSIONS = 20
JOBS_PER_TENANT = 30


@pytest.fixture
def two_servers(postgres_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    first = start_server(postgres_url, tmp_path / "a")
    second = start_server(postgres_url, tmp_path / "b", admin_key=first.admin_key)
    yield first, second
    first.stop()
    second.stop()


def test_each_request_is_delivered_exactly_once_across_processes(
    two_servers: tuple[LiveServer, LiveServer],
) -> None:
    first, second = two_servers
    tenants = [new_tenant(first.client, f"Concurrent {i}") for i in range(TENANTS)]
    queued: dict[str, set[str]] = {}
    job_ids: list[str] = []
    for index, tenant in enumerate(tenants):
        markers = {f"T{index}-J{n}" for n in range(JOBS_PER_TENANT)}
        queued[tenant.id] = markers
        for marker in sorted(markers):
            job_ids.append(queue_raw(first.client, tenant.id, customer_query(marker)))

    def run_sessions(worker: int) -> list[tuple[str, str]]:
        tenant = tenants[worker % TENANTS]
        server = (first, second)[worker % 2]
        wc = WebConnectorClient(server.qbwc_url)
        delivered: list[tuple[str, str]] = []
        while True:
            ticket, status = wc.authenticate(tenant.username, tenant.token)
            assert ticket, "valid credentials must authenticate"
            if status == "none":
                wc.close_connection(ticket)
                return delivered
            while True:
                request_xml = wc.send_request_xml(ticket)
                if not request_xml:
                    break
                name = etree.fromstring(request_xml.encode()).findtext("QBXMLMsgsRq/CustomerQueryRq/FullName")
                delivered.append((tenant.id, name or ""))
                if wc.receive_response_xml(ticket, answer_for(request_xml)) >= 100:
                    break
            wc.close_connection(ticket)

    with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
        results = list(pool.map(run_sessions, range(SESSIONS)))

    delivered = [item for result in results for item in result]
    counts = Counter(name for _, name in delivered)
    duplicates = {name: count for name, count in counts.items() if count > 1}
    assert not duplicates, f"delivered more than once: {duplicates}"
    for tenant in tenants:
        seen = {name for tenant_id, name in delivered if tenant_id == tenant.id}
        assert seen == queued[tenant.id], "each tenant gets all of its own requests and nobody else's"
    assert len(delivered) == TENANTS * JOBS_PER_TENANT
    statuses = Counter(job(first.client, job_id)["status"] for job_id in job_ids)
    assert statuses == {"succeeded": TENANTS * JOBS_PER_TENANT}
