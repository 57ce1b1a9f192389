"""``OnTenant`` (api/auth.py): one dependency for a call on a tenant, made of the very session and
principal the request's other dependencies got, each solved once per request, and audited as the
caller on that tenant."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import CurrentPrincipal, DbSession, OnTenant, VisibleTenant
from db import tenants as tenant_repo
from db.engine import Database
from db.models import AuditEvent
from qbbridge.app import create_app
from qbbridge.config import load_settings
from tests.support.servers import migrated_database

ADMIN_KEY = "tenant-call-admin-key"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    yield from migrated_database(f"sqlite:///{tmp_path / 'q.db'}")


@pytest.fixture
def app(database: Database) -> FastAPI:
    environ = {"QBBRIDGE_DATABASE_URL": str(database.engine.url), "QBBRIDGE_ADMIN_API_KEY": ADMIN_KEY}
    return create_app(load_settings(environ=environ), database)


def _tenant_with_key(database: Database) -> tuple[str, str]:
    with database.transaction() as session:
        tenant = tenant_repo.create_tenant(session, "Call Co")
        _, key = tenant_repo.create_api_key(session, tenant, "probe")
        return tenant.id, key


def test_the_call_holds_the_objects_the_request_s_other_dependencies_got(
    app: FastAPI, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant_id, key = _tenant_with_key(database)

    # The same dependencies as an operation of the API would take, side by side with the call.
    @app.get("/probe/{tenant_id}")
    async def probe(
        call: OnTenant, tenant: VisibleTenant, session: DbSession, principal: CurrentPrincipal
    ) -> dict[str, bool]:
        return {
            "tenant": call.tenant is tenant,
            "session": call.session is session,
            "principal": call.principal is principal,
            # visible_tenant read the tenant in the call's own transaction.
            "tenant_in_session": call.tenant in call.session,
        }

    transactions: list[AbstractContextManager[Session]] = []
    built = database.transaction

    def counted() -> AbstractContextManager[Session]:
        transactions.append(built())
        return transactions[-1]

    key_reads: list[str] = []
    find_api_key = tenant_repo.find_api_key

    def counted_find(session: Session, presented: str) -> Any:
        key_reads.append(presented)
        return find_api_key(session, presented)

    monkeypatch.setattr(database, "transaction", counted)
    monkeypatch.setattr(tenant_repo, "find_api_key", counted_find)
    answer = TestClient(app).get(f"/probe/{tenant_id}", headers={"Authorization": f"Bearer {key}"})

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"tenant": True, "session": True, "principal": True, "tenant_in_session": True}
    # One transaction and one reading of the key for the whole request.
    assert len(transactions) == 1
    assert key_reads == [key]


def test_an_operation_audits_as_the_caller_on_the_path_s_tenant(app: FastAPI, database: Database) -> None:
    tenant_id, key = _tenant_with_key(database)

    answer = TestClient(app).post(
        f"/api/v1/tenants/{tenant_id}/token", headers={"Authorization": f"Bearer {key}"}
    )

    assert answer.status_code == 201, answer.text
    with database.transaction() as session:
        records = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "tenant.token.generate")
        ).all()
        assert [(r.tenant_id, r.actor) for r in records] == [(tenant_id, f"tenant-key:{tenant_id}")]
