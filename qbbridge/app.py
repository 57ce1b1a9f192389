"""Assembling the ASGI application: the admin API, the Web Connector endpoint, the console and its pages."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import logging
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

from fastapi import APIRouter, FastAPI
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from api import (
    jobs,
    links,
    onboarding,
    retrievals,
    sends,
    tenants,
    unavailable,
    validation,
    version,
    webhooks,
)
from api import settings as settings_api
from api.body_limit import BodySizeLimit
from api.errors import install_error_handlers
from console import routes as console_routes
from db.engine import Database, describe_failure, is_unavailable
from db.models import utcnow
from db.sealing import Keyring
from mapping.delivery.deliver import deliver_pending
from mapping.webhooks import deliver_events
from qbbridge import __version__, health, metrics, metrics_endpoint, request_context, retention
from qbbridge.config import Settings, load_settings
from qbbridge.logs import bound_all_handlers
from qbbridge.metered import AdminRequestMetrics, MeteredService
from qbbridge.secret_key import load_keyring
from qbwc.endpoint import WebConnectorEndpoint
from qbwc.options import ServiceOptions
from qbwc.outage import OutageTolerantService
from qbwc.service import WebConnectorService
from qbwc.spyne_adapter import build_wsdl, build_wsgi

log = logging.getLogger("qbbridge.push")


async def _send_events_forever(database: Database, interval: float, keyring: Keyring) -> None:
    """Make tenants' webhook events and deliver them, every ``interval`` seconds (every process may:
    each event is claimed by one, mapping/webhooks.py)."""
    while True:
        try:
            await run_in_threadpool(deliver_events, database, now=utcnow(), keyring=keyring)
        except Exception as exc:
            if not is_unavailable(exc):
                log.exception("sending webhook events failed; trying again at the next interval")
        await asyncio.sleep(interval)


async def _deliver_forever(database: Database, interval: float, keyring: Keyring) -> None:
    """Push pending imports to the tenants' Fusion Operations APIs, every ``interval`` seconds.

    Several processes may run this at once: ``deliver_pending`` claims each import for one of them.
    """
    while True:
        try:
            report = await run_in_threadpool(deliver_pending, database, now=utcnow(), keyring=keyring)
            metrics.count_import_deliveries(
                len(report.delivered), len(report.retrying), len(report.needs_person)
            )
            if report.attempted:
                log.info(
                    "imports delivered: %d, retrying later: %d, needing a person: %d",
                    len(report.delivered),
                    len(report.retrying),
                    len(report.needs_person),
                )
        except Exception as exc:
            if not is_unavailable(exc):
                log.exception("delivering imports failed; trying again at the next interval")
            else:
                log.warning(
                    "delivering imports waits for the database (%s); trying again at the next interval",
                    describe_failure(exc),
                )
        await asyncio.sleep(interval)


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """The router's routes, as routes of the application's own table.

    Each router's routes already carry its prefix, tags and responses, so nothing of
    ``include_router``'s is needed; and an included router is matched through a layer of its own on
    every request (FastAPI 0.165: each request tries each included router, then matches again inside
    the one that matched), which cost 1–4 % of an accepted send's CPU (``bench/send_cost.py --compare
    included-routers``).
    """
    app.router.routes.extend(router.routes)


# The Web Connector's endpoint, with and without the trailing slash: served apart (``QbbridgeApp``),
# and left alone by the admin API's body limit and request metrics.
WEB_CONNECTOR_PATHS = ("/qbwc", "/qbwc/")
WEB_CONNECTOR_METHODS = frozenset({"GET", "HEAD", "POST"})


class QbbridgeApp(FastAPI):
    """The admin API's FastAPI application, which serves the Web Connector's calls first and apart.

    The Web Connector's calls are most of the traffic, and none of the admin API's stack is theirs:
    its routing, its error handlers (``/qbwc`` answers SOAP faults of its own), its body limit and its
    request metrics (both skip ``/qbwc``), and FastAPI's native telemetry. So a call to ``/qbwc``
    with one of the endpoint's methods goes straight to the endpoint inside the request-id
    middlewares (``qbbridge/request_context.py``), which every answer still gets; that saves about
    30–50 µs of a call's CPU (docs/performance.md, "Issue 20: the Web Connector's calls served
    apart"). Anything else, another method on ``/qbwc`` included, goes through FastAPI as before.
    The ``/qbwc`` routes stay in the route table, so FastAPI answers those other methods with 405.
    """

    web_connector: ASGIApp | None = None
    # The route table as it was built: the API's reading order, which the OpenAPI document keeps
    # while the table itself has the busiest routes first (``busiest_first``).
    reading_order: list[BaseRoute] | None = None

    def openapi(self) -> dict[str, Any]:
        if self.reading_order is None:
            return super().openapi()
        # Built once and cached; nothing awaits in between, so no request of this process is
        # matched against the table while it is in reading order (and it would match the same).
        matching = self.router.routes
        self.router.routes = self.reading_order
        try:
            return super().openapi()
        finally:
            self.router.routes = matching

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.web_connector is not None
            and scope["type"] == "http"
            and scope["path"] in WEB_CONNECTOR_PATHS
            and scope["method"] in WEB_CONNECTOR_METHODS
        ):
            await self.web_connector(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def busiest_first(app: QbbridgeApp, busiest: Sequence[BaseRoute]) -> None:
    """Move ``busiest`` to the top of the route table, keeping the table's order in ``reading_order``.

    Routing tries the table from the top, and each route before the match costs a test (about
    1–1.3 µs each with FastAPI 0.165, measured; a send's route was the 33rd). Moving routes changes
    which route answers only if two can match one path; ``tests/adminapi/test_route_order.py``
    checks that every route's path and method resolve to the same route in both orders.
    """
    app.reading_order = list(app.router.routes)
    moved = {id(route) for route in busiest}
    app.router.routes[:] = [*busiest, *(route for route in app.router.routes if id(route) not in moved)]


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    database = database or Database(
        settings.database_url, prepared_statements=settings.database_prepared_statements
    )
    keyring = load_keyring(settings)
    service = OutageTolerantService(
        database,
        ServiceOptions(
            session_timeout=dt.timedelta(minutes=settings.session_timeout_minutes),
            min_client_version=settings.min_client_version,
            auth_failure_limit=settings.auth_failure_limit,
            auth_address_failure_limit=settings.auth_address_failure_limit,
            auth_failure_window=dt.timedelta(minutes=settings.auth_failure_window_minutes),
            supersede_after=dt.timedelta(seconds=settings.supersede_after_seconds),
            requests_per_message=settings.requests_per_message,
            max_soap_body_bytes=settings.max_soap_body_bytes,
        ),
    )
    endpoint = WebConnectorEndpoint(
        # The metered service answers every callback of the service it wraps (qbbridge/metered.py).
        build_wsgi(
            cast(WebConnectorService, MeteredService(service)), max_body_bytes=settings.max_soap_body_bytes
        ),
        build_wsdl(service, settings.qbwc_url),
        max_body_bytes=settings.max_soap_body_bytes,
        calls_per_connection=settings.calls_per_connection,
        call_threads=settings.call_threads if database.is_postgresql else 0,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Everything built so far (modules, the app, Spyne's and SQLAlchemy's caches) lives as long as
        # the process: keep it out of the collector's full passes, which otherwise walk it again and
        # again under load (measured: about 5% of a Web Connector call's CPU).
        gc.collect()
        gc.freeze()
        tasks = []
        if settings.push_interval_seconds > 0:
            tasks.append(
                asyncio.create_task(_deliver_forever(database, settings.push_interval_seconds, keyring))
            )
            tasks.append(
                asyncio.create_task(_send_events_forever(database, settings.push_interval_seconds, keyring))
            )
        if settings.payload_retention_days > 0:
            tasks.append(
                asyncio.create_task(retention.prune_forever(database, days=settings.payload_retention_days))
            )
        yield
        for task in tasks:
            task.cancel()

    app = QbbridgeApp(
        lifespan=lifespan,
        # Served from vendored assets by console/docs_pages.py instead of FastAPI's CDN pages.
        docs_url=None,
        redoc_url=None,
        title="qbbridge admin API",
        version=__version__,
        description=(
            "Admin API of qbbridge, the QuickBooks Desktop Web Connector service for Autodesk Fusion "
            "Operations. Authenticate with `Authorization: Bearer <key>`: the service's admin key, or a "
            "tenant's API key (which reaches only that tenant)."
        ),
    )
    validation.install(app)
    app.state.settings = settings
    app.state.database = database
    app.state.keyring = keyring
    install_error_handlers(app)
    # Before routing, authentication and body reading; /qbwc keeps its own limit.
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_api_body_bytes,
        exempt_paths=frozenset(WEB_CONNECTOR_PATHS),
    )
    app.state.web_connector = service
    app.state.web_connector_endpoint = endpoint
    app.state.queue_figures = metrics.QueueFiguresCache(
        database,
        session_timeout=dt.timedelta(minutes=settings.session_timeout_minutes),
        max_age=metrics.FIGURES_CACHE_SECONDS,
    )
    # Outermost: a request refused by the body limit or failing inside is counted too.
    app.add_middleware(AdminRequestMetrics, skip_paths=frozenset(WEB_CONNECTOR_PATHS))
    # Outside that: every log line of the request carries its X-Request-ID.
    request_context.install(app)
    unavailable.install(app)
    health.quiet_probes_in_access_log()
    for router in (
        health.router,
        metrics_endpoint.router,
        version.router,
        tenants.router,
        onboarding.router,
        webhooks.router,
        jobs.router,
        sends.router,
        settings_api.router,
        links.router,
        retrievals.router,
    ):
        add_routes(app, router)
    # The operator console (/console), the support page (/support) and /docs, /redoc.
    console_routes.install(app, keyring)
    # The Web Connector's calls are served apart (QbbridgeApp); the routes stay in the table, first,
    # for the methods the endpoint does not take (FastAPI answers 405 with the ones it does).
    web_connector_routes = [
        Route(path, endpoint.__call__, methods=sorted(WEB_CONNECTOR_METHODS)) for path in WEB_CONNECTOR_PATHS
    ]
    app.router.routes[:0] = web_connector_routes
    app.web_connector = request_context.wrap(endpoint.asgi)

    @app.get("/ping", response_class=PlainTextResponse, include_in_schema=False)
    async def ping() -> str:
        return "pong"

    # The sends, events and raw qbXML are the admin API's traffic (the Web Connector's calls are
    # served apart, and their routes stay first for the other methods).
    busiest_first(app, [*web_connector_routes, *sends.router.routes, *jobs.router.routes])
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (several worker processes read the same environment).

    uvicorn has set up its loggers by now: every handler gets its records bounded (qbbridge/logs.py).
    """
    bound_all_handlers()
    return create_app(load_settings(port=int(os.environ.get("QBBRIDGE_PORT", "8000"))))
