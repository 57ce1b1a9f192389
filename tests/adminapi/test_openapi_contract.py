"""The OpenAPI document is the contract: every status code an operation can answer is listed with its
model, and every operation that takes a body shows an example that the API accepts."""

from __future__ import annotations

import httpx
import pytest

from tests.foundation.helpers import new_tenant
from tests.support.servers import LiveServer

SENDS = ["sales-orders", "purchase-orders", "receivings", "shippings", "production-orders", "inventory"]


@pytest.fixture(scope="module")
def spec(live_server: LiveServer) -> dict:
    return httpx.get(live_server.base_url + "/openapi.json").json()


def _ref(response: dict) -> str:
    return response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]


def test_every_operation_lists_its_errors_with_their_models(spec: dict) -> None:
    operations = [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]
    assert len(operations) >= 28
    for path, method, operation in operations:
        responses = operation["responses"]
        where = f"{method.upper()} {path}"
        for code in ("401", "413", "422"):
            assert code in responses, (where, code)
        assert _ref(responses["422"]) == "ValidationProblem", where
        assert _ref(responses["401"]) == "Problem", where
        if "{" in path:
            assert "404" in responses and _ref(responses["404"]) == "Problem", where
    assert "403" in spec["paths"]["/api/v1/tenants"]["post"]["responses"]
    for path in ["/api/v1/jobs/{job_id}/cancel", "/api/v1/jobs/{job_id}/retry", "/api/v1/tenants/{tenant_id}/qwc"]:
        assert "409" in spec["paths"][path][next(iter(spec["paths"][path]))]["responses"], path
    issue = spec["components"]["schemas"]["Issue"]
    assert set(issue["required"]) == {"loc", "msg", "type"}


def test_every_list_pages_the_same_way(spec: dict) -> None:
    lists = [
        "/api/v1/tenants",
        "/api/v1/tenants/{tenant_id}/jobs",
        "/api/v1/tenants/{tenant_id}/imports",
        "/api/v1/tenants/{tenant_id}/links",
    ]
    for path in lists:
        operation = spec["paths"][path]["get"]
        names = {p["name"] for p in operation["parameters"]}
        assert {"limit", "cursor"} <= names, path
        answer = spec["components"]["schemas"][_ref(operation["responses"]["200"])]
        assert set(answer["properties"]) == {"items", "nextCursor"}, path


def test_every_body_has_an_example_the_api_accepts(spec: dict, admin: httpx.Client) -> None:
    tenant = new_tenant(admin)
    # Retrievals are off by default (the example retrieval would be refused with a 409 that says so).
    entities = ["salesOrder", "purchaseOrder", "invoice", "estimate"]
    on = {"retrievals": {entity: {"enabled": True} for entity in entities}}
    assert admin.put(f"/api/v1/tenants/{tenant.id}/settings", json=on).status_code == 200
    with_bodies = []
    for path, ops in spec["paths"].items():
        for method, operation in ops.items():
            if "requestBody" in operation:
                examples = operation["requestBody"]["content"]["application/json"]["schema"].get("examples")
                assert examples, f"{method.upper()} {path} has no request example"
                with_bodies.append((path, method, examples[0]))
    # The receiving and shipping examples are of the example orders: those are sent first.
    with_bodies.sort(key=lambda item: item[0].endswith(("/receivings", "/shippings")))
    for path, method, example in with_bodies:
        url = path.format(tenant_id=tenant.id)
        if any(url.endswith(f"/{send}") for send in SENDS):
            preview = admin.post(url, params={"dry_run": "true"}, json=example)
            assert preview.status_code == 200, (path, preview.text)
        response = admin.request(method.upper(), url, json=example)
        assert response.status_code < 300, (method, path, response.text)
