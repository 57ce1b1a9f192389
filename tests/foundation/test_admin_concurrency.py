"""Admin calls at the same moment never wait on each other's open transaction.

An admin call's transaction is opened and committed on the worker's event loop (``api/auth.py``:
``get_db_session``). A handler run in a thread would leave its transaction open while the loop went
on to the next call, whose first statement then waits on the loop for the lock the first one holds
(SQLite's write lock, a PostgreSQL row lock), while the first one needs the loop to commit: every
call of that worker stalls until the database's lock timeout, then fails. So every operation that
uses the database is a coroutine, run from its first statement to its commit without yielding.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from fastapi.routing import APIRoute

from api.auth import get_db_session
from qbbridge.app import create_app
from qbbridge.config import load_settings
from tests.foundation.helpers import new_tenant, queue_raw
from tests.support.servers import LiveServer
from tests.support.webconnector import customer_query

CALLS = 60
# Well under SQLite's 30-second busy timeout, the length of the stall this guards against.
SLOWEST_ALLOWED_SECONDS = 10.0


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every operation, also those of included routers (kept apart by newer FastAPI versions)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        included = getattr(route, "original_router", None)
        if included is not None:
            found += _api_routes(list(included.routes))
    return found


def _uses_database(route: APIRoute) -> bool:
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        if dependency.call is get_db_session:
            return True
        pending.extend(dependency.dependencies)
    return False


def test_every_operation_that_uses_the_database_runs_on_the_event_loop(tmp_path: Path) -> None:
    app = create_app(load_settings(environ={"QBBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'q.db'}"}))
    routes = [route for route in _api_routes(app.routes) if _uses_database(route)]
    assert len(routes) > 20
    in_threads = [
        f"{sorted(route.methods)} {route.path}"
        for route in routes
        if not inspect.iscoroutinefunction(route.endpoint)
    ]
    assert in_threads == []


def test_many_admin_calls_at_once_on_one_tenant_all_answer(live_server: LiveServer) -> None:
    admin = live_server.client
    tenant = new_tenant(admin)
    queued = [queue_raw(admin, tenant.id) for _ in range(CALLS // 3)]

    def call(index: int) -> tuple[int, float]:
        with httpx.Client(base_url=live_server.base_url, headers=admin.headers, timeout=60) as client:
            started = time.monotonic()
            kind = index % 3
            if kind == 0:
                answer = client.post(f"/api/v1/jobs/{queued[index // 3]}/cancel")
            elif kind == 1:
                answer = client.post(f"/api/v1/tenants/{tenant.id}/qbxml", json={"qbxml": customer_query()})
            else:
                answer = client.put(
                    f"/api/v1/tenants/{tenant.id}/settings", json={"retrievalIntervalMinutes": 30 + index}
                )
            return answer.status_code, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(call, range(CALLS)))
    statuses = sorted({status for status, _ in answers})
    assert statuses == [200, 202], statuses
    assert max(seconds for _, seconds in answers) < SLOWEST_ALLOWED_SECONDS
    assert "database is locked" not in live_server.log_text()


def test_the_coroutine_check_sees_a_thread_handler() -> None:
    """The check above would catch a handler FastAPI runs in a thread."""

    def in_a_thread() -> None: ...

    async def on_the_loop() -> None: ...

    assert not inspect.iscoroutinefunction(in_a_thread)
    assert inspect.iscoroutinefunction(on_the_loop)
    assert asyncio.iscoroutinefunction(on_the_loop)
