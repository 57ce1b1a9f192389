"""Upgrades keep data: a database filled at each earlier migration head (``upgrade_fixtures.py``) is
upgraded by ``qbbridge serve`` to the current head, on PostgreSQL and SQLite, and everything reads
back through the product: the admin API, the Web Connector, the send flows' links."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from db.engine import Database
from db.migrate import head_revision, revisions, upgrade
from tests.operations.upgrade_fixtures import FIXTURES, Expected, Rows
from tests.support.payloads import SALES_ORDER
from tests.support.servers import LiveServer, scratch_database, start_server
from tests.support.webconnector import WebConnectorClient, answer_for


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from scratch_database(request.param, tmp_path / "upgraded.db")


def test_every_migration_has_a_fixture() -> None:
    missing = [revision for revision in revisions() if revision not in FIXTURES]
    assert not missing, (
        f"no upgrade fixture for migration(s) {missing}: add one to tests/operations/upgrade_fixtures.py "
        "(the rows that version of qbbridge writes), so upgrading from it is tested"
    )


@pytest.mark.parametrize("revision", sorted(FIXTURES))
def test_rows_from_an_earlier_head_read_back_after_the_upgrade(
    empty_database: str, revision: str, tmp_path: Path
) -> None:
    database = Database(empty_database)
    upgrade(database.engine, revision)
    with database.engine.begin() as connection:
        expected = FIXTURES[revision](Rows(connection))
    database.dispose()

    # No admin key in the environment: the digest stored at the old revision is the one that counts.
    server = start_server(
        empty_database,
        tmp_path,
        admin_key=expected.admin_key,
        extra_env={"QBBRIDGE_ADMIN_API_KEY": "", **expected.env},
    )
    try:
        assert server.client.get("/api/v1/version").json()["schemaRevision"] == head_revision()
        _check_tenants_and_keys(server, expected)
        _check_jobs(server.client, expected)
        _check_links(server.client, expected)
        _check_imports(server.client, expected)
        _check_web_connector(server, expected)
        assert "Traceback" not in server.log_text()
    finally:
        server.stop()


def _check_tenants_and_keys(server: LiveServer, expected: Expected) -> None:
    admin = server.client
    tenants = {tenant["id"]: tenant for tenant in admin.get("/api/v1/tenants").json()["items"]}
    assert set(tenants) == {expected.tenant_id, expected.other_tenant_id}
    assert tenants[expected.tenant_id]["name"] == expected.tenant_name
    assert tenants[expected.tenant_id]["qbwcUsername"] == expected.username
    assert tenants[expected.tenant_id]["hasToken"] is True
    tenant_key = {"Authorization": f"Bearer {expected.tenant_key}"}
    own = httpx.get(f"{server.base_url}/api/v1/tenants/{expected.tenant_id}", headers=tenant_key)
    assert own.status_code == 200
    other = httpx.get(f"{server.base_url}/api/v1/tenants/{expected.other_tenant_id}", headers=tenant_key)
    assert other.status_code == 404
    connection = admin.get(f"/api/v1/tenants/{expected.tenant_id}/connection").json()
    assert connection["quickbooksProduct"] == "QuickBooks Premier Edition 2014"
    assert connection["qbxmlVersion"] == "13.0" and connection["country"] == "US"
    assert connection["supportedQbxmlVersions"] == ["12.0", "13.0"]
    assert connection["webConnectorVersion"] == "2.3.0.215"
    assert connection["openSessions"] == 1


def _check_jobs(admin: httpx.Client, expected: Expected) -> None:
    listed = admin.get(f"/api/v1/tenants/{expected.tenant_id}/jobs").json()["items"]
    assert {job["id"] for job in listed} == set(expected.jobs)
    for job_id, want in expected.jobs.items():
        job = admin.get(f"/api/v1/jobs/{job_id}").json()
        assert (job["kind"], job["status"], job["error"]) == (want.kind, want.status, want.error)
        if want.result:
            assert job["result"] == want.result
        steps = [(s["state"], s["request"], s["response"], s["statusCode"], s["error"]) for s in job["steps"]]
        assert steps == want.steps


def _check_links(admin: httpx.Client, expected: Expected) -> None:
    for link in expected.links:
        found = admin.get(
            f"/api/v1/tenants/{expected.tenant_id}/links", params={"entity": link.entity, "code": link.code}
        ).json()["items"]
        assert [(f["status"], f["txnId"], f["refNumber"]) for f in found] == [
            ("linked", link.txn_id, link.ref_number)
        ]
        # The link still stops a duplicate: sending the same order again reports the one in QuickBooks.
        again = admin.post(
            f"/api/v1/tenants/{expected.tenant_id}/sales-orders", json={**SALES_ORDER, "code": link.code}
        )
        assert again.status_code == 202, again.text
        assert again.json()["alreadySent"] is True
        job = admin.get(f"/api/v1/jobs/{again.json()['jobId']}").json()
        assert job["result"]["quickbooks"]["txnId"] == link.txn_id


def _check_imports(admin: httpx.Client, expected: Expected) -> None:
    tenant = f"/api/v1/tenants/{expected.tenant_id}"
    if expected.fusion_api_base_url is not None:
        assert admin.get(f"{tenant}/fusion-api").json() == {
            "baseUrl": expected.fusion_api_base_url,
            "hasApiKey": True,
        }
    if not expected.imports:
        return
    found = {item["id"]: item for item in admin.get(f"{tenant}/imports").json()["items"]}
    for want in expected.imports:
        item = found[want.id]
        assert (item["entity"], item["status"], item["source"]["type"]) == (
            want.entity,
            want.status,
            want.source_type,
        )
        assert item["data"] == want.data
    first = expected.imports[0].id
    assert admin.post(f"{tenant}/imports/ack", json={"ids": [first]}).status_code == 200
    acknowledged = {item["id"]: item for item in admin.get(f"{tenant}/imports").json()["items"]}
    assert acknowledged[first]["status"] == "acknowledged"


def _check_web_connector(server: LiveServer, expected: Expected) -> None:
    connector = WebConnectorClient(server.qbwc_url)
    # The session that was open during the upgrade goes on with its ticket.
    request = connector.send_request_xml(expected.open_ticket)
    assert "<FullName>Waiting Customer</FullName>" in request
    assert connector.receive_response_xml(expected.open_ticket, answer_for(request)) == 100
    closing = connector.close_connection(expected.open_ticket)
    assert closing == f"qbbridge: update complete, {expected.steps_done + 1} requests processed."
    assert server.client.get(f"/api/v1/jobs/{expected.queued_job}").json()["status"] == "succeeded"
    # The token stored at the old revision still logs in.
    ticket, work = connector.authenticate(expected.username, expected.token)
    assert ticket and work == "none"
