"""What the admin API's stack costs a Web Connector call: ``/qbwc`` served apart, or through FastAPI.

``qbbridge/app.py`` (``QbbridgeApp``) serves the Web Connector's calls straight to the endpoint inside
the request-id middlewares, ahead of FastAPI's routing, error handling, body limit, request metrics
and native telemetry. This measures what that saves, in-process, without HTTP: the same calls made
through the application as built and through the same application with the apart path off
(``web_connector = None``), alternating in blocks in one process, CPU of this process only. The calls
are ``serverVersion`` and ``clientVersion`` (no database work, so the difference is the stack's alone)
and ``sendRequestXML`` of an unknown ticket (one read).

    .venv/bin/python bench/web_connector_apart.py [--calls 4000]
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import asgi, machine, options
from bench.soap_sessions import soap
from db.engine import Database
from db.migrate import upgrade
from tests.support.servers import create_postgres_database, drop_postgres_database

BLOCK = 100
CALLS = {
    "serverVersion": soap("serverVersion"),
    "clientVersion": soap("clientVersion", strVersion="2.3.0.215"),
    "sendRequestXML, unknown ticket": soap(
        "sendRequestXML",
        ticket="0" * 32,
        strHCPResponse="",
        strCompanyFileName="",
        qbXMLCountry="US",
        qbXMLMajorVers=13,
        qbXMLMinorVers=0,
    ),
}


async def call(app: Any, body: bytes, headers: dict[str, str]) -> None:
    """One POST /qbwc, as uvicorn hands it to the application."""
    sent = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    status, _ = await asgi.call(app, "POST", "/qbwc", body, sent)
    assert status == 200, status


async def measure(app: Any, calls: int) -> None:
    apart = app.web_connector
    spent: dict[tuple[str, str], float] = {}
    async with app.router.lifespan_context(app):
        for name, (body, headers) in CALLS.items():
            for served in (apart, None):
                app.web_connector = served
                for _ in range(BLOCK):  # warm up
                    await call(app, body, headers)
            for _ in range(calls // BLOCK):
                for way, served in (("apart", apart), ("through FastAPI", None)):
                    app.web_connector = served
                    started = time.process_time()
                    for _ in range(BLOCK):
                        await call(app, body, headers)
                    spent[(name, way)] = spent.get((name, way), 0.0) + time.process_time() - started
        app.web_connector = apart
    for name in CALLS:
        apart_us = spent[(name, "apart")] / calls * 1e6
        fastapi_us = spent[(name, "through FastAPI")] / calls * 1e6
        print(
            f"{name}: {apart_us:.1f} µs of CPU a call served apart, {fastapi_us:.1f} through FastAPI "
            f"({fastapi_us - apart_us:+.1f} µs)"
        )


def main() -> None:
    args = options.parser(__doc__, calls=(4000, "measured of each call, each way")).parse_args()
    url = create_postgres_database()
    database = Database(url)
    try:
        upgrade(database.engine)
        os.environ.update(QBBRIDGE_ADMIN_API_KEY="apart-bench-admin-key", QBBRIDGE_PUSH_INTERVAL_SECONDS="0")
        from qbbridge.app import create_app
        from qbbridge.config import load_settings

        asyncio.run(measure(create_app(load_settings(), database), args.calls))
    finally:
        database.dispose()
        drop_postgres_database(url)


if __name__ == "__main__":
    machine.run_timed(main)
