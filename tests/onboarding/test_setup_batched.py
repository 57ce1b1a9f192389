"""The setup checklist for a page of tenants (``setup.checklists``, the console's Tenants list) is the
per-tenant one (``setup.checklist``, the API's and the tenant page's), for tenants in every state of
every step, in a fixed number of statements; on PostgreSQL and SQLite."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import tenants as tenant_repo
from db.engine import Database
from db.models import Step, Tenant, WcSession
from db.queue import NewStep, enqueue
from mapping import setup
from tests.support.statements import counted

TOKEN_AT = dt.datetime(2025, 3, 4, 10, 0, 0, 123456, tzinfo=dt.UTC)
FILE = "C:\\Company.qbw"


def _at(minutes: float) -> dt.datetime:
    return TOKEN_AT + dt.timedelta(minutes=minutes)


def _session(
    db: Session, tenant: Tenant, minutes: float, *, company_file: str | None = None, refusal: str | None = None
) -> None:
    db.add(
        WcSession(
            tenant_id=tenant.id,
            ticket_digest=secrets.token_hex(32),
            created_at=_at(minutes),
            last_seen_at=_at(minutes + 1),
            closed_at=_at(minutes + 2) if refusal else None,
            company_file=company_file,
            refusal=refusal,
            last_error="QuickBooks said no." if refusal else None,
        )
    )
    db.flush()


def _test_job(db: Session, tenant: Tenant, minutes: float, status: str, codes: tuple[int, ...] = ()) -> None:
    job = enqueue(
        db,
        tenant_id=tenant.id,
        kind=setup.TEST_ACCESS,
        payload={},
        steps=[NewStep(kind="raw_qbxml", intent={}), NewStep(kind="raw_qbxml", intent={})],
    )
    job.status = status
    job.created_at = _at(minutes)
    job.error = "QuickBooks refused." if status == "failed" else None
    db.flush()
    steps = db.scalars(select(Step).where(Step.job_id == job.id).order_by(Step.position)).all()
    for step, code in zip(steps, codes, strict=False):
        step.status_code = code
    db.flush()


def _tokened(tenant: Tenant) -> None:
    tenant.qwc_downloaded_at = _at(-30)
    tenant.connector_seen_at = _at(-20)
    tenant.token_created_at = TOKEN_AT
    tenant.token_digest = "0" * 64


def _let_in(db: Session, tenant: Tenant) -> None:
    _tokened(tenant)
    _session(db, tenant, 1, company_file=FILE)


# Each tenant's state, named by what it shows; together they reach every status of every step.
STATES: dict[str, Callable[[Session, Tenant], None]] = {
    "nothing yet": lambda db, t: None,
    "qwc downloaded": lambda db, t: setattr(t, "qwc_downloaded_at", _at(-30)),
    "connector seen, no token": lambda db, t: setattr(t, "connector_seen_at", _at(-20)),
    "token, no session": lambda db, t: _tokened(t),
    "token, a wrong password since": lambda db, t: (_tokened(t), setattr(t, "login_failed_at", _at(5))),
    "token, a wrong password before it": lambda db, t: (_tokened(t), setattr(t, "login_failed_at", _at(-5))),
    "token, sessions only before it": lambda db, t: (_tokened(t), _session(db, t, -10, company_file=FILE)),
    "logged in, QuickBooks not reached": lambda db, t: (_tokened(t), _session(db, t, 0), _session(db, t, 3)),
    "refused: another company file": lambda db, t: (
        _tokened(t),
        _session(db, t, 1, company_file=FILE),
        _session(db, t, 4, refusal="other_company_file"),
        _session(db, t, 6),  # QuickBooks not reached: the refusal stays the latest answer
    ),
    "refused: a refusal that is not QuickBooks' answer": lambda db, t: (
        _tokened(t),
        _session(db, t, 1, refusal="disabled"),
    ),
    "refused, then let in": lambda db, t: (
        _tokened(t),
        _session(db, t, 1, refusal="connection_error"),
        _session(db, t, 2, company_file=FILE),
    ),
    "let in": _let_in,
    "test queued": lambda db, t: (_let_in(db, t), _test_job(db, t, 2, "queued")),
    "test in flight": lambda db, t: (_let_in(db, t), _test_job(db, t, 2, "in_flight")),
    "test succeeded": lambda db, t: (_let_in(db, t), _test_job(db, t, 2, "succeeded")),
    "test failed: read only": lambda db, t: (_let_in(db, t), _test_job(db, t, 2, "failed", (0, 3260))),
    "test failed: other": lambda db, t: (_let_in(db, t), _test_job(db, t, 2, "failed", (0, 500))),
    "test cancelled": lambda db, t: (_let_in(db, t), _test_job(db, t, 2, "cancelled")),
    "test only before the token": lambda db, t: (_let_in(db, t), _test_job(db, t, -3, "succeeded")),
    "test succeeded, then failed": lambda db, t: (
        _let_in(db, t),
        _test_job(db, t, 2, "succeeded"),
        _test_job(db, t, 3, "failed", (3261,)),
    ),
    "test failed, then succeeded": lambda db, t: (
        _let_in(db, t),
        _test_job(db, t, 2, "failed", (3260,)),
        _test_job(db, t, 3, "succeeded"),
    ),
    "a session at the token's very time": lambda db, t: (_tokened(t), _session(db, t, 0, company_file=FILE)),
}


def tenants_in_every_state(database: Database, prefix: str = "Batched") -> list[str]:
    """One tenant in each of ``STATES``, named "<prefix> <state>"; their ids."""
    ids = []
    with database.transaction() as db:
        for name, make in STATES.items():
            tenant = tenant_repo.create_tenant(db, f"{prefix} {name}")
            make(db, tenant)
            db.flush()
            ids.append(tenant.id)
    return ids


def test_the_batched_checklist_is_the_per_tenant_one_in_every_state(database: Database) -> None:
    ids = tenants_in_every_state(database)
    with database.transaction() as db:
        tenants = list(db.scalars(select(Tenant).where(Tenant.id.in_(ids))))
        one_by_one = {tenant.id: setup.checklist(db, tenant) for tenant in tenants}
        with counted(database) as statements:
            batched = setup.checklists(db, tenants)
        assert len(statements) == 3, statements  # sessions, access tests, failed tests' codes
        assert batched == one_by_one
        assert setup.checklists(db, []) == {}
        # The states reach every status each step can have, so the comparison covers them all.
        seen = {(step.key, step.status) for steps in batched.values() for step in steps}
        everything = {
            ("installConnector", s) for s in (setup.NOT_STARTED, setup.PENDING, setup.DONE)
        } | {("generateToken", s) for s in (setup.NOT_STARTED, setup.DONE)}
        for key in ("testConnection", "requestAccess", "testAccess"):
            everything |= {(key, s) for s in (setup.NOT_STARTED, setup.PENDING, setup.DONE, setup.FAILED)}
        assert everything - seen == set()
        details = {steps[4].detail for steps in batched.values() if steps[4].status == setup.FAILED}
        assert any("read-only access" in d for d in details) and any("QuickBooks refused." in d for d in details)


def test_a_page_of_tenants_in_the_same_statements_however_many(database: Database) -> None:
    few = tenants_in_every_state(database)[:6]
    many = tenants_in_every_state(database) + tenants_in_every_state(database)
    with database.transaction() as db:
        for ids in (few, many):
            tenants = list(db.scalars(select(Tenant).where(Tenant.id.in_(ids))))
            with counted(database) as statements:
                setup.checklists(db, tenants)
            # Fresh tenants need nothing read; those with a token one statement, however many.
            assert len(statements) == (1 if ids is few else 3), statements
