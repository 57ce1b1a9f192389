"""When PostgreSQL goes away and comes back, on a real server: pooled connections that died are
replaced before use, the admin API answers 503 with ``Retry-After`` while the database cannot be
reached, and the Web Connector gets answers of its protocol (never a SOAP fault).

The database is taken away with a TCP relay between the server and the real PostgreSQL
(``tests/support/tcp_proxy.py``), or by ending the server's connections in PostgreSQL itself, so the
shared test cluster keeps running; ``test_postgresql_restart.py`` restarts it for real.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from qbwc.outage import ANSWER_NOT_RECORDED, DATABASE_DOWN, MAX_OUTAGE_WAITS
from tests.foundation.helpers import job, new_tenant, queue_raw
from tests.support.servers import LiveServer, postgres_admin_url, start_server
from tests.support.tcp_proxy import TcpRelay
from tests.support.webconnector import WebConnectorClient, answer_for

# A server and the relay between it and PostgreSQL.
Relayed = tuple[LiveServer, TcpRelay]


@pytest.fixture
def relayed(postgres_url: str, tmp_path: Path) -> Iterator[Relayed]:
    """A server whose PostgreSQL is reached through a relay the test can cut."""
    relay = TcpRelay.to(postgres_admin_url())
    server = start_server(
        relay.url_for(postgres_url),
        tmp_path,
        extra_env={"QBBRIDGE_SUPERSEDE_AFTER_SECONDS": "1", "QBBRIDGE_PUSH_INTERVAL_SECONDS": "0.3"},
    )
    yield server, relay
    server.stop()
    relay.cut()


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"].startswith("application/json")
    assert "database is unavailable" in response.json()["detail"]


def test_admin_calls_answer_503_while_the_database_is_unreachable(relayed: Relayed) -> None:
    server, relay = relayed
    admin = server.client
    tenant = new_tenant(admin)
    relay.cut()
    _assert_unavailable(admin.get("/api/v1/tenants"))
    _assert_unavailable(admin.post("/api/v1/tenants", json={"name": "Made during the outage"}))
    _assert_unavailable(admin.get(f"/api/v1/tenants/{tenant.id}"))
    time.sleep(1)  # the push of imports to Fusion Operations comes round meanwhile
    relay.restore()
    # Every pooled connection died with the relay: the first call after it is served all the same.
    listed = admin.get("/api/v1/tenants")
    assert listed.status_code == 200, listed.text
    assert "Made during the outage" not in {t["name"] for t in listed.json()["items"]}
    log = server.log_text()
    assert "Traceback" not in log
    assert "answered 503: the database is unavailable" in log
    assert "delivering imports waits for the database" in log


def test_the_first_calls_after_postgresql_ended_every_connection_succeed(
    postgres_url: str, tmp_path: Path
) -> None:
    """What a PostgreSQL restart leaves in the pool: connections the server closed. None of them may
    fail a call (before, the first admin call answered 500 and a Web Connector call got a fault)."""
    server = start_server(postgres_url, tmp_path, extra_env={"QBBRIDGE_PUSH_INTERVAL_SECONDS": "0"})
    try:
        admin = server.client
        tenant = new_tenant(admin)
        job_ids = [queue_raw(admin, tenant.id) for _ in range(3)]
        for _ in range(5):
            assert admin.get(f"/api/v1/tenants/{tenant.id}/jobs").status_code == 200
        ended = _end_connections_of(postgres_url)
        assert ended > 0, "the server holds pooled connections"
        assert admin.get(f"/api/v1/tenants/{tenant.id}/jobs").status_code == 200
        connector = WebConnectorClient(server.qbwc_url)
        ticket, company = connector.authenticate(tenant.username, tenant.token)
        assert ticket and company != "nvu"
        _end_connections_of(postgres_url)
        request = connector.send_request_xml(ticket)
        assert request.startswith("<?xml")
        _end_connections_of(postgres_url)
        assert connector.receive_response_xml(ticket, answer_for(request)) < 100
        connector.close_connection(ticket)
        assert job(admin, job_ids[0])["status"] == "succeeded"
        assert "Traceback" not in server.log_text()
    finally:
        server.stop()


def _end_connections_of(database_url: str) -> int:
    """End every connection to this database in PostgreSQL, as a restart does; how many."""
    engine = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        ended = connection.execute(
            text(
                # Waits (up to 5 s) until each has ended, as a restart does before it starts again.
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": make_url(database_url).database},
        ).scalar_one()
    engine.dispose()
    return int(ended)


def test_web_connector_calls_get_protocol_answers_while_the_database_is_unreachable(relayed: Relayed) -> None:
    server, relay = relayed
    admin = server.client
    tenant = new_tenant(admin)
    first = queue_raw(admin, tenant.id)
    connector = WebConnectorClient(server.qbwc_url)

    # Logging in: "busy", the Web Connector's "come back later" (never "nvu", never a fault).
    relay.cut()
    assert connector.client_version("2.3.0.215") == ""
    assert connector.authenticate(tenant.username, tenant.token) == ["", "busy"]
    relay.restore()

    # Asking for work: nothing handed out, and the connector is asked to wait (NoOp) and ask again.
    ticket, _ = connector.authenticate(tenant.username, tenant.token)
    relay.cut()
    assert connector.send_request_xml(ticket) == ""
    assert connector.get_last_error(ticket) == "NoOp"
    relay.restore()
    request = connector.send_request_xml(ticket)
    assert "CustomerQueryRq" in request

    # Answering: the answer cannot be stored, so the session stops with a message saying so; the
    # request stays in flight and is never silently sent again.
    relay.cut()
    assert connector.receive_response_xml(ticket, answer_for(request)) == -1
    assert connector.get_last_error(ticket) == ANSWER_NOT_RECORDED
    assert connector.close_connection(ticket).startswith("qbbridge:")
    assert connector.connection_error(ticket, "0x80040408", "Could not start QuickBooks.") == "done"
    relay.restore()
    assert job(admin, first)["status"] == "in_flight"
    time.sleep(1.2)  # the next login supersedes the silent session
    next_ticket, _ = connector.authenticate(tenant.username, tenant.token)
    assert next_ticket
    assert job(admin, first)["status"] == "unknown_outcome"
    assert "Traceback" not in server.log_text()


def test_the_wait_for_the_database_is_bounded(relayed: Relayed) -> None:
    server, relay = relayed
    tenant = new_tenant(server.client)
    queue_raw(server.client, tenant.id)
    connector = WebConnectorClient(server.qbwc_url)
    ticket, _ = connector.authenticate(tenant.username, tenant.token)
    relay.cut()
    answers = []
    for _ in range(MAX_OUTAGE_WAITS + 1):
        assert connector.send_request_xml(ticket) == ""
        answers.append(connector.get_last_error(ticket))
    assert answers == ["NoOp"] * MAX_OUTAGE_WAITS + [DATABASE_DOWN]
    relay.restore()
