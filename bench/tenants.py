"""Tenants of a live server for the benchmarks that send through it (bench/send_flows.py, bench/soak.py)."""

from __future__ import annotations

from typing import Any

import httpx


def new_tenant(admin: httpx.Client, name: str, settings: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A tenant created through the admin API with ``settings`` applied: its record and its Web
    Connector token."""
    created = admin.post("/api/v1/tenants", json={"name": name})
    created.raise_for_status()
    tenant: dict[str, Any] = created.json()
    issued = admin.post(f"/api/v1/tenants/{tenant['id']}/token")
    issued.raise_for_status()
    admin.put(f"/api/v1/tenants/{tenant['id']}/settings", json=settings).raise_for_status()
    return tenant, str(issued.json()["token"])
