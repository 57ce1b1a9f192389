"""Small helpers for foundation tests: a tenant with a token, raw jobs, and a clock the test moves."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import httpx

from tests.support.webconnector import customer_query

# Where a test's own clock starts.
START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


class Clock:
    """The service's clock in a test: ``now`` stays put until the test moves it."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class TenantCredentials:
    id: str
    username: str
    token: str


def new_tenant(admin: httpx.Client, name: str | None = None) -> TenantCredentials:
    created = admin.post("/api/v1/tenants", json={"name": name or f"Tenant {uuid.uuid4().hex[:8]}"})
    assert created.status_code == 201, created.text
    tenant = created.json()
    token = admin.post(f"/api/v1/tenants/{tenant['id']}/token")
    assert token.status_code == 201, token.text
    return TenantCredentials(id=tenant["id"], username=tenant["qbwcUsername"], token=token.json()["token"])


def queue_raw(admin: httpx.Client, tenant_id: str, qbxml: str | None = None) -> str:
    response = admin.post(f"/api/v1/tenants/{tenant_id}/qbxml", json={"qbxml": qbxml or customer_query()})
    assert response.status_code == 202, response.text
    return response.json()["jobId"]


def job(admin: httpx.Client, job_id: str) -> dict:
    response = admin.get(f"/api/v1/jobs/{job_id}")
    assert response.status_code == 200, response.text
    return response.json()
