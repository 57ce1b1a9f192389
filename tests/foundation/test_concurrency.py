"""Two app processes on one PostgreSQL database, 20 concurrent Web Connector sessions over 5 tenants:
every queued request is delivered exactly once, and each tenant sees only its own."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lxml import etree

from tests.foundation.helpers import TenantCredentials, job, new_tenant, queue_raw
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


def drain_concurrently(
    servers: tuple[LiveServer, LiveServer], tenants: list[TenantCredentials], read: Callable[[str], list[str]]
) -> list[tuple[str, str, int]]:
    """SESSIONS Web Connectors at once, alternating between the two processes, each running sessions
    for one tenant until it has nothing left; every request handed out is answered as QuickBooks
    would. Returns (tenant, what ``read`` found in it, how many it found) for each request handed out."""

    def run_sessions(worker: int) -> list[tuple[str, str, int]]:
        tenant = tenants[worker % len(tenants)]
        wc = WebConnectorClient(servers[worker % 2].qbwc_url)
        delivered: list[tuple[str, str, int]] = []
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
                found = read(request_xml)
                delivered += [(tenant.id, marker, len(found)) for marker in found]
                if wc.receive_response_xml(ticket, answer_for(request_xml)) >= 100:
                    break
            wc.close_connection(ticket)

    with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
        return [item for result in pool.map(run_sessions, range(SESSIONS)) for item in result]


def test_each_request_is_delivered_exactly_once_across_processes(
    two_servers: tuple[LiveServer, LiveServer],
) -> None:
    first, _ = two_servers
    tenants = [new_tenant(first.client, f"Concurrent {i}") for i in range(TENANTS)]
    queued: dict[str, set[str]] = {}
    job_ids: list[str] = []
    for index, tenant in enumerate(tenants):
        markers = {f"T{index}-J{n}" for n in range(JOBS_PER_TENANT)}
        queued[tenant.id] = markers
        for marker in sorted(markers):
            job_ids.append(queue_raw(first.client, tenant.id, customer_query(marker)))

    def customer_name(request_xml: str) -> list[str]:
        return [etree.fromstring(request_xml.encode()).findtext("QBXMLMsgsRq/CustomerQueryRq/FullName") or ""]

    delivered = [(tenant_id, name) for tenant_id, name, _ in drain_concurrently(two_servers, tenants, customer_name)]
    counts = Counter(name for _, name in delivered)
    duplicates = {name: count for name, count in counts.items() if count > 1}
    assert not duplicates, f"delivered more than once: {duplicates}"
    for tenant in tenants:
        seen = {name for tenant_id, name in delivered if tenant_id == tenant.id}
        assert seen == queued[tenant.id], "each tenant gets all of its own requests and nobody else's"
    assert len(delivered) == TENANTS * JOBS_PER_TENANT
    statuses = Counter(job(first.client, job_id)["status"] for job_id in job_ids)
    assert statuses == {"succeeded": TENANTS * JOBS_PER_TENANT}


SALES_ORDERS_PER_TENANT = 40
EXTERNAL_GUID = "QBXMLMsgsRq/SalesOrderAddRq/SalesOrderAdd/ExternalGUID"


def test_send_requests_sharing_message_sets_are_delivered_exactly_once_across_processes(
    two_servers: tuple[LiveServer, LiveServer],
) -> None:
    """Send-flow requests travel several to a message set (``QBBRIDGE_REQUESTS_PER_MESSAGE``); the
    claim of a message set's companions must never hand a request to two sessions either."""
    first, _ = two_servers
    tenants = [new_tenant(first.client, f"Shared {i}") for i in range(TENANTS)]
    job_ids: list[str] = []
    for index, tenant in enumerate(tenants):
        for n in range(SALES_ORDERS_PER_TENANT):
            order = {
                "code": f"SO-{index}-{n}",
                "client": {"code": "ACME", "name": "Acme Corp"},
                "createdAt": "2026-11-19T10:00:00Z",
                "rows": [{"product": {"code": "WIDGET-1", "name": "Widget"}, "quantity": 5, "unitPrice": 12.5}],
            }
            response = first.client.post(f"/api/v1/tenants/{tenant.id}/sales-orders", json=order)
            assert response.status_code == 202, response.text
            job_ids.append(response.json()["jobId"])

    def external_guids(request_xml: str) -> list[str]:
        return [guid.text or "" for guid in etree.fromstring(request_xml.encode()).findall(EXTERNAL_GUID)]

    delivered = drain_concurrently(two_servers, tenants, external_guids)
    counts = Counter(guid for _, guid, _ in delivered)
    duplicates = {guid: count for guid, count in counts.items() if count > 1}
    assert not duplicates, f"delivered more than once: {duplicates}"
    assert len(counts) == TENANTS * SALES_ORDERS_PER_TENANT
    for tenant in tenants:
        assert sum(1 for tenant_id, _, _ in delivered if tenant_id == tenant.id) == SALES_ORDERS_PER_TENANT
    sizes = [size for _, _, size in delivered]
    assert max(sizes) == 10 and min(sizes) >= 1, "at most 10 per message set, and they did share"
    statuses = Counter(job(first.client, job_id)["status"] for job_id in job_ids)
    assert statuses == {"succeeded": TENANTS * SALES_ORDERS_PER_TENANT}
