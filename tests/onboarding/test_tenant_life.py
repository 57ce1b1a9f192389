"""Tenants and keys: edit, search, disable/enable, delete, API keys listed and revoked."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import create_engine, text

from tests.onboarding.conftest import connected, new_onboarding
from tests.support.payloads import SALES_ORDER
from tests.support.servers import LiveServer

RAW = (
    '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
    "<CustomerQueryRq><MaxReturned>1</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>"
)


def test_patch_renames_and_refuses_bad_names(live_server: LiveServer) -> None:
    onboarding = new_onboarding(live_server)
    renamed = onboarding.api.patch(onboarding.url(), json={"name": "  Acme Renamed  "})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Acme Renamed"
    assert renamed.json()["qbwcUsername"] == onboarding.username  # never changes
    for body, field in (
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"color": "red"}, "color"),
    ):
        refused = onboarding.api.patch(onboarding.url(), json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["detail"][0]["loc"][-1] == field
    assert onboarding.api.get(onboarding.url()).json()["name"] == "Acme Renamed"
    assert onboarding.api.patch("/api/v1/tenants/nope", json={"name": "x"}).status_code == 404


def test_name_search_pages_with_a_cursor(live_server: LiveServer) -> None:
    marker = uuid.uuid4().hex[:8]
    ids = [
        live_server.client.post("/api/v1/tenants", json={"name": f"Search {marker} {i} 100%_off"}).json()[
            "id"
        ]
        for i in range(3)
    ]
    live_server.client.post("/api/v1/tenants", json={"name": f"Unrelated {uuid.uuid4().hex[:8]}"})
    first = live_server.client.get("/api/v1/tenants", params={"name": marker.upper(), "limit": 2}).json()
    assert [t["id"] for t in first["items"]] == ids[:2]
    second = live_server.client.get(
        "/api/v1/tenants", params={"name": marker, "limit": 2, "cursor": first["nextCursor"]}
    ).json()
    assert [t["id"] for t in second["items"]] == ids[2:] and second["nextCursor"] is None
    # % and _ are themselves, not wildcards.
    literal = live_server.client.get("/api/v1/tenants", params={"name": f"{marker} 1 100%_off"}).json()
    assert [t["id"] for t in literal["items"]] == [ids[1]]
    assert (
        live_server.client.get("/api/v1/tenants", params={"name": "100%x_off" + marker}).json()["items"] == []
    )
    assert live_server.client.get("/api/v1/tenants", params={"name": ""}).status_code == 422


def test_a_disabled_tenant_gets_no_work_and_loses_nothing(live_server: LiveServer) -> None:
    onboarding = connected(live_server)
    job_id = onboarding.api.post(onboarding.url("/qbxml"), json={"qbxml": RAW}).json()["jobId"]
    disabled = onboarding.api.post(onboarding.url("/disable"))
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    result = onboarding.sync()
    assert result.auth_status == "none" and result.requests_sent == 0
    assert "turned off" in result.close_message and "Nothing queued is lost" in result.close_message
    for path, body in (
        ("/qbxml", {"qbxml": RAW}),
        ("/sales-orders", SALES_ORDER),
        ("/retrievals", {"entities": ["salesOrder"], "since": "2026-01-01"}),
        ("/setup/test-access", None),
    ):
        refused = onboarding.api.post(onboarding.url(path), json=body)
        assert refused.status_code == 409, (path, refused.text)
        assert "disabled" in refused.json()["detail"]
    assert onboarding.job(job_id)["status"] == "queued"
    # A tenant key cannot disable or enable (admin only).
    key = onboarding.api.post(onboarding.url("/api-keys"), json={"name": "fo"}).json()["key"]
    as_tenant = httpx.Client(base_url=live_server.base_url, headers={"Authorization": f"Bearer {key}"})
    assert as_tenant.post(onboarding.url("/enable")).status_code == 403
    enabled = onboarding.api.post(onboarding.url("/enable"))
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False
    assert onboarding.sync().ok
    assert onboarding.job(job_id)["status"] == "succeeded"


def test_delete_only_a_disabled_tenant_keeps_one_audit_record_and_retires_the_user_name(
    live_server: LiveServer,
) -> None:
    onboarding = connected(live_server)
    onboarding.api.post(onboarding.url("/qbxml"), json={"qbxml": RAW})
    onboarding.api.post(onboarding.url("/api-keys"), json={"name": "fo"})
    refused = onboarding.api.delete(onboarding.url())
    assert refused.status_code == 409 and "disable it first" in refused.json()["detail"]
    assert onboarding.api.post(onboarding.url("/disable")).status_code == 200
    deleted = onboarding.api.delete(onboarding.url())
    assert deleted.status_code == 204
    assert onboarding.api.get(onboarding.url()).status_code == 404
    assert onboarding.api.delete(onboarding.url()).status_code == 404
    engine = create_engine(live_server.database_url)
    try:
        with engine.connect() as connection:
            for table in ("jobs", "job_steps", "api_keys", "qbwc_sessions", "links", "imports"):
                count = connection.execute(
                    text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t"), {"t": onboarding.tenant_id}
                ).scalar()
                assert count == 0, table
            actions = [
                row.action
                for row in connection.execute(
                    text("SELECT action FROM audit_log WHERE tenant_id = :t AND action = 'tenant.delete'"),
                    {"t": onboarding.tenant_id},
                )
            ]
            assert actions == ["tenant.delete"]
            retired = connection.execute(
                text("SELECT count(*) FROM retired_usernames WHERE username = :u"), {"u": onboarding.username}
            ).scalar()
            assert retired == 1
    finally:
        engine.dispose()
    # Its connector, still installed, is refused.
    assert onboarding.sync().auth_status == "nvu"


def test_api_keys_are_listed_without_the_key_and_revoked_at_once(live_server: LiveServer) -> None:
    onboarding = new_onboarding(live_server)
    created = onboarding.api.post(onboarding.url("/api-keys"), json={"name": "Fusion Operations"}).json()
    listed = onboarding.api.get(onboarding.url("/api-keys")).json()["items"]
    assert [(k["id"], k["prefix"], k["lastUsedAt"]) for k in listed] == [
        (created["id"], created["prefix"], None)
    ]
    assert "key" not in listed[0] and created["key"] not in str(listed)
    as_tenant = httpx.Client(
        base_url=live_server.base_url, headers={"Authorization": f"Bearer {created['key']}"}
    )
    assert as_tenant.get(onboarding.url()).status_code == 200
    assert onboarding.api.get(onboarding.url("/api-keys")).json()["items"][0]["lastUsedAt"] is not None
    assert onboarding.api.delete(onboarding.url(f"/api-keys/{created['id']}")).status_code == 204
    assert as_tenant.get(onboarding.url()).status_code == 401
    assert onboarding.api.get(onboarding.url("/api-keys")).json()["items"] == []
    # Revoking again changes nothing; an unknown key is 404.
    assert onboarding.api.delete(onboarding.url(f"/api-keys/{created['id']}")).status_code == 204
    assert onboarding.api.delete(onboarding.url("/api-keys/nope")).status_code == 404
