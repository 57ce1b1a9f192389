"""The Web Connector's calls served apart from the admin API's stack (``qbbridge/app.py``,
``QbbridgeApp``): the same answers as through FastAPI, and FastAPI not involved at all.

Each request below is made twice on one application, once served apart and once with the apart path
off (``web_connector = None``: the ``/qbwc`` routes in FastAPI's table serve it, as before), and the
two answers (status, headers but the request id and the date, body) must be the same, on both
databases. A test also checks the apart path is taken: without it every call would quietly pay for
the admin API's routing and middlewares again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import starlette.applications
from fastapi.testclient import TestClient

from db.engine import Database
from qbbridge.app import QbbridgeApp, create_app
from qbbridge.config import load_settings
from tests.support.webconnector import envelope

MAX_BODY_BYTES = 4096
SOAP = {"Content-Type": "text/xml; charset=utf-8"}


def call(method: str, body: bytes | None = None, *, path: str = "/qbwc", **headers: str) -> dict[str, Any]:
    return {"method": method, "url": path, "content": body, "headers": {**SOAP, **headers} if body else headers}


REQUESTS: dict[str, dict[str, Any]] = {
    "the page a browser gets": call("GET"),
    "the WSDL": call("GET", path="/qbwc?wsdl"),
    "HEAD": call("HEAD"),
    "with a trailing slash": call("GET", path="/qbwc/"),
    "serverVersion": call("POST", envelope("serverVersion", [])),
    "clientVersion, trailing slash": call(
        "POST", envelope("clientVersion", [("strVersion", "2.3.0.215")]), path="/qbwc/"
    ),
    "authenticate, unknown user": call(
        "POST", envelope("authenticate", [("strUserName", "nobody"), ("strPassword", "wrong")])
    ),
    "sendRequestXML, unknown ticket": call(
        "POST",
        envelope(
            "sendRequestXML",
            [
                ("ticket", "0" * 32),
                ("strHCPResponse", ""),
                ("strCompanyFileName", ""),
                ("qbXMLCountry", "US"),
                ("qbXMLMajorVers", "13"),
                ("qbXMLMinorVers", "0"),
            ],
        ),
    ),
    "a JSON body": {"method": "POST", "url": "/qbwc", "content": b"{}", "headers": {"Content-Type": "application/json"}},
    "malformed XML": call("POST", b"<soap:Envelope"),
    "a body over the limit": call("POST", b"<a>" + b"x" * MAX_BODY_BYTES + b"</a>"),
    "a declared length over the limit": call(
        "POST", envelope("serverVersion", []), **{"Content-Length": str(MAX_BODY_BYTES + 1)}
    ),
    "PUT": call("PUT", envelope("serverVersion", [])),
    "DELETE, trailing slash": call("DELETE", path="/qbwc/"),
}


@pytest.fixture
def app(database: Database) -> Iterator[QbbridgeApp]:
    environ = {
        "QBBRIDGE_DATABASE_URL": str(database.engine.url),
        "QBBRIDGE_ADMIN_API_KEY": "apart-admin-key",
        "QBBRIDGE_MAX_SOAP_BODY_BYTES": str(MAX_BODY_BYTES),
    }
    made = create_app(load_settings(environ=environ), database)
    assert isinstance(made, QbbridgeApp) and made.web_connector is not None
    yield made


def answer(response: Any) -> tuple[int, dict[str, str], bytes]:
    """What the two paths must agree on (a test client's response)."""
    headers = {name: value for name, value in response.headers.items() if name not in {"x-request-id", "date"}}
    return response.status_code, headers, response.content


@pytest.mark.parametrize("name", list(REQUESTS))
def test_the_same_answer_apart_and_through_fastapi(app: QbbridgeApp, name: str) -> None:
    apart = app.web_connector
    with TestClient(app) as client:
        served_apart = client.request(**REQUESTS[name])
        app.web_connector = None
        try:
            through_fastapi = client.request(**REQUESTS[name])
        finally:
            app.web_connector = apart
    assert answer(served_apart) == answer(through_fastapi)
    assert served_apart.headers["x-request-id"]
    assert through_fastapi.headers["x-request-id"]


def test_the_calls_are_served_apart_and_other_methods_by_fastapi(
    app: QbbridgeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    reached: list[str] = []
    through = starlette.applications.Starlette.__call__

    async def counted(self: Any, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            reached.append(f"{scope['method']} {scope['path']}")
        await through(self, scope, receive, send)

    monkeypatch.setattr(starlette.applications.Starlette, "__call__", counted)
    with TestClient(app) as client:
        for name in ("the WSDL", "HEAD", "serverVersion", "clientVersion, trailing slash", "malformed XML"):
            assert client.request(**REQUESTS[name]).status_code in {200, 500}, name
        assert reached == []
        refused = client.request(**REQUESTS["PUT"])
        assert refused.status_code == 405
        # Starlette keeps a route's methods in a set: their order in the header is the set's.
        assert set(refused.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
        assert client.get("/ping").text == "pong"
    assert reached == ["PUT /qbwc", "GET /ping"]


def test_a_request_id_is_kept_or_replaced_as_everywhere(app: QbbridgeApp) -> None:
    with TestClient(app) as client:
        kept = client.post("/qbwc", content=envelope("serverVersion", []), headers={**SOAP, "X-Request-ID": "wc-42"})
        replaced = client.post(
            "/qbwc", content=envelope("serverVersion", []), headers={**SOAP, "X-Request-ID": "has a space"}
        )
    assert kept.headers["x-request-id"] == "wc-42"
    assert replaced.headers["x-request-id"] not in {"", "has a space"}
    assert len(replaced.headers["x-request-id"]) == 32
