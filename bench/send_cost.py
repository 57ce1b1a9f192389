"""What one send costs the admin API, in-process: wall time, the service's CPU and PostgreSQL's CPU.

CPU time moves far less than throughput when the machine is shared, so this is the figure to compare
changes of the send path with. The sends are the mix of ``bench/send_flows.py`` (40 % sales orders,
30 % purchase orders, 20 % production orders, 10 % inventory) for 20 tenants, made one after another
through the real FastAPI application (called as ASGI, without HTTP: routing, authentication, body
validation, the send, the JSON answer) on a new PostgreSQL database. PostgreSQL's CPU is read from
``/proc/<backend pid>/stat`` of the connections the service used (Linux, database on this machine).

    .venv/bin/python bench/send_cost.py [--jobs 2000] [--compare ALTERNATIVE] (see ALTERNATIVES)

CPU time still drifts with the machine's load from one minute to the next, more than a small change
moves it. ``--compare`` measures one change without that drift: the sends alternate, 50 at a time,
between the code as it is and the same code without the change, in one process, each with its own
application and database, and both are printed.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.routing import served_directly
from api.sends import router as send_router
from bench import asgi, machine, options
from bench.cpu import backend_cpu_seconds, backend_pids, freeze_like_the_server
from bench.indexes import drop_new_indexes, drop_step_tenant_foreign_key
from bench.send_flows import payloads
from bench.soap_cost import fresh_transformer_run, session_begin
from db import batch, json_text, transaction
from db.batch import Statement
from db.engine import Database
from db.migrate import upgrade
from db.sends import RESERVATIONS_TAKEN
from tests.support.servers import create_postgres_database, drop_postgres_database

ADMIN_KEY = "send-cost-admin-key"
TENANTS = 20


class Caller:
    """Calls the ASGI application directly, as uvicorn would for one HTTP/1.1 request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, bytes]:
        content = json.dumps(body).encode() if body is not None else b""
        headers = [(b"authorization", f"Bearer {ADMIN_KEY}".encode()), (b"content-type", b"application/json")]
        return await asgi.call(self.app, method, path, content, headers)


async def create_tenants(caller: Caller, label: str) -> list[str]:
    """TENANTS tenants through the admin API, with the settings every send flow needs."""
    tenants = []
    for index in range(TENANTS):
        status, body = await caller.call("POST", "/api/v1/tenants", {"name": f"{label} {index}"})
        assert status == 201, body
        tenant = json.loads(body)["id"]
        settings = {
            "inventory": {"adjustmentAccount": "Inventory Adjustments"},
            "timesheets": {"createMissingCustomerJob": True},
        }
        status, body = await caller.call("PUT", f"/api/v1/tenants/{tenant}/settings", settings)
        assert status == 200, body
        tenants.append(tenant)
    return tenants


