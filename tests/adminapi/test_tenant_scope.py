"""A tenant's API key reaches its own tenant only: every operation of the admin API that names a tenant
in its path answers another tenant's id exactly as it answers an id no tenant has, so a key can neither
act on nor discover other tenants; and the operations kept for the admin key refuse a tenant key (403)
even on its own tenant."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.foundation.helpers import new_tenant

# Operations only the service's admin key may call (the others are open to a tenant's own key).
ADMIN_ONLY = {
    ("post", "/api/v1/tenants/{tenant_id}/disable"),
    ("post", "/api/v1/tenants/{tenant_id}/enable"),
    ("delete", "/api/v1/tenants/{tenant_id}"),
}


def _operations(admin: httpx.Client) -> list[tuple[str, str]]:
    document = admin.get("/openapi.json").json()
    return [
        (method, path)
        for path, item in document["paths"].items()
        if "{tenant_id}" in path
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _call(client: httpx.Client, method: str, path: str, tenant_id: str) -> httpx.Response:
    url = path.replace("{tenant_id}", tenant_id).replace("{key_id}", "k-0")
    body = {"json": {}} if method in {"post", "put", "patch"} else {}
    return client.request(method.upper(), url, **body)


@pytest.fixture()
def scoped(admin: httpx.Client, live_server) -> tuple[httpx.Client, str]:
    own = new_tenant(admin)
    key = admin.post(f"/api/v1/tenants/{own.id}/api-keys", json={"name": "scope"}).json()["key"]
    return httpx.Client(base_url=live_server.base_url, headers={"Authorization": f"Bearer {key}"}), own.id


def test_another_tenant_answers_as_a_tenant_that_does_not_exist(
    admin: httpx.Client, scoped: tuple[httpx.Client, str]
) -> None:
    client, _ = scoped
    other = new_tenant(admin).id
    made_up = str(uuid.uuid4())
    operations = _operations(admin)
    assert len(operations) >= 30, operations  # every tenant operation of the API, not a few
    for method, path in operations:
        on_other = _call(client, method, path, other)
        on_made_up = _call(client, method, path, made_up)
        assert on_other.status_code == on_made_up.status_code, (method, path, on_other.text)
        assert on_other.status_code in {403, 404, 422}, (method, path, on_other.status_code)
        if on_other.status_code == 404:
            # The same words too: the detail names the id asked for and nothing else.
            assert on_other.json()["detail"].replace(other, "ID") == on_made_up.json()["detail"].replace(
                made_up, "ID"
            ), (method, path)
    # Nothing was done to the other tenant: its own key-less view is unchanged.
    assert admin.get(f"/api/v1/tenants/{other}").json()["disabledAt"] is None


def test_admin_only_operations_refuse_a_tenant_key_on_its_own_tenant(scoped: tuple[httpx.Client, str]) -> None:
    client, own = scoped
    for method, path in sorted(ADMIN_ONLY):
        answer = _call(client, method, path, own)
        assert answer.status_code == 403, (method, path, answer.text)
        assert "admin API key" in answer.json()["detail"]
