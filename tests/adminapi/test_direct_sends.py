"""The sends' direct path (api/sends.py, ``_direct``): the common call of a send button or an event
served without FastAPI's dependency solving, every other call left to FastAPI's handler.

The two paths must give one answer. Each call below is made twice, on two tenants set up alike: once
with the direct path on and once with it off, and the answers (status, headers that matter, body with
the ids that differ put aside) must be the same, on both databases. A test also checks the direct path
is taken at all: without it the common call would quietly cost a third more again.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import fastapi.routing
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import examples
from api.routing import served_directly
from api.sends import router as send_router
from db import tenants as tenant_repo
from db.engine import Database
from qbbridge.app import create_app
from qbbridge.config import load_settings
from tests.support.statements import sessions_made

ADMIN_KEY = "direct-sends-admin-key"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
SEND_ROUTES = served_directly(send_router.routes)


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    environ = {"QBBRIDGE_DATABASE_URL": str(database.engine.url), "QBBRIDGE_ADMIN_API_KEY": ADMIN_KEY}
    app: FastAPI = create_app(load_settings(environ=environ), database)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def direct_off(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Turns the direct path off for the rest of the test (the routes are the module's own objects)."""

    def turn_off() -> None:
        for route in SEND_ROUTES:
            monkeypatch.setattr(route, "direct", None)

    return turn_off


class Tenant:
    """A tenant set up as every flow needs, with an API key of its own."""

    def __init__(self, client: TestClient, label: str) -> None:
        created = client.post("/api/v1/tenants", json={"name": f"Direct {label}"}, headers=ADMIN)
        assert created.status_code == 201, created.text
        self.id = created.json()["id"]
        settings = {
            "inventory": {"adjustmentAccount": "Inventory Adjustments"},
            "timesheets": {"createMissingCustomerJob": True},
            # Sales order events are queued, purchase order events are answered "not automatic".
            "sends": {"salesOrder": {"automatic": True}},
        }
        put = client.put(f"/api/v1/tenants/{self.id}/settings", json=settings, headers=ADMIN)
        assert put.status_code == 200, put.text
        key = client.post(f"/api/v1/tenants/{self.id}/api-keys", json={"name": "probe"}, headers=ADMIN)
        assert key.status_code == 201, key.text
        self.key = key.json()["key"]


def _comparable(response: Any, tenants: list[Tenant]) -> dict[str, Any]:
    """What a caller reads of an answer, with what must differ between two tenants put aside."""
    text = response.text
    for index, tenant in enumerate(tenants):
        text = text.replace(tenant.id, f"<tenant {index}>")
    # A document's ExternalGUID is made from its tenant's id (mapping/flows/naming.py).
    text = _GUID.sub("{<guid>}", text)
    try:
        body: Any = json.loads(text)
    except ValueError:
        body = text
    if isinstance(body, dict) and "jobId" in body:
        body["jobId"] = "<job>" if body["jobId"] else body["jobId"]
    return {
        "status": response.status_code,
        "content-type": response.headers.get("content-type"),
        "www-authenticate": response.headers.get("www-authenticate"),
        "body": body,
    }


_GUID = re.compile(r"\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}")


def _so(**changes: Any) -> dict[str, Any]:
    order = copy.deepcopy(examples.SALES_ORDER)
    order.update(changes)
    return order


# Each call: a name, then (path after the tenant, headers, body as bytes) made from the tenant called,
# the other tenant (for a key of another tenant), in that order.
Call = Callable[[Tenant, Tenant], tuple[str, dict[str, str], bytes | None]]


def _json(path: str, body: Any, headers: dict[str, str] | None = None) -> Call:
    def call(tenant: Tenant, other: Tenant) -> tuple[str, dict[str, str], bytes | None]:
        return (
            f"/api/v1/tenants/{tenant.id}{path}",
            {"Content-Type": "application/json", **ADMIN, **(headers or {})},
            json.dumps(body).encode(),
        )

    return call


def _raw(path: str, body: bytes | None, headers: dict[str, str]) -> Call:
    def call(tenant: Tenant, other: Tenant) -> tuple[str, dict[str, str], bytes | None]:
        return f"/api/v1/tenants/{tenant.id}{path}", headers, body

    return call