class Variant:
    """One way of serving the sends, with a database and an application of its own."""

    def __init__(
        self,
        label: str,
        build_app: Callable[[Database], Any],
        switch: Callable[[], None],
        alter: Callable[[Any], None] | None = None,
    ) -> None:
        self.label, self.build_app, self.switch, self.alter = label, build_app, switch, alter
        self.url = create_postgres_database()
        self.database = Database(self.url)
        self.sends = 0
        self.wall = self.cpu = self.database_cpu = 0.0

    async def prepare(self, jobs: int) -> None:
        upgrade(self.database.engine)
        if self.alter is not None:
            self.alter(self.database.engine)
        self.caller = Caller(self.build_app(self.database))
        tenants = await create_tenants(self.caller, f"Cost {self.label}")
        self.measured = [
            (f"/api/v1/tenants/{tenant}{path}", payload)
            for index in range(jobs // TENANTS)
            for tenant in tenants
            for path, payload in [payloads(index)]
        ]
        # Warm up with codes of their own: a code sent again would be "already sent", a cheaper path.
        for index in range(5):
            for tenant in tenants:
                path, payload = payloads(index)
                if "code" in payload:
                    payload = {**payload, "code": f"WARM-{index}"}
                status, body = await self.caller.call("POST", f"/api/v1/tenants/{tenant}{path}", payload)
                assert status == 202, body
        self.pids = backend_pids(self.database.engine)

    async def measure(self, start: int, stop: int) -> None:
        self.switch()
        database_before = backend_cpu_seconds(self.pids)
        wall_before, cpu_before = time.perf_counter(), time.process_time()
        for path, payload in self.measured[start:stop]:
            status, body = await self.caller.call("POST", path, payload)
            assert status == 202, body
        self.wall += time.perf_counter() - wall_before
        self.cpu += time.process_time() - cpu_before
        self.database_cpu += backend_cpu_seconds(self.pids) - database_before
        self.sends += len(self.measured[start:stop])

    def report(self, heading: str) -> None:
        sends = self.sends
        print(f"sends{heading}: {sends} (mix of bench/send_flows.py, {TENANTS} tenants, one after another)")
        print(f"per send{heading}: wall {self.wall / sends * 1000:.3f} ms")
        print(f"per send{heading}: service CPU {self.cpu / sends * 1000:.3f} ms (FastAPI, the send, driver)")
        print(f"per send{heading}: PostgreSQL CPU {self.database_cpu / sends * 1000:.3f} ms")
        total = (self.cpu + self.database_cpu) / sends
        print(f"ceiling from these alone on 2 cores: {2 / total:,.0f} sends/s (without HTTP and client)")

    def close(self) -> None:
        self.database.dispose()
        drop_postgres_database(self.url)


def _as_built(database: Database) -> Any:
    from qbbridge.app import create_app
    from qbbridge.config import load_settings

    return create_app(load_settings(), database)


def _with_included_routers(database: Database) -> Any:
    """The application with the admin API's routers included (``include_router``), as before."""
    import qbbridge.app

    def include(app: Any, router: Any) -> None:
        app.include_router(router)

    built = qbbridge.app.add_routes
    qbbridge.app.add_routes = include
    try:
        return _as_built(database)
    finally:
        qbbridge.app.add_routes = built


def _routes_in_reading_order(database: Database) -> Any:
    """The application with its route table in the order it was built, as before ``busiest_first``."""
    app = _as_built(database)
    app.router.routes[:] = app.reading_order
    return app


def _json_with(dumps_bytes: Callable[[Any], bytes]) -> Callable[[], None]:
    def switch() -> None:
        json_text.dumps_bytes = dumps_bytes  # type: ignore[assignment]

    return switch


# The routes whose common call is served directly (api/routing.py), with their direct handlers. The
# routes are the send module's own objects, shared by every application built in this process.
_DIRECT = [(route, route.direct) for route in served_directly(send_router.routes)]


def _served_directly(direct: bool) -> Callable[[], None]:
    def switch() -> None:
        for route, handler in _DIRECT:
            route.direct = handler if direct else None

    return switch


_JSON_AS_BUILT = _json_with(json_text.dumps_bytes)


_RUN_AS_BUILT = batch.run
_BEGIN_AS_BUILT = transaction.begin


def _run_committing_apart(
    session: Any, statements: Sequence[tuple[Statement, Mapping[str, Any]]], *, commit: bool = False
) -> list[list[Any]]:
    """``db.batch.run`` as before the send's write committed in its batch: no reservations' check,
    no COMMIT in the batch (the session commits it in a round trip of its own)."""
    kept = [(statement, params) for statement, params in statements if statement is not RESERVATIONS_TAKEN]
    return _RUN_AS_BUILT(session, kept)


def _as_built_switch() -> None:
    """Put back before each block what other variants switch."""
    _JSON_AS_BUILT()
    _served_directly(True)()
    batch.run = _RUN_AS_BUILT
    transaction.begin = _BEGIN_AS_BUILT


def _committing_apart() -> None:
    """The send's write committed by the session, as before its batch ended with COMMIT."""
    _as_built_switch()
    batch.run = _run_committing_apart  # type: ignore[assignment]


def _through_fastapi() -> None:
    """Every send served by FastAPI's handler, as before the direct path."""
    _as_built_switch()
    _served_directly(False)()


def _through_the_orm_session() -> None:
    """The direct path's transaction through SQLAlchemy's session, as before ``db/transaction.py``."""
    _as_built_switch()
    transaction.begin = session_begin


def _a_transformer_a_batch() -> None:
    """A new psycopg Transformer for every batch, as before each connection kept one."""
    _as_built_switch()
    batch.run = fresh_transformer_run  # type: ignore[assignment]


def _json_of_the_standard_library() -> None:
    _as_built_switch()
    _json_with(_stdlib_dumps_bytes)()


def _stdlib_dumps_bytes(value: Any) -> bytes:
    return json.dumps(value).encode()


# Each alternative: how to build its application, and what to switch before each of its blocks.
# (and, for some, what to change in its database after the migrations).
ALTERNATIVES: dict[str, tuple[Any, ...]] = {
    "included-routers": (_with_included_routers, _as_built_switch),
    "routes-in-reading-order": (_routes_in_reading_order, _as_built_switch),
    "fastapi-handler": (_as_built, _through_fastapi),
    "commit-apart": (_as_built, _committing_apart),
    "orm-session": (_as_built, _through_the_orm_session),
    "json-stdlib": (_as_built, _json_of_the_standard_library),
    "fresh-transformer": (_as_built, _a_transformer_a_batch),
    "without-new-indexes": (_as_built, _as_built_switch, drop_new_indexes),
    "without-step-tenant-key": (_as_built, _as_built_switch, drop_step_tenant_foreign_key),
}
BLOCK = 50  # sends measured in a row before switching to the other variant


async def run(jobs: int, compare: str | None) -> None:
    os.environ.update(QBBRIDGE_ADMIN_API_KEY=ADMIN_KEY, QBBRIDGE_PUSH_INTERVAL_SECONDS="0")
    variants: list[Variant] = []
    try:
        variants.append(Variant("as built", _as_built, _as_built_switch))
        if compare is not None:
            variants.append(Variant(compare, *ALTERNATIVES[compare]))
        for variant in variants:
            os.environ["QBBRIDGE_DATABASE_URL"] = variant.url
            await variant.prepare(jobs)
        freeze_like_the_server()
        for start in range(0, jobs, BLOCK):
            # Alternate which goes first, so neither always follows the other's work.
            for variant in variants if (start // BLOCK) % 2 == 0 else variants[::-1]:
                await variant.measure(start, start + BLOCK)
        for variant in variants:
            variant.report(f" ({variant.label})" if len(variants) > 1 else "")
    finally:
        for variant in variants:
            variant.close()


def main() -> None:
    parser = options.parser(__doc__, jobs=(2000, "sends measured (plus 100 to warm up)"))
    parser.add_argument(
        "--compare",
        choices=sorted(ALTERNATIVES),
        help="interleave the sends, in blocks of 50, with the code as it was before a change, and print both",
    )
    args = parser.parse_args()
    asyncio.run(run(args.jobs, args.compare))


if __name__ == "__main__":
    machine.run_timed(main)
