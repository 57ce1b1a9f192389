"""An access test is queued and audited in one place (``mapping.setup.queue_test_access``), for the
admin API and the console alike: one audit record for the person who queued it, none when the
pending test is answered again."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from db import tenants as tenant_repo
from db.engine import Database
from db.models import AuditEvent, Tenant
from mapping import setup
from qbwc.options import ServiceOptions
from qbwc.service import WebConnectorService


def test_an_access_test_is_audited_once_for_whoever_queued_it(database: Database) -> None:
    with database.transaction() as session:
        tenant = tenant_repo.create_tenant(session, f"Access audit {uuid.uuid4().hex[:8]}")
        tenant_id, username, token = tenant.id, tenant.qbwc_username, tenant_repo.issue_token(session, tenant)
    service = WebConnectorService(database, ServiceOptions())
    ticket, _ = service.authenticate(username, token)
    # QuickBooks lets the connector in: the session reports its company file.
    service.send_request_xml(ticket, "", "C:\\Books.qbw", "US", 13, 0)
    service.close_connection(ticket)
    with database.transaction() as session:
        tenant = session.get(Tenant, tenant_id)
        assert tenant is not None
        first, created = setup.queue_test_access(session, tenant, actor="tenant-key:k1")
        assert created
        again, created_again = setup.queue_test_access(session, tenant, actor="admin")
        assert (again.id, created_again) == (first.id, False)
        records = session.scalars(
            select(AuditEvent).where(AuditEvent.tenant_id == tenant_id, AuditEvent.action == "setup.test_access")
        ).all()
        assert [(r.actor, r.detail["job_id"]) for r in records] == [("tenant-key:k1", first.public_id)]
