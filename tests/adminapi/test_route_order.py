"""The route table with the busiest routes first (``qbbridge/app.py``, ``busiest_first``): every path
and method still reaches the route it reached in the order the table was built, and the OpenAPI
document still lists the operations in that reading order."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match

from api import jobs, sends
from qbbridge.app import QbbridgeApp, create_app
from qbbridge.config import load_settings

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> QbbridgeApp:
    environ = {
        "QBBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('routes') / 'routes.db'}",
        "QBBRIDGE_ADMIN_API_KEY": "route-order-admin-key",
    }
    made = create_app(load_settings(environ=environ))
    assert isinstance(made, QbbridgeApp) and made.reading_order is not None
    return made


def resolve(routes: list[BaseRoute], path: str, method: str) -> BaseRoute | None:
    """The route Starlette's router serves ``method path`` with: the first full match, else the first
    partial one (a 405 with that route's methods)."""
    scope: dict[str, Any] = {"type": "http", "path": path, "method": method, "root_path": "", "headers": []}
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return route
        if match == Match.PARTIAL and partial is None:
            partial = route
    return partial


def sample_paths(routes: list[BaseRoute]) -> list[str]:
    """One concrete path for each route's path pattern, and a few that reach none."""
    paths = {re.sub(r"\{[^}]+\}", "x1", path) for route in routes if (path := getattr(route, "path", None))}
    return sorted(paths | {"/", "/api/v1/tenants/x1/unknown", "/api/v1/jobs/x1/unknown", "/qbwc/x"})


def test_the_busiest_routes_are_first(app: QbbridgeApp) -> None:
    first = [getattr(route, "path", "") for route in app.router.routes[: 2 + len(sends.router.routes)]]
    assert first[:2] == ["/qbwc", "/qbwc/"]
    assert first[2:] == [route.path for route in sends.router.routes]  # type: ignore[attr-defined]
    assert {id(route) for route in jobs.router.routes} <= {id(route) for route in app.router.routes[:20]}
    assert sorted(map(id, app.router.routes)) == sorted(map(id, app.reading_order or []))


def test_every_path_and_method_reaches_the_same_route_in_both_orders(app: QbbridgeApp) -> None:
    reading = app.reading_order or []
    checked = 0
    for path in sample_paths(reading):
        for method in METHODS:
            assert resolve(app.router.routes, path, method) is resolve(reading, path, method), (method, path)
            checked += 1
    assert checked > 300


def test_the_openapi_document_keeps_the_reading_order(app: QbbridgeApp) -> None:
    documented = [
        route.path for route in app.reading_order or [] if isinstance(route, APIRoute) and route.include_in_schema
    ]
    expected = list(dict.fromkeys(documented))
    assert list(app.openapi()["paths"]) == expected
    assert expected[0] == "/api/v1/version"
    # The table itself is left as it is for matching.
    assert getattr(app.router.routes[2], "path", "") == "/api/v1/tenants/{tenant_id}/sales-orders"
