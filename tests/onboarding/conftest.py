"""A tenant taken through setup step by step, against a simulated QuickBooks and Web Connector."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from simulator.faults import Faults
from simulator.quickbooks import QuickBooks
from simulator.webconnector import DEFAULT_COMPANY_FILE, SessionResult, WebConnector
from tests.sends.conftest import new_company
from tests.support.servers import LiveServer

OTHER_FILE = "C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\Other Company.qbw"


@dataclass
class Onboarding:
    server: LiveServer
    tenant_id: str
    username: str
    qb: QuickBooks
    token: str = ""

    @property
    def api(self) -> httpx.Client:
        return self.server.client

    def url(self, path: str = "") -> str:
        return f"/api/v1/tenants/{self.tenant_id}{path}"

    def steps(self) -> dict[str, dict[str, Any]]:
        response = self.api.get(self.url("/setup"))
        assert response.status_code == 200, response.text
        body = response.json()
        assert [s["key"] for s in body["steps"]] == [
            "installConnector", "generateToken", "testConnection", "requestAccess", "testAccess",
        ]  # fmt: skip
        assert body["ready"] == all(s["status"] == "done" for s in body["steps"])
        return {s["key"]: s for s in body["steps"]}

    def status(self) -> dict[str, str]:
        return {key: step["status"] for key, step in self.steps().items()}

    def generate_token(self) -> str:
        response = self.api.post(self.url("/token"))
        assert response.status_code == 201, response.text
        self.token = response.json()["token"]
        return self.token

    def sync(self, *, faults: Faults | None = None, password: str | None = None, **kw: Any) -> SessionResult:
        connector = WebConnector(
            self.server.qbwc_url,
            self.username,
            self.token if password is None else password,
            self.qb,
            noop_pause=0.01,
            faults=faults or Faults(),
            out=io.StringIO(),
            **kw,
        )
        return connector.run_session()

    def connection(self) -> dict[str, Any]:
        response = self.api.get(self.url("/connection"))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def job(self, job_id: str) -> dict[str, Any]:
        response = self.api.get(f"/api/v1/jobs/{job_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())


def new_onboarding(server: LiveServer, *, token: bool = False, qwc: bool = True) -> Onboarding:
    created = server.client.post("/api/v1/tenants", json={"name": f"Onboard {uuid.uuid4().hex[:6]}"})
    assert created.status_code == 201, created.text
    tenant = created.json()
    onboarding = Onboarding(server, tenant["id"], tenant["qbwcUsername"], new_company())
    if qwc:
        # Onboarding starts with the .qwc file (the checklist's first step).
        assert server.client.get(onboarding.url("/qwc")).status_code == 200
    if token:
        onboarding.generate_token()
    return onboarding


def connected(server: LiveServer) -> Onboarding:
    """A tenant whose first session reached QuickBooks (bound to the simulator's default file)."""
    onboarding = new_onboarding(server, token=True)
    assert onboarding.sync().auth_status == ""
    assert onboarding.status()["requestAccess"] == "done"
    return onboarding


@pytest.fixture
def onboarding(live_server: LiveServer) -> Onboarding:
    return new_onboarding(live_server, qwc=False)


__all__ = ["DEFAULT_COMPANY_FILE", "OTHER_FILE", "Onboarding", "connected", "new_onboarding"]
