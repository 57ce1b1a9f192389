"""Hostile input to the admin API: every value qbbridge cannot store or compute with is a 422 naming
the field, on a live server over HTTP, on PostgreSQL and SQLite. Never a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.foundation.helpers import new_tenant
from tests.support.payloads import PRODUCTION_ORDER, SALES_ORDER
from tests.support.servers import LiveServer

JSON = {"Content-Type": "application/json"}


def _issues(response: httpx.Response) -> list[dict]:
    assert response.status_code == 422, (response.status_code, response.text)
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    for item in detail:
        assert set(item) == {"loc", "msg", "type"}, item
    return detail


def _locs(response: httpx.Response) -> list[list]:
    return [item["loc"] for item in _issues(response)]


def _no_jobs(admin: httpx.Client, tenant_id: str) -> None:
    assert admin.get(f"/api/v1/tenants/{tenant_id}/jobs").json()["items"] == []


@pytest.mark.parametrize("cursor", ["٣", "²", "12345678901234567890", "-1", "1 ", "x" * 65])
@pytest.mark.parametrize("path", ["jobs", "imports", "links"])
def test_a_cursor_that_names_no_row_is_422_naming_cursor(admin: httpx.Client, path: str, cursor: str) -> None:
    tenant = new_tenant(admin)
    response = admin.get(f"/api/v1/tenants/{tenant.id}/{path}", params={"cursor": cursor})
    assert _locs(response) == [["query", "cursor"]]


@pytest.mark.parametrize("cursor", ["٣", "12345678901234567890", "no-such-tenant"])
def test_the_tenant_list_refuses_a_cursor_that_names_no_tenant(admin: httpx.Client, cursor: str) -> None:
    assert _locs(admin.get("/api/v1/tenants", params={"cursor": cursor})) == [["query", "cursor"]]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "123456789012345678901234"])
def test_numbers_json_cannot_hold_are_422_with_their_path(admin: httpx.Client, number: str) -> None:
    tenant = new_tenant(admin)
    body = (
        '{"code": "SO-N", "client": {"code": "ACME"}, "createdAt": "2026-11-02T09:15:00Z", '
        f'"rows": [{{"product": {{"code": "WIDGET-1"}}, "quantity": {number}}}]}}'
    )
    response = admin.post(f"/api/v1/tenants/{tenant.id}/sales-orders", content=body, headers=JSON)
    assert _locs(response) == [["body", "rows", 0, "quantity"]]
    _no_jobs(admin, tenant.id)
    # Free-form bodies are read the same way: settings, and an event's data.
    settings = admin.put(
        f"/api/v1/tenants/{tenant.id}/settings", content=f'{{"retrievalIntervalMinutes": {number}}}', headers=JSON
    )
    assert _locs(settings) == [["body", "retrievalIntervalMinutes"]]
    event = admin.post(
        f"/api/v1/tenants/{tenant.id}/events",
        content=f'{{"entity": "salesOrder", "action": "created", "data": {{"x": [1, {number}]}}}}',
        headers=JSON,
    )
    assert _locs(event) == [["body", "data", "x", 1]]


@pytest.mark.parametrize(("escape", "what"), [("\\ud800", "surrogate"), ("\\udfff", "surrogate"), ("\\u0000", "NUL")])
def test_a_lone_surrogate_or_a_nul_in_any_string_is_422_with_its_path(
    admin: httpx.Client, escape: str, what: str
) -> None:
    tenant = new_tenant(admin)
    url = f"/api/v1/tenants/{tenant.id}"
    cases = [
        ("POST", "/api/v1/tenants", f'{{"name": "Acme {escape}"}}', ["body", "name"]),
        ("POST", f"{url}/api-keys", f'{{"name": "{escape}"}}', ["body", "name"]),
        ("POST", f"{url}/qbxml", f'{{"qbxml": "<QBXML>{escape}</QBXML>"}}', ["body", "qbxml"]),
        ("PUT", f"{url}/settings", f'{{"inventory": {{"adjustmentMemo": "a{escape}"}}}}', ["body", "inventory", "adjustmentMemo"]),
        # A key is named as it can be written back: a lone surrogate as its escape, in plain text.
        ("PUT", f"{url}/settings", f'{{"k{escape}": 1}}', ["body", "k\x00" if what == "NUL" else "k" + escape]),
        ("POST", f"{url}/retrievals", f'{{"entities": ["salesOrder"], "since": "2026-11-01{escape}"}}', ["body", "since"]),
        ("POST", f"{url}/imports/ack", f'{{"ids": ["{escape}"]}}', ["body", "ids", 0]),
        ("PUT", f"{url}/fusion-api", f'{{"baseUrl": "https://fo.example.com", "apiKey": "k{escape}"}}', ["body", "apiKey"]),
        (
            "POST",
            f"{url}/sales-orders",
            '{"code": "SO-1", "client": {"code": "ACME"}, "createdAt": "2026-11-02T09:15:00Z", "rows": '
            f'[{{"product": {{"code": "W{escape}"}}, "quantity": 1}}]}}',
            ["body", "rows", 0, "product", "code"],
        ),
        (
            "POST",
            f"{url}/events",
            f'{{"entity": "salesOrder", "action": "created", "data": {{"customFields": {{"a": "{escape}"}}}}}}',
            ["body", "data", "customFields", "a"],
        ),
    ]
    for method, path, body, loc in cases:
        response = admin.request(method, path, content=body, headers=JSON)
        assert _locs(response) == [loc], (path, response.text)
        assert what in response.json()["detail"][0]["msg"], response.text
    _no_jobs(admin, tenant.id)
    names = {t["name"] for t in admin.get("/api/v1/tenants", params={"limit": 500}).json()["items"]}
    assert not any("\x00" in name or "\\ud" in name for name in names)


def test_a_nul_in_a_path_or_query_parameter_is_422_naming_it(admin: httpx.Client) -> None:
    tenant = new_tenant(admin)
    assert _locs(admin.get("/api/v1/tenants/a%00b")) == [["path", "tenant_id"]]
    assert _locs(admin.get("/api/v1/jobs/a%00b")) == [["path", "job_id"]]
    links = admin.get(f"/api/v1/tenants/{tenant.id}/links", params={"code": "a\x00b"})
    assert _locs(links) == [["query", "code"]]


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01", "1899-12-31T23:59:59Z"]
)
def test_dates_outside_the_calendar_are_422_with_their_path(admin: httpx.Client, moment: str) -> None:
    tenant = new_tenant(admin)
    url = f"/api/v1/tenants/{tenant.id}"
    retrieval = admin.post(f"{url}/retrievals", json={"entities": ["salesOrder"], "since": moment})
    assert _locs(retrieval) == [["body", "since"]]
    order = admin.post(f"{url}/sales-orders", json={**SALES_ORDER, "createdAt": moment})
    assert _locs(order) == [["body", "createdAt"]]
    record = {**PRODUCTION_ORDER["timeRecords"][0], "startTime": moment}
    record.pop("endTime", None)
    record["duration"] = 60
    production = admin.post(f"{url}/production-orders", json={**PRODUCTION_ORDER, "timeRecords": [record]})
    assert _locs(production) == [["body", "timeRecords", 0, "startTime"]]
    _no_jobs(admin, tenant.id)


def test_the_calendar_edges_themselves_are_accepted(admin: httpx.Client) -> None:
    tenant = new_tenant(admin)
    url = f"/api/v1/tenants/{tenant.id}"
    assert admin.put(f"{url}/settings", json={"retrievals": {"salesOrder": {"enabled": True}}}).status_code == 200
    for since in ["1900-01-01", "1900-01-01T00:00:00Z", "9998-12-31", "9998-12-31T23:59:59Z"]:
        response = admin.post(f"{url}/retrievals", json={"entities": ["salesOrder"], "since": since})
        assert response.status_code == 202, (since, response.text)


def test_a_duration_too_long_for_the_calendar_is_422(admin: httpx.Client) -> None:
    tenant = new_tenant(admin)
    record = {**PRODUCTION_ORDER["timeRecords"][0], "duration": 1e300}
    record.pop("endTime", None)
    response = admin.post(
        f"/api/v1/tenants/{tenant.id}/production-orders", json={**PRODUCTION_ORDER, "timeRecords": [record]}
    )
    assert _locs(response) == [["body", "timeRecords", 0, "duration"]]


def test_bodies_that_are_not_json_or_nest_too_deep_are_422_not_400(admin: httpx.Client) -> None:
    tenant = new_tenant(admin)
    url = f"/api/v1/tenants/{tenant.id}/settings"
    for body, kind in [
        (b"\xff\xfe", "json_invalid"),
        (b"{", "json_invalid"),
        (b"[" * 5000 + b"]" * 5000, "too_deep"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "too_deep"),
    ]:
        response = admin.put(url, content=body, headers=JSON)
        (issue,) = _issues(response)
        assert issue["type"] == kind and issue["loc"][0] == "body", response.text
        # Python 3.13 parses the 5,000 lists and qbbridge's walk names the path of the 33rd (all 0);
        # older Pythons stop at their recursion limit first and the issue names the body itself.
        assert set(issue["loc"][1:]) <= {"a", 0}


@pytest.mark.parametrize(("name", "stored"), [("  Acme Tools \t", "Acme Tools"), ("\u3000Ünïcode\u00a0", "Ünïcode"), ("x" * 200, "x" * 200)])
def test_tenant_names_are_trimmed(admin: httpx.Client, name: str, stored: str) -> None:
    response = admin.post("/api/v1/tenants", json={"name": name})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == stored
    assert admin.get(f"/api/v1/tenants/{response.json()['id']}").json()["name"] == stored


@pytest.mark.parametrize("name", ["", "   ", "\t\n", "\u3000\u2003", "x" * 201])
def test_a_tenant_name_empty_once_trimmed_or_too_long_is_422(live_server: LiveServer, name: str) -> None:
    admin = live_server.client
    before = admin.get("/api/v1/tenants", params={"limit": 500}).json()["items"]
    assert _locs(admin.post("/api/v1/tenants", json={"name": name})) == [["body", "name"]]
    after = admin.get("/api/v1/tenants", params={"limit": 500}).json()["items"]
    assert len(after) == len(before)
    assert all(t["name"].strip() for t in after)


def test_errors_do_not_echo_the_refused_input(admin: httpx.Client) -> None:
    tenant = new_tenant(admin)
    secret = "do-not-echo-" + "s" * 400
    response = admin.put(
        f"/api/v1/tenants/{tenant.id}/fusion-api", json={"baseUrl": "ftp://x", "apiKey": secret}
    )
    assert _locs(response) == [["body", "baseUrl"]]
    assert secret not in response.text