def _keyed(path: str, body: Any, whose: str) -> Call:
    def call(tenant: Tenant, other: Tenant) -> tuple[str, dict[str, str], bytes | None]:
        key = tenant.key if whose == "own" else other.key
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
        return f"/api/v1/tenants/{tenant.id}{path}", headers, json.dumps(body).encode()

    return call


def _elsewhere(tenant_path: str) -> Call:
    def call(tenant: Tenant, other: Tenant) -> tuple[str, dict[str, str], bytes | None]:
        headers = {"Content-Type": "application/json", **ADMIN}
        return (
            f"/api/v1/tenants/{tenant_path}/sales-orders",
            headers,
            json.dumps(examples.SALES_ORDER).encode(),
        )

    return call


SO = json.dumps(examples.SALES_ORDER).encode()
# In order: the later calls see what the earlier ones queued (the second sales order is "already sent").
CALLS: list[tuple[str, Call]] = [
    ("sales order", _json("/sales-orders", examples.SALES_ORDER)),
    ("the same sales order again", _json("/sales-orders", examples.SALES_ORDER)),
    ("purchase order", _json("/purchase-orders", examples.PURCHASE_ORDER)),
    ("receiving of that order", _json("/receivings", examples.RECEIVING)),
    ("shipping of the sales order", _json("/shippings", examples.SHIPPING)),
    ("production order", _json("/production-orders", examples.PRODUCTION_ORDER)),
    ("inventory", _json("/inventory", examples.INVENTORY)),
    (
        "charset in the content type",
        _json("/sales-orders", _so(code="SO-2"), {"Content-Type": "application/json; charset=utf-8"}),
    ),
    ("dry run", _json("/sales-orders?dry_run=true", _so(code="SO-3"))),
    (
        "a field of the wrong type",
        _json("/sales-orders", _so(code="SO-4", rows=[{"product": {"code": "X"}, "quantity": "many"}])),
    ),
    ("a required field missing", _json("/sales-orders", {"code": "SO-5"})),
    ("a NUL in a code", _json("/sales-orders", _so(code="SO-\u0000"))),
    (
        "NaN",
        _raw(
            "/sales-orders",
            SO.replace(b'"quantity": 10', b'"quantity": NaN'),
            {"Content-Type": "application/json", **ADMIN},
        ),
    ),
    ("not JSON", _raw("/sales-orders", b'{"code": ', {"Content-Type": "application/json", **ADMIN})),
    ("an empty body", _raw("/sales-orders", b"", {"Content-Type": "application/json", **ADMIN})),
    ("a JSON array", _raw("/sales-orders", b"[1, 2]", {"Content-Type": "application/json", **ADMIN})),
    ("text/plain", _raw("/sales-orders", SO, {"Content-Type": "text/plain", **ADMIN})),
    ("no content type", _raw("/sales-orders", SO, dict(ADMIN))),
    ("no key", _raw("/sales-orders", SO, {"Content-Type": "application/json"})),
    (
        "a wrong key",
        _raw("/sales-orders", SO, {"Content-Type": "application/json", "Authorization": "Bearer nope"}),
    ),
    (
        "a Basic scheme",
        _raw(
            "/sales-orders", SO, {"Content-Type": "application/json", "Authorization": f"Basic {ADMIN_KEY}"}
        ),
    ),
    (
        "a bearer with no key",
        _raw("/sales-orders", SO, {"Content-Type": "application/json", "Authorization": "Bearer  "}),
    ),
    (
        "a wrong key and a bad body",
        _raw("/sales-orders", b"{}", {"Content-Type": "application/json", "Authorization": "Bearer nope"}),
    ),
    ("the tenant's own key", _keyed("/sales-orders", _so(code="SO-6"), "own")),
    ("another tenant's key", _keyed("/sales-orders", _so(code="SO-7"), "other")),
    ("a tenant that does not exist", _elsewhere(str(uuid.UUID(int=7)))),
    ("a tenant id with a NUL", _elsewhere("ab%00cd")),
    ("a tenant id too long", _elsewhere("a" * 65)),
    (
        "a shipping of an order never sent",
        _json("/shippings", {**examples.SHIPPING, "salesOrder": {"code": "SO-NONE"}}),
    ),
    ("an event", _json("/events", {**examples.EVENT, "data": _so(code="EV-1")})),
    (
        "an event of a purchase order",
        _json(
            "/events",
            {
                "entity": "purchaseOrder",
                "action": "updated",
                "data": {**examples.PURCHASE_ORDER, "code": "EV-2"},
            },
        ),
    ),
    (
        "an inventory event",
        _json("/events", {"entity": "inventory", "action": "created", "data": examples.INVENTORY}),
    ),
    ("an event whose entity is invalid", _json("/events", {**examples.EVENT, "data": {"code": "EV-3"}})),
    ("an event of an unknown entity", _json("/events", {**examples.EVENT, "entity": "invoice"})),
    (
        "an event with another tenant's key",
        _keyed("/events", {**examples.EVENT, "data": _so(code="EV-4")}, "other"),
    ),
    ("an event with a dry run", _json("/events?dry_run=true", {**examples.EVENT, "data": _so(code="EV-5")})),
]


