"""End to end: raw qbXML jobs queued through the admin API, one simulated session, results checked."""

from __future__ import annotations

import io
import time
import uuid
from typing import Any

import pytest

from simulator.demo import seed_demo
from simulator.faults import Faults
from simulator.quickbooks import QuickBooks
from simulator.webconnector import WebConnector
from tests.foundation.helpers import new_tenant
from tests.simulator.conftest import message_set
from tests.support.shared import schema_dir

pytestmark = pytest.mark.slow


def _tenant(live_server: Any) -> tuple[str, str, str]:
    tenant = new_tenant(live_server.client, f"sim-{uuid.uuid4().hex[:8]}")
    return tenant.id, tenant.username, tenant.token


def _queue(live_server: Any, tenant_id: str, qbxml: str) -> str:
    response = live_server.client.post(f"/api/v1/tenants/{tenant_id}/qbxml", json={"qbxml": qbxml})
    assert response.status_code == 202, response.text
    return str(response.json()["jobId"])


def _job(live_server: Any, job_id: str) -> dict[str, Any]:
    response = live_server.client.get(f"/api/v1/jobs/{job_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def _session(live_server: Any, user: str, password: str, qb: QuickBooks, **kw: Any) -> Any:
    out = io.StringIO()
    connector = WebConnector(
        live_server.base_url + "/qbwc", user, password, qb, noop_pause=0.05, out=out, **kw
    )
    return connector.run_session()


def test_queued_jobs_run_in_one_session_and_change_the_company(live_server: Any) -> None:
    tenant_id, user, password = _tenant(live_server)
    qb = QuickBooks(seed_demo(), schema_dir=schema_dir(), use_default_schema=False)
    order = qb.company.sales_orders[0]
    jobs = [
        _queue(
            live_server,
            tenant_id,
            message_set(
                "<CustomerAddRq><CustomerAdd><Name>E2E Customer</Name></CustomerAdd></CustomerAddRq>"
            ),
        ),
        _queue(
            live_server,
            tenant_id,
            message_set(
                "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Manufacturing:Plant 2</FullName></CustomerRef>"
                f"<LinkToTxnID>{order['TxnID']}</LinkToTxnID></InvoiceAdd></InvoiceAddRq>"
            ),
        ),
        _queue(
            live_server,
            tenant_id,
            message_set("<ItemInventoryQueryRq><FullName>WIDGET-1</FullName></ItemInventoryQueryRq>"),
        ),
    ]
    result = _session(live_server, user, password, qb)
    assert result.ok, result
    assert result.progress[-1] == 100
    assert result.requests_processed >= 3
    for job_id in jobs:
        job = _job(live_server, job_id)
        assert job["status"] == "succeeded", job
        assert all(step.get("statusCode") in (0, "0") for step in job["steps"]), job
    assert qb.company.customer("E2E Customer") is not None
    assert qb.company.sales_order("1")["IsFullyInvoiced"] == "true"
    assert qb.company.quantity_on_hand("WIDGET-1") == 96
    steps = _job(live_server, jobs[2])["steps"]
    assert "<QuantityOnHand>96</QuantityOnHand>" in steps[-1]["response"]


def test_nothing_queued_means_no_data_exchange(live_server: Any) -> None:
    _tenant_id, user, password = _tenant(live_server)
    result = _session(live_server, user, password, QuickBooks(seed_demo(), use_default_schema=False))
    assert result.ok and result.auth_status == "none"


def test_wrong_password_is_nvu(live_server: Any) -> None:
    _tenant_id, user, _password = _tenant(live_server)
    result = _session(live_server, user, "wrong", QuickBooks(seed_demo(), use_default_schema=False))
    assert not result.ok and result.auth_status == "nvu"


def test_rejected_message_set_fails_the_job(live_server: Any) -> None:
    tenant_id, user, password = _tenant(live_server)
    job_id = _queue(
        live_server,
        tenant_id,
        message_set("<CustomerAddRq><CustomerAdd><Name>Twice</Name></CustomerAdd></CustomerAddRq>"),
    )
    qb = QuickBooks(seed_demo(), use_default_schema=False)
    _session(live_server, user, password, qb, faults=Faults(parse_error=1))
    deadline = time.monotonic() + 5
    while _job(live_server, job_id)["status"] in ("queued", "in_flight") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _job(live_server, job_id)["status"] in ("failed", "queued")
    assert qb.company.customer("Twice") is None
