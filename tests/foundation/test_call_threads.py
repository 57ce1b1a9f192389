"""On PostgreSQL a worker process can serve Web Connector calls on threads (``QBBRIDGE_CALL_THREADS``):
then a call waiting for the database holds up no other session's call in the same process. With
``0``, the default, the calls run one at a time in the event loop, and a call that waits stops
everything in its process.

The wait is made real: the test locks the row of one session in PostgreSQL, so that session's next
call waits on the lock inside the server, and another tenant's connector logs in meanwhile."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from db import secrets as secret_values
from qbbridge.app import create_app
from qbbridge.config import load_settings
from qbbridge.metered import SESSION_ID_CHARS
from tests.foundation.helpers import new_tenant, queue_raw
from tests.support.plans import driver_url
from tests.support.servers import LiveServer, start_server
from tests.support.webconnector import WebConnectorClient, envelope

LOCKED_SESSION = "SELECT 1 FROM qbwc_sessions WHERE tenant_id = %s AND state = 'open' FOR UPDATE"


@pytest.fixture(scope="module", params=["2", "0"], ids=["two threads", "in the event loop"])
def server(
    request: pytest.FixtureRequest, postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, LiveServer]]:
    # One worker process: the calls of both sessions reach the same one.
    live = start_server(
        postgres_url, tmp_path_factory.mktemp("threads"), extra_env={"QBBRIDGE_CALL_THREADS": request.param}
    )
    yield request.param, live
    live.stop()


def _wait_for_a_lock_wait(url: str) -> None:
    """Until a backend of the test database waits on a lock: the server's call is inside its wait."""
    name = make_url(url).database
    with psycopg.connect(driver_url(url), autocommit=True) as watcher:
        for _ in range(300):
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                (name,),
            ).fetchone()
            if waiting and waiting[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the server's call never waited on the locked session row")


def test_a_call_waiting_on_postgresql_holds_up_no_other_session(
    server: tuple[str, LiveServer], postgres_url: str
) -> None:
    threads, live = server
    admin = live.client
    waiting, other = new_tenant(admin), new_tenant(admin)
    queue_raw(admin, waiting.id)
    connector = WebConnectorClient(live.qbwc_url)
    ticket = connector.authenticate(waiting.username, waiting.token)[0]

    with psycopg.connect(driver_url(postgres_url)) as locker, ThreadPoolExecutor(2) as pool:
        locker.execute(LOCKED_SESSION, (waiting.id,))
        held = pool.submit(connector.send_request_xml, ticket)
        _wait_for_a_lock_wait(postgres_url)
        login = pool.submit(WebConnectorClient(live.qbwc_url).authenticate, other.username, other.token)
        if threads == "0":
            # The event loop itself waits for PostgreSQL: nothing else in the process is answered.
            time.sleep(1.0)
            assert not login.done()
            locker.commit()
        else:
            answered = login.result(timeout=20)
            assert len(answered[0]) >= 32 and answered[1] not in {"nvu", "busy"}, answered
            assert not held.done()  # the other session's call is still waiting on the lock
            locker.commit()
        assert "<QBXMLMsgsRq" in held.result(timeout=30)
        assert login.result(timeout=30)[1] not in {"nvu", "busy"}


def test_sqlite_serves_calls_in_the_event_loop_whatever_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite's statements never wait on a server: a thread hand-over would cost CPU and buy nothing.
    monkeypatch.chdir(tmp_path)
    environ = {"QBBRIDGE_CALL_THREADS": "4", "QBBRIDGE_ADMIN_API_KEY": "a-long-enough-admin-key"}
    on_sqlite = create_app(load_settings(environ={**environ, "QBBRIDGE_DATABASE_URL": "sqlite:///q.db"}))
    assert on_sqlite.state.web_connector_endpoint.call_pool is None
    on_sqlite.state.database.dispose()


def test_a_call_on_a_thread_logs_with_its_request_id(server: tuple[str, LiveServer]) -> None:
    _, live = server
    tenant = new_tenant(live.client)
    ticket = WebConnectorClient(live.qbwc_url).authenticate(tenant.username, tenant.token)[0]
    given = f"connector-call-{uuid.uuid4().hex[:8]}"
    body = envelope(
        "connectionError",
        [("ticket", ticket), ("hresult", "0x80040408"), ("message", "Could not start QuickBooks.")],
    )
    answered = httpx.post(
        live.qbwc_url,
        content=body,
        headers={"Content-Type": "text/xml; charset=utf-8", "X-Request-ID": given},
        timeout=30,
    )
    assert answered.status_code == 200 and answered.headers["x-request-id"] == given
    session = secret_values.digest(ticket)[:SESSION_ID_CHARS]
    # The connectionError warning is written by the call itself, on the thread that served it.
    for _ in range(100):
        lines = [json.loads(line) for line in live.log_raw().splitlines() if line.startswith("{")]
        warning = [
            line for line in lines if line.get("wc_session") == session and line["logger"] != "uvicorn.access"
        ]
        if warning:
            break
        time.sleep(0.05)
    assert warning, "the connectionError warning was not logged"
    assert {line.get("request_id") for line in warning} == {given}


def test_by_default_calls_run_in_the_event_loop_on_postgresql_too(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    environ = {"QBBRIDGE_DATABASE_URL": postgres_url, "QBBRIDGE_ADMIN_API_KEY": "a-long-enough-admin-key"}
    by_default = create_app(load_settings(environ=environ))
    assert by_default.state.web_connector_endpoint.call_pool is None
    by_default.state.database.dispose()
    asked = create_app(load_settings(environ={**environ, "QBBRIDGE_CALL_THREADS": "3"}))
    assert asked.state.web_connector_endpoint.call_pool._max_workers == 3
    asked.state.database.dispose()
