"""Steps the console tests share: signing in, tenants made through the admin API, simulated sessions."""

from __future__ import annotations

import io
import uuid
from typing import Any

from playwright.sync_api import Page, expect

from simulator.demo import seed_demo
from simulator.quickbooks import QuickBooks
from simulator.webconnector import SessionResult, WebConnector
from tests.support.servers import LiveServer


def new_tenant(server: LiveServer, name: str | None = None) -> dict[str, Any]:
    response = server.client.post("/api/v1/tenants", json={"name": name or f"Console {uuid.uuid4().hex[:8]}"})
    assert response.status_code == 201, response.text
    return dict(response.json())


def tenant_api_key(server: LiveServer, tenant_id: str) -> str:
    response = server.client.post(f"/api/v1/tenants/{tenant_id}/api-keys", json={"name": "console test"})
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def queue_qbxml(server: LiveServer, tenant_id: str, body: str) -> str:
    qbxml = (
        '<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?>'
        f'<QBXML><QBXMLMsgsRq onError="stopOnError">{body}</QBXMLMsgsRq></QBXML>'
    )
    response = server.client.post(f"/api/v1/tenants/{tenant_id}/qbxml", json={"qbxml": qbxml})
    assert response.status_code == 202, response.text
    return str(response.json()["jobId"])


def job_status(server: LiveServer, job_id: str) -> str:
    response = server.client.get(f"/api/v1/jobs/{job_id}")
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


def demo_quickbooks() -> QuickBooks:
    return QuickBooks(seed_demo(), use_default_schema=False)


def run_simulator(server: LiveServer, username: str, password: str, qb: QuickBooks) -> SessionResult:
    """One Web Connector session of the simulator against the running server, over HTTP."""
    connector = WebConnector(server.qbwc_url, username, password, qb, noop_pause=0.05, out=io.StringIO())
    return connector.run_session()


def sign_in(page: Page, server: LiveServer, key: str, *, expect_path: str = "/console/tenants") -> None:
    page.goto(server.base_url + "/console/sign-in")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server.base_url + expect_path)
