"""The admin API: authentication, tenants, tokens, the .qwc file, API keys, raw jobs."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from lxml import etree
from sqlalchemy import create_engine, text

from tests.foundation.helpers import job, new_tenant, queue_raw
from tests.support.servers import LiveServer, start_server

GUID = re.compile(r"^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$")
INTUIT_SAMPLE_OWNER_ID = "{57F3B9B1-86F1-4fcc-B1EE-566DE1813D20}"


def test_every_api_route_needs_a_key(live_server: LiveServer) -> None:
    anonymous = httpx.Client(base_url=live_server.base_url)
    for method, path in [
        ("GET", "/api/v1/tenants"),
        ("POST", "/api/v1/tenants"),
        ("GET", "/api/v1/tenants/x"),
        ("POST", "/api/v1/tenants/x/token"),
        ("GET", "/api/v1/tenants/x/qwc"),
        ("GET", "/api/v1/jobs/x"),
    ]:
        assert anonymous.request(method, path).status_code == 401
        bad = anonymous.request(method, path, headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401


def test_create_list_and_get_tenants_in_camel_case(admin: httpx.Client) -> None:
    created = admin.post("/api/v1/tenants", json={"name": "Acme Manufacturing"})
    assert created.status_code == 201
    tenant = created.json()
    assert tenant["name"] == "Acme Manufacturing"
    assert tenant["qbwcUsername"].startswith("qbb-acme-manufacturing-")
    assert GUID.match(tenant["fileId"])
    assert tenant["hasToken"] is False
    assert admin.get(f"/api/v1/tenants/{tenant['id']}").json() == tenant
    # Other tests' tenants share this database: the list is read through its name search, not its
    # first page (which holds the oldest tenants).
    listed = admin.get("/api/v1/tenants", params={"name": "acme manufacturing"}).json()["items"]
    assert tenant["id"] in {t["id"] for t in listed}
    assert admin.get("/api/v1/tenants/does-not-exist").status_code == 404


def test_tenant_name_is_validated(admin: httpx.Client) -> None:
    response = admin.post("/api/v1/tenants", json={"name": ""})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


def test_usernames_and_file_ids_are_unique_per_tenant(admin: httpx.Client) -> None:
    a = admin.post("/api/v1/tenants", json={"name": "Same Name"}).json()
    b = admin.post("/api/v1/tenants", json={"name": "Same Name"}).json()
    assert a["qbwcUsername"] != b["qbwcUsername"]
    assert a["fileId"] != b["fileId"]


def test_token_is_random_shown_once_and_stored_as_a_digest(live_server: LiveServer) -> None:
    admin = live_server.client
    tenant = new_tenant(admin)
    assert len(tenant.token) >= 32  # 24 random bytes, URL-safe base64: 192 bits
    again = admin.get(f"/api/v1/tenants/{tenant.id}").json()
    assert again["hasToken"] is True
    assert tenant.token not in str(again)
    engine = create_engine(live_server.database_url)
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT token_digest FROM tenants WHERE id = :id"), {"id": tenant.id}
        ).scalar_one()
        everything = " ".join(
            str(row)
            for row in connection.execute(text("SELECT * FROM tenants WHERE id = :id"), {"id": tenant.id})
        )
    engine.dispose()
    assert stored and len(stored) == 64 and stored != tenant.token
    assert tenant.token not in everything


def test_qwc_file_has_every_field_the_web_connector_needs(live_server: LiveServer) -> None:
    admin = live_server.client
    created = admin.post("/api/v1/tenants", json={"name": "Smith & <Sons>"}).json()
    response = admin.get(f"/api/v1/tenants/{created['id']}/qwc")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["content-disposition"].endswith('.qwc"')
    root = etree.fromstring(response.content)  # well-formed: the tenant name was escaped
    assert root.tag == "QBWCXML"
    port = live_server.base_url.rsplit(":", 1)[1]
    # One application per tenant (stable: the user name never changes), so two company files on one
    # computer do not trigger the Web Connector's clone/replace prompt.
    assert root.findtext("AppName") == f"qbbridge {created['qbwcUsername']}"
    assert root.findtext("AppUniqueName") == root.findtext("AppName")
    assert root.findtext("AppDisplayName") == "qbbridge: Smith & <Sons>"
    assert root.find("AppID") is not None
    assert root.findtext("AppURL") == f"http://localhost:{port}/qbwc"
    assert "Smith & <Sons>" in (root.findtext("AppDescription") or "")
    assert len(root.findtext("AppDescription") or "") <= 80
    assert root.findtext("AuthFlags") == "0xE"  # Pro, Premier, Enterprise
    assert root.findtext("UnattendedModePref") == "umpOptional"
    assert root.findtext("PersonalDataPref") == "pdpNotNeeded"
    assert root.findtext("AppSupport") == f"http://localhost:{port}/support?file={root.findtext('FileID').strip('{}')}"
    assert root.findtext("UserName") == created["qbwcUsername"]
    owner = root.findtext("OwnerID") or ""
    assert GUID.match(owner) and owner.upper() != INTUIT_SAMPLE_OWNER_ID.upper()
    assert root.findtext("FileID") == created["fileId"]
    assert root.findtext("QBType") == "QBFS"
    assert root.findtext("Scheduler/RunEveryNMinutes") == "30"
    assert root.findtext("IsReadOnly") == "false"
    # The support page the Web Connector checks when the file is added answers 200 (the tenant's own).
    support = root.findtext("AppSupport") or ""
    assert httpx.get(live_server.base_url + support[support.index("/support") :]).status_code == 200
    # Stable: downloading again gives the same identifiers.
    again = etree.fromstring(admin.get(f"/api/v1/tenants/{created['id']}/qwc").content)
    assert again.findtext("FileID") == created["fileId"] and again.findtext("OwnerID") == owner


def test_qwc_refuses_a_non_https_public_url(tmp_path: Path, sqlite_url: str) -> None:
    # Plain http for another host than localhost starts only when asked for (a test setup).
    server = start_server(
        sqlite_url,
        tmp_path,
        extra_env={"QBBRIDGE_PUBLIC_URL": "http://qb.example.com", "QBBRIDGE_ALLOW_INSECURE_PUBLIC_URL": "1"},
    )
    try:
        tenant = server.client.post("/api/v1/tenants", json={"name": "Plain http"}).json()
        response = server.client.get(f"/api/v1/tenants/{tenant['id']}/qwc")
        assert response.status_code == 409
        assert "https" in response.json()["detail"] and "QBBRIDGE_PUBLIC_URL" in response.json()["detail"]
    finally:
        server.stop()
    https_server = start_server(
        sqlite_url, tmp_path, extra_env={"QBBRIDGE_PUBLIC_URL": "https://qb.example.com"}
    )
    try:
        tenant = https_server.client.post("/api/v1/tenants", json={"name": "Https"}).json()
        root = etree.fromstring(https_server.client.get(f"/api/v1/tenants/{tenant['id']}/qwc").content)
        assert root.findtext("AppURL") == "https://qb.example.com/qbwc"
        wsdl = etree.fromstring(httpx.get(https_server.qbwc_url + "?wsdl").content)
        address = wsdl.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
        assert address is not None and address.get("location") == "https://qb.example.com/qbwc"
    finally:
        https_server.stop()


def test_tenant_api_keys_reach_only_their_own_tenant(live_server: LiveServer) -> None:
    admin = live_server.client
    mine = new_tenant(admin)
    other = new_tenant(admin)
    other_job = queue_raw(admin, other.id)
    created = admin.post(f"/api/v1/tenants/{mine.id}/api-keys", json={"name": "Fusion Operations"})
    assert created.status_code == 201
    key = created.json()["key"]
    scoped = httpx.Client(base_url=live_server.base_url, headers={"Authorization": f"Bearer {key}"})
    assert scoped.get(f"/api/v1/tenants/{mine.id}").status_code == 200
    assert [t["id"] for t in scoped.get("/api/v1/tenants").json()["items"]] == [mine.id]
    for method, path in [
        ("GET", f"/api/v1/tenants/{other.id}"),
        ("POST", f"/api/v1/tenants/{other.id}/token"),
        ("GET", f"/api/v1/tenants/{other.id}/qwc"),
        ("GET", f"/api/v1/tenants/{other.id}/connection"),
        ("GET", f"/api/v1/tenants/{other.id}/jobs"),
        ("GET", f"/api/v1/jobs/{other_job}"),
        ("POST", f"/api/v1/jobs/{other_job}/cancel"),
    ]:
        assert scoped.request(method, path).status_code == 404, path
    response = scoped.post(f"/api/v1/tenants/{other.id}/qbxml", json={"qbxml": "<QBXML/>"})
    assert response.status_code == 404
    assert scoped.post("/api/v1/tenants", json={"name": "x"}).status_code == 403
    own_job = queue_raw(scoped, mine.id)
    assert scoped.get(f"/api/v1/jobs/{own_job}").status_code == 200


@pytest.mark.parametrize(
    ("qbxml", "fragment"),
    [
        ("<QBXML><QBXMLMsgsRq onError='stopOnError'><CustomerQueryRq>", "not well-formed"),
        ("<NotQBXML/>", "root element must be QBXML"),
        ("<QBXML><QBXMLMsgsRq onError='stopOnError'/></QBXML>", "no request"),
        ("<QBXML><QBXMLMsgsRq><CustomerQueryRq/></QBXMLMsgsRq></QBXML>", "onError"),
        ('<!DOCTYPE x [<!ENTITY a "b">]><QBXML/>', "DOCTYPE"),
    ],
)
def test_malformed_raw_qbxml_is_422_and_nothing_is_queued(
    live_server: LiveServer, qbxml: str, fragment: str
) -> None:
    admin = live_server.client
    tenant = new_tenant(admin)
    response = admin.post(f"/api/v1/tenants/{tenant.id}/qbxml", json={"qbxml": qbxml})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "qbxml"]
    assert fragment in detail["msg"]
    assert admin.get(f"/api/v1/tenants/{tenant.id}/jobs").json()["items"] == []


def test_jobs_list_filters_by_status_and_paginates(live_server: LiveServer) -> None:
    admin = live_server.client
    tenant = new_tenant(admin)
    ids = [queue_raw(admin, tenant.id) for _ in range(3)]
    cancelled = admin.post(f"/api/v1/jobs/{ids[0]}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert admin.post(f"/api/v1/jobs/{ids[0]}/cancel").status_code == 409
    queued = admin.get(f"/api/v1/tenants/{tenant.id}/jobs", params={"status": "queued"}).json()
    assert {j["id"] for j in queued["items"]} == set(ids[1:])
    first = admin.get(f"/api/v1/tenants/{tenant.id}/jobs", params={"limit": 2}).json()
    assert [j["id"] for j in first["items"]] == [ids[2], ids[1]]
    second = admin.get(
        f"/api/v1/tenants/{tenant.id}/jobs", params={"limit": 2, "cursor": first["nextCursor"]}
    ).json()
    assert [j["id"] for j in second["items"]] == [ids[0]] and second["nextCursor"] is None
    assert admin.get(f"/api/v1/tenants/{tenant.id}/jobs", params={"status": "bogus"}).status_code == 422
    detail = job(admin, ids[1])
    assert detail["status"] == "queued" and detail["steps"][0]["state"] == "queued"
    assert detail["steps"][0]["request"] is None


def test_openapi_documents_the_api(live_server: LiveServer) -> None:
    spec = httpx.get(live_server.base_url + "/openapi.json").json()
    paths = spec["paths"]
    for path in [
        "/api/v1/tenants",
        "/api/v1/tenants/{tenant_id}",
        "/api/v1/tenants/{tenant_id}/token",
        "/api/v1/tenants/{tenant_id}/qwc",
        "/api/v1/tenants/{tenant_id}/connection",
        "/api/v1/tenants/{tenant_id}/api-keys",
        "/api/v1/tenants/{tenant_id}/qbxml",
        "/api/v1/tenants/{tenant_id}/jobs",
        "/api/v1/jobs/{job_id}",
        "/api/v1/jobs/{job_id}/cancel",
    ]:
        assert path in paths, path
    tenant_schema = spec["components"]["schemas"]["TenantOut"]["properties"]
    assert "qbwcUsername" in tenant_schema and "fileId" in tenant_schema


def test_qwc_description_stays_within_80_characters_and_app_names_differ_per_tenant(
    live_server: LiveServer,
) -> None:
    admin = live_server.client
    long_name = "Acme Manufacturing of the Greater Northern Territories, Incorporated & Sons " * 2
    first = admin.post("/api/v1/tenants", json={"name": long_name[:200]}).json()
    second = admin.post("/api/v1/tenants", json={"name": long_name[:200]}).json()
    roots = [etree.fromstring(admin.get(f"/api/v1/tenants/{t['id']}/qwc").content) for t in (first, second)]
    for root in roots:
        description = root.findtext("AppDescription") or ""
        assert len(description) == 80 and description.endswith("...)")
        assert description.startswith("Fusion Operations and QuickBooks Desktop sync (Acme")
    assert roots[0].findtext("AppName") != roots[1].findtext("AppName")
    assert roots[0].findtext("AppUniqueName") != roots[1].findtext("AppUniqueName")
    assert roots[0].findtext("OwnerID") == roots[1].findtext("OwnerID")
