"""Every list pages the same way (limit, cursor, nextCursor), and a deleted Fusion Operations API
configuration is gone (404)."""

from __future__ import annotations

import uuid

import httpx

from tests.foundation.helpers import new_tenant, queue_raw
from tests.support.payloads import SALES_ORDER


def _walk(admin: httpx.Client, path: str, limit: int, **query: str) -> list[list[dict]]:
    pages, cursor = [], None
    for _ in range(50):
        params = {"limit": limit, **query, **({"cursor": cursor} if cursor else {})}
        response = admin.get(path, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "nextCursor"}
        pages.append(body["items"])
        cursor = body["nextCursor"]
        if cursor is None:
            return pages
    raise AssertionError("paging did not end")


def test_links_page_with_a_cursor_past_any_limit(admin: httpx.Client) -> None:
    tenant = new_tenant(admin)
    codes = [f"SO-P{i}" for i in range(5)]
    for code in codes:
        sent = admin.post(f"/api/v1/tenants/{tenant.id}/sales-orders", json={**SALES_ORDER, "code": code})
        assert sent.status_code == 202, sent.text
    pages = _walk(admin, f"/api/v1/tenants/{tenant.id}/links", limit=2)
    assert [len(page) for page in pages] == [2, 2, 1]
    seen = [link["code"] for page in pages for link in page if link["entity"] == "salesOrder"]
    assert seen == list(reversed(codes))  # newest first, each once
    # The largest page is still bounded, and says so.
    assert admin.get(f"/api/v1/tenants/{tenant.id}/links", params={"limit": 501}).status_code == 422


def test_tenants_page_in_creation_order_and_a_tenant_key_sees_its_own(admin: httpx.Client, live_server) -> None:
    # Only this test's tenants are paged (a name of their own): the server is shared with every other
    # test of the session, which may have made hundreds.
    prefix = f"Paged {uuid.uuid4().hex[:8]}"
    mine = [admin.post("/api/v1/tenants", json={"name": f"{prefix} {n}"}).json()["id"] for n in range(3)]
    pages = _walk(admin, "/api/v1/tenants", limit=2, name=prefix)
    assert [[tenant["id"] for tenant in page] for page in pages] == [mine[:2], mine[2:]]
    key = admin.post(f"/api/v1/tenants/{mine[1]}/api-keys", json={"name": "paging"}).json()["key"]
    scoped = httpx.Client(base_url=live_server.base_url, headers={"Authorization": f"Bearer {key}"})
    assert scoped.get("/api/v1/tenants").json() == {"items": [admin.get(f"/api/v1/tenants/{mine[1]}").json()], "nextCursor": None}
    # Another tenant's id is no cursor for a tenant key.
    assert scoped.get("/api/v1/tenants", params={"cursor": mine[0]}).status_code == 422


def test_jobs_and_imports_answer_the_same_shape(admin: httpx.Client) -> None:
    tenant = new_tenant(admin)
    jobs = [queue_raw(admin, tenant.id) for _ in range(3)]
    pages = _walk(admin, f"/api/v1/tenants/{tenant.id}/jobs", limit=2)
    assert [job["id"] for page in pages for job in page] == list(reversed(jobs))
    assert _walk(admin, f"/api/v1/tenants/{tenant.id}/imports", limit=2) == [[]]


def test_a_deleted_fusion_api_configuration_answers_404(admin: httpx.Client) -> None:
    tenant = new_tenant(admin)
    url = f"/api/v1/tenants/{tenant.id}/fusion-api"
    assert admin.get(url).status_code == 404  # never configured
    put = admin.put(url, json={"baseUrl": "https://fo.example.com/v2/", "apiKey": "k-123"})
    assert put.status_code == 200 and put.json() == {"baseUrl": "https://fo.example.com/v2", "hasApiKey": True}
    assert admin.get(url).json() == {"baseUrl": "https://fo.example.com/v2", "hasApiKey": True}
    assert admin.delete(url).status_code == 204
    gone = admin.get(url)
    assert gone.status_code == 404 and "PUT" in gone.json()["detail"]
    assert admin.delete(url).status_code == 204  # deleting twice is no error