def _answers(
    client: TestClient, tenants: list[Tenant], turn_off: Callable[[], None] | None
) -> list[dict[str, Any]]:
    tenant, other = tenants
    if turn_off is not None:
        turn_off()
    answers = []
    for _, call in CALLS:
        path, headers, body = call(tenant, other)
        answers.append(_comparable(client.post(path, content=body, headers=headers), tenants))
    return answers


def test_every_call_answers_as_fastapi_s_handler_answers_it(
    client: TestClient, direct_off: Callable[[], None]
) -> None:
    first, second = Tenant(client, "one"), Tenant(client, "two")
    direct = _answers(client, [first, second], None)
    through_fastapi = _answers(client, [second, first], direct_off)
    for (name, _), by_direct, by_fastapi in zip(CALLS, direct, through_fastapi, strict=True):
        assert by_direct == by_fastapi, name
    # The calls cover what they are named for: queued, already sent, refused in each way.
    statuses = {name: answer["status"] for (name, _), answer in zip(CALLS, direct, strict=True)}
    assert statuses["sales order"] == 202 and direct[1]["body"]["alreadySent"] is True
    assert {statuses["dry run"], statuses["no key"], statuses["another tenant's key"]} == {200, 401, 404}
    assert statuses["NaN"] == statuses["a NUL in a code"] == statuses["text/plain"] == 422
    assert statuses["a shipping of an order never sent"] == 422
    assert statuses["an event"] == 202 and statuses["an event of a purchase order"] == 200
    assert statuses["an inventory event"] == 200 and direct[-5]["body"]["queued"] is False
    assert statuses["an event whose entity is invalid"] == statuses["an event of an unknown entity"] == 422
    assert statuses["an event with another tenant's key"] == 404


def test_a_tenant_key_used_by_the_direct_path_is_marked_used(client: TestClient) -> None:
    tenant = Tenant(client, "key")
    listed = client.get(f"/api/v1/tenants/{tenant.id}/api-keys", headers=ADMIN).json()
    assert [key["lastUsedAt"] for key in listed["items"]] == [None]
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {tenant.key}"}
    sent = client.post(f"/api/v1/tenants/{tenant.id}/sales-orders", content=SO, headers=headers)
    assert sent.status_code == 202, sent.text
    listed = client.get(f"/api/v1/tenants/{tenant.id}/api-keys", headers=ADMIN).json()
    assert [key["lastUsedAt"] is not None for key in listed["items"]] == [True]


def test_the_common_call_is_served_without_fastapi_s_dependency_solving(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = Tenant(client, "solved")
    solved: list[str] = []
    solve = fastapi.routing.solve_dependencies

    async def counted(*args: Any, **kwargs: Any) -> Any:
        solved.append(kwargs["request"].url.path)
        return await solve(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counted)
    for route in SEND_ROUTES:
        path = route.path.replace("{tenant_id}", tenant.id)
        body = {
            "sales-orders": examples.SALES_ORDER,
            "purchase-orders": examples.PURCHASE_ORDER,
            "receivings": examples.RECEIVING,
            "shippings": examples.SHIPPING,
            "production-orders": examples.PRODUCTION_ORDER,
            "inventory": examples.INVENTORY,
            "events": {**examples.EVENT, "data": {**examples.SALES_ORDER, "code": "EV-SOLVED"}},
        }[route.path.rsplit("/", 1)[1]]
        sent = client.post(path, json=body, headers=ADMIN)
        # An event is answered 200 when its flow is not automatic, and nothing is queued.
        assert sent.status_code in {200, 202}, (path, sent.text)
    assert solved == []
    # A call the direct path leaves alone goes through FastAPI's handler.
    dry = client.post(
        f"/api/v1/tenants/{tenant.id}/sales-orders?dry_run=true", json=examples.SALES_ORDER, headers=ADMIN
    )
    assert dry.status_code == 200, dry.text
    assert solved == [f"/api/v1/tenants/{tenant.id}/sales-orders"]
    assert len(SEND_ROUTES) == 7  # the six send buttons and the events


def test_the_common_send_runs_without_an_orm_session_on_postgresql(
    client: TestClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first send of each kind the admin key makes is its read and its write, two batches on a pool
    connection (db/transaction.py): no SQLAlchemy session is made for it on PostgreSQL."""
    tenant = Tenant(client, "no session")
    made = sessions_made(monkeypatch)
    for path, body in [
        ("sales-orders", examples.SALES_ORDER),
        ("purchase-orders", examples.PURCHASE_ORDER),
        ("production-orders", examples.PRODUCTION_ORDER),
        ("inventory", examples.INVENTORY),
    ]:
        sent = client.post(f"/api/v1/tenants/{tenant.id}/{path}", json=body, headers=ADMIN)
        assert sent.status_code == 202, (path, sent.text)
    jobs = client.get(f"/api/v1/tenants/{tenant.id}/jobs", headers=ADMIN)
    assert jobs.status_code == 200 and len(jobs.json()["items"]) == 4, jobs.text
    if database.is_postgresql:
        assert made == []
    # A tenant's own key is looked up in the database: the session is made for it, in the same
    # transaction, and the send is queued as well.
    headers = {"Authorization": f"Bearer {tenant.key}"}
    order = {**examples.SALES_ORDER, "code": "SO-TENANT-KEY"}
    sent = client.post(f"/api/v1/tenants/{tenant.id}/sales-orders", json=order, headers=headers)
    assert sent.status_code == 202, sent.text
    if database.is_postgresql:
        assert made == ["session"]


def test_a_generated_admin_key_is_checked_without_an_orm_session(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without QBBRIDGE_ADMIN_API_KEY the admin key is generated and only its digest kept (the
    default): checking it on every call reads the digest with a statement, so the common send still
    makes no session; a rotated key takes effect at the next call."""
    with database.transaction() as session:
        old_key = tenant_repo.rotate_admin_key(session)
    app: FastAPI = create_app(
        load_settings(environ={"QBBRIDGE_DATABASE_URL": str(database.engine.url)}), database
    )
    with TestClient(app) as generated:
        headers = {"Authorization": f"Bearer {old_key}"}
        created = generated.post("/api/v1/tenants", json={"name": "Generated key"}, headers=headers)
        assert created.status_code == 201, created.text
        tenant_id = created.json()["id"]
        made = sessions_made(monkeypatch)
        sent = generated.post(
            f"/api/v1/tenants/{tenant_id}/sales-orders", json=examples.SALES_ORDER, headers=headers
        )
        assert sent.status_code == 202, sent.text
        if database.is_postgresql:
            assert made == []
        with database.transaction() as session:
            new_key = tenant_repo.rotate_admin_key(session)
        order = {**examples.SALES_ORDER, "code": "SO-ROTATED"}
        refused = generated.post(f"/api/v1/tenants/{tenant_id}/sales-orders", json=order, headers=headers)
        assert refused.status_code == 401, refused.text
        accepted = generated.post(
            f"/api/v1/tenants/{tenant_id}/sales-orders",
            json=order,
            headers={"Authorization": f"Bearer {new_key}"},
        )
        assert accepted.status_code == 202, accepted.text
