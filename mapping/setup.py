"""The setup checklist: the spec's five steps, each derived from what happened.

Nothing here is a flag a caller sets. Each step's status is read from the traces the steps leave:
the ``.qwc`` download and the connector's first login (tenant columns written when they happened),
the token, the Web Connector sessions (which logged in with which token, which reached QuickBooks,
which QuickBooks or qbbridge refused and why) and the test-access jobs. docs/onboarding.md explains
each step and what support staff do when one fails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, ScalarSelect, Select, SQLColumnExpression, func, or_, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from db import audit, queue
from db.models import ANSWERED_SESSION_CONDITION, Job, Step, Tenant, WcSession
from db.states import JobStatus
from mapping.plan import PlannedStep
from mapping.step_kinds import StepKind
from requests_builder import DataExtDefAdd

# One OwnerID for the product, for ever: QuickBooks ties the customer's authorisation and our
# private data extensions to it (the .qwc file carries it), so changing it would make every customer
# authorise again.
OWNER_ID = "{6DB6FA3C-BD43-4B0D-B18D-294CE1A59DB6}"
TEST_ACCESS = "setup.testAccess"
# The private custom-field definition the access test writes: owned by qbbridge's OwnerID, so no
# QuickBooks user sees it; a later test finds it in use (3100), which counts as written.
ACCESS_CHECK_FIELD = "qbbridge access check"
NAME_IN_USE = 3100
NO_PERMISSION = (3260, 3261)

STEP_KEYS = ("installConnector", "generateToken", "testConnection", "requestAccess", "testAccess")
NOT_STARTED, PENDING, DONE, FAILED = "notStarted", "pending", "done", "failed"

# A tenant's values, or its columns in a statement over many tenants.
_TenantId = str | InstrumentedAttribute[str]
_TokenAt = dt.datetime | InstrumentedAttribute[dt.datetime | None]


@dataclass(frozen=True, slots=True)
class SetupStep:
    key: str
    status: str
    detail: str
    at: dt.datetime | None = None


class SetupOrderError(Exception):
    """A step was asked for before the one it needs; the message says what must happen first."""


def checklist(session: Session, tenant: Tenant) -> list[SetupStep]:
    """One tenant's five steps; each later step reads the database only once the one before is done
    (up to four statements). A page of tenants: ``checklists``."""
    install = _install(tenant)
    token = _token(tenant)
    first = _session_since_token(session, tenant, _first_session_query)
    connection = _connection(tenant, first)
    if connection.status == DONE:
        access = _access(tenant, _session_since_token(session, tenant, _latest_access_query))
    else:
        access = _waiting("requestAccess", connection)
    if access.status == DONE:
        job = _latest_test(session, tenant)
        codes: set[int] = set()
        if job is not None and _failed(job):
            codes = _status_codes(session, [job.id]).get(job.id, set())
        test = _test_access(job, codes)
    else:
        test = _waiting("testAccess", access)
    return [install, token, connection, access, test]


def checklists(session: Session, tenants: list[Tenant]) -> dict[str, list[SetupStep]]:
    """``checklist`` for a page of tenants in at most three statements, however many tenants: the
    sessions each step reads, then the latest access tests of those QuickBooks let in, then the status
    codes of those that failed (each skipped when no tenant needs it)."""
    sessions = _sessions_of(session, [t for t in tenants if t.token_created_at is not None])
    early: dict[str, tuple[SetupStep, SetupStep, SetupStep, SetupStep]] = {}
    for tenant in tenants:
        first, latest = sessions.get(tenant.id, (None, None))
        connection = _connection(tenant, first)
        if connection.status == DONE:
            access = _access(tenant, latest)
        else:
            access = _waiting("requestAccess", connection)
        early[tenant.id] = (_install(tenant), _token(tenant), connection, access)
    jobs = _latest_tests(session, [t for t in tenants if early[t.id][3].status == DONE])
    codes = _status_codes(session, [job.id for job in jobs.values() if _failed(job)])
    result: dict[str, list[SetupStep]] = {}
    for tenant in tenants:
        install, token, connection, access = early[tenant.id]
        if access.status == DONE:
            job = jobs.get(tenant.id)
            test = _test_access(job, codes.get(job.id, set()) if job is not None else set())
        else:
            test = _waiting("testAccess", access)
        result[tenant.id] = [install, token, connection, access, test]
    return result


def _waiting(key: str, before: SetupStep) -> SetupStep:
    names = {"testConnection": "testing the connection", "requestAccess": "requesting access"}
    return SetupStep(key, NOT_STARTED, f"This step comes after {names[before.key]}: {before.detail}")


def _install(tenant: Tenant) -> SetupStep:
    if tenant.connector_seen_at is not None:
        return SetupStep(
            "installConnector",
            DONE,
            "The QuickBooks Web Connector on the customer's computer has contacted qbbridge with this "
            "tenant's user name.",
            tenant.connector_seen_at,
        )
    if tenant.qwc_downloaded_at is not None:
        return SetupStep(
            "installConnector",
            PENDING,
            "The .qwc file was downloaded but the Web Connector has not contacted qbbridge yet. On the "
            "computer where QuickBooks runs, open the .qwc file (double-click it, or Add an application "
            "in the QuickBooks Web Connector), allow it when QuickBooks asks, then click Update Selected.",
            tenant.qwc_downloaded_at,
        )
    return SetupStep(
        "installConnector",
        NOT_STARTED,
        "Download the tenant's .qwc file (GET /api/v1/tenants/{id}/qwc) and open it in the QuickBooks "
        "Web Connector on the computer where QuickBooks runs.",
    )


def _token(tenant: Tenant) -> SetupStep:
    if tenant.token_created_at is None:
        return SetupStep(
            "generateToken",
            NOT_STARTED,
            "Generate a token (POST /api/v1/tenants/{id}/token) and give it to the person at the "
            "QuickBooks computer: it is the qbbridge application's password in the Web Connector.",
        )
    return SetupStep(
        "generateToken",
        DONE,
        "A token exists. It is shown only once; if it was lost, generate a new one (the old one stops "
        "working and the connection must be tested again).",
        tenant.token_created_at,
    )


def _first_session_query(tenant_id: _TenantId, token_at: _TokenAt) -> Select[WcSession]:
    """The tenant's first session since its token: the first entry of ``ix_qbwc_sessions_tenant_created``
    from the token on, however many sessions the tenant kept. By when it began, as the step shows it.
    ``tenant_id`` and ``token_at`` are values (one tenant) or the tenant's columns (a page of them)."""
    return (
        select(WcSession)
        .where(WcSession.tenant_id == tenant_id, WcSession.created_at >= token_at)
        .order_by(WcSession.created_at, WcSession.id)
        .limit(1)
    )


def _session_since_token(
    session: Session, tenant: Tenant, query: Callable[[_TenantId, _TokenAt], Select[WcSession]]
) -> WcSession | None:
    """The session ``query`` (``_first_session_query`` or ``_latest_access_query``) finds for one
    tenant; none before it has a token."""
    if tenant.token_created_at is None:
        return None
    return session.scalars(query(tenant.id, tenant.token_created_at)).first()


def _connection(tenant: Tenant, first: WcSession | None) -> SetupStep:
    """Test Connection, from the tenant's first session since its token."""
    if tenant.token_created_at is None:
        return SetupStep("testConnection", NOT_STARTED, "Generate a token first.")
    if first is not None:
        version = f" (Web Connector {tenant.qbwc_version})" if tenant.qbwc_version else ""
        return SetupStep(
            "testConnection",
            DONE,
            f"The Web Connector logged in with the current token{version}.",
            first.created_at,
        )
    if tenant.login_failed_at is not None and tenant.login_failed_at >= tenant.token_created_at:
        return SetupStep(
            "testConnection",
            FAILED,
            "The Web Connector tried to log in with a password that is not the current token. In the "
            "Web Connector, click the qbbridge application's Password field, enter the current token "
            "(or generate a new one), then click Update Selected.",
            tenant.login_failed_at,
        )
    return SetupStep(
        "testConnection",
        PENDING,
        "Waiting for the Web Connector to log in: in the Web Connector, enter the token as the qbbridge "
        "application's password, tick the application and click Update Selected.",
        tenant.token_created_at,
    )


def _latest_access_query(tenant_id: _TenantId, token_at: _TokenAt) -> Select[WcSession]:
    """The tenant's latest session since its token in which QuickBooks answered the connector (let it
    in, or refused it): the last entry of the partial index ``ix_qbwc_sessions_tenant_answered``, so
    the sessions with nothing to exchange since (most of them) are never read."""
    return (
        select(WcSession)
        # The index's own condition, word for word: a planner uses a partial index only for a query
        # whose WHERE clause carries its condition, and cannot see through bound parameters.
        .where(
            WcSession.tenant_id == tenant_id,
            WcSession.created_at >= token_at,
            text(f"({ANSWERED_SESSION_CONDITION})"),
        )
        .order_by(WcSession.created_at.desc(), WcSession.id.desc())
        .limit(1)
    )


def _access(tenant: Tenant, latest: WcSession | None) -> SetupStep:
    """Request access, from the latest session since the token in which QuickBooks answered."""
    if latest is None:
        return SetupStep(
            "requestAccess",
            PENDING,
            "The Web Connector logged in but QuickBooks has not answered yet. On the QuickBooks computer, "
            "open QuickBooks with the company file (as the Admin user, in single-user mode the first "
            "time) and click Update Selected in the Web Connector. When QuickBooks asks whether to let "
            'qbbridge in, choose "Yes, always; allow access even if QuickBooks is not running".',
        )
    if latest.refusal is None:
        product = f"{tenant.qb_product}, " if tenant.qb_product else ""
        company = tenant.bound_company_file or latest.company_file
        return SetupStep(
            "requestAccess",
            DONE,
            f"QuickBooks let qbbridge in ({product}company file {company}).",
            latest.created_at,
        )
    return SetupStep(
        "requestAccess",
        FAILED,
        latest.last_error or "QuickBooks could not be opened for qbbridge.",
        latest.closed_at or latest.last_seen_at,
    )


def _latest_test(session: Session, tenant: Tenant) -> Job | None:
    query = select(Job).where(Job.tenant_id == tenant.id, Job.kind == TEST_ACCESS)
    if tenant.token_created_at is not None:
        query = query.where(Job.created_at >= tenant.token_created_at)
    return session.scalars(query.order_by(Job.id.desc()).limit(1)).first()


def _after_token(created_at: SQLColumnExpression[dt.datetime]) -> ColumnElement[bool]:
    """Since the token, for many tenants at once: the tenant's row joined, compared column to column."""
    return or_(Tenant.token_created_at.is_(None), created_at >= Tenant.token_created_at)


def _sessions_of(
    session: Session, tenants: list[Tenant]
) -> dict[str, tuple[WcSession | None, WcSession | None]]:
    """Per tenant with a token, its first session and its latest access session (``_session_since_token``
    of ``_first_session_query`` and ``_latest_access_query``) in one statement: for each tenant row,
    the two as correlated subqueries (one index entry each), joined to their rows."""
    if not tenants:
        return {}

    def one(query: Select[WcSession]) -> ScalarSelect[int]:
        return query.with_only_columns(WcSession.id).correlate(Tenant).scalar_subquery()

    first, latest = aliased(WcSession), aliased(WcSession)
    rows = session.execute(
        select(Tenant.id, first, latest)
        .select_from(Tenant)
        .join(first, first.id == one(_first_session_query(Tenant.id, Tenant.token_created_at)))
        .outerjoin(latest, latest.id == one(_latest_access_query(Tenant.id, Tenant.token_created_at)))
        .where(Tenant.id.in_([t.id for t in tenants]))
    )
    return {tenant_id: (first_row, latest_row) for tenant_id, first_row, latest_row in rows}


def _latest_tests(session: Session, tenants: list[Tenant]) -> dict[str, Job]:
    """Per tenant, ``_latest_test`` in one statement."""
    if not tenants:
        return {}
    latest = (
        select(func.max(Job.id).label("id"))
        .join(Tenant, Tenant.id == Job.tenant_id)
        .where(
            Job.tenant_id.in_([t.id for t in tenants]),
            Job.kind == TEST_ACCESS,
            _after_token(Job.created_at),
        )
        .group_by(Job.tenant_id)
        .subquery()
    )
    return {job.tenant_id: job for job in session.scalars(select(Job).join(latest, Job.id == latest.c.id))}


def _failed(job: Job) -> bool:
    return job.status not in {JobStatus.QUEUED, JobStatus.IN_FLIGHT, JobStatus.SUCCEEDED}


def _status_codes(session: Session, job_ids: list[int]) -> dict[int, set[int]]:
    """QuickBooks' status codes in each job's steps."""
    codes: dict[int, set[int]] = {}
    if job_ids:
        rows = session.execute(select(Step.job_id, Step.status_code).where(Step.job_id.in_(job_ids)))
        for job_id, code in rows:
            if code is not None:
                codes.setdefault(job_id, set()).add(code)
    return codes


def _test_access(job: Job | None, codes: set[int]) -> SetupStep:
    """Confirm, from the latest access test since the token and, if it failed, its steps' codes."""
    if job is None:
        return SetupStep(
            "testAccess",
            NOT_STARTED,
            "Test access (POST /api/v1/tenants/{id}/setup/test-access): qbbridge reads from QuickBooks "
            "and writes a custom-field definition private to qbbridge, which no QuickBooks user sees.",
        )
    if job.status in {JobStatus.QUEUED, JobStatus.IN_FLIGHT}:
        return SetupStep(
            "testAccess",
            PENDING,
            f"The access test (job {job.public_id}) waits for the Web Connector's next update: click "
            "Update Selected in the Web Connector, or wait for its schedule.",
            job.created_at,
        )
    if job.status == JobStatus.SUCCEEDED:
        return SetupStep(
            "testAccess",
            DONE,
            "qbbridge read from QuickBooks and wrote to it (a private custom-field definition).",
            job.finished_at,
        )
    if codes & set(NO_PERMISSION):
        detail = (
            "QuickBooks let qbbridge read but not write: the application was given read-only access. "
            "In QuickBooks, as the Admin user, open Edit > Preferences > Integrated Applications > "
            "Company Preferences, select qbbridge, click Properties and allow it to read and modify the "
            "company file; then test access again."
        )
    else:
        detail = (job.error or "The access test did not succeed.") + " Fix this, then test access again."
    return SetupStep("testAccess", FAILED, detail, job.finished_at or job.updated_at)


def queue_test_access(session: Session, tenant: Tenant, *, actor: str) -> tuple[Job, bool]:
    """The pending access test, or a new one (and whether it was queued now, which ``actor`` is
    audited for). Refused with what must happen first until QuickBooks has let qbbridge in with the
    current token."""
    steps = checklist(session, tenant)
    access = steps[3]
    if access.status != DONE:
        raise SetupOrderError(
            "Access cannot be tested yet: QuickBooks has not let qbbridge in since the current token was "
            f"generated. {access.detail}"
        )
    latest = _latest_test(session, tenant)
    if latest is not None and latest.status in {JobStatus.QUEUED, JobStatus.IN_FLIGHT}:
        return latest, False
    read = queue.NewStep(
        kind=StepKind.RAW_QBXML,
        intent={
            "qbxml": (
                '<?xml version="1.0" encoding="utf-8"?><?qbxml version="16.0"?><QBXML>'
                '<QBXMLMsgsRq onError="stopOnError"><DataExtDefQueryRq>'
                f"<OwnerID>{OWNER_ID}</OwnerID></DataExtDefQueryRq></QBXMLMsgsRq></QBXML>"
            )
        },
    )
    steps_to_queue = [read]
    us = (tenant.qb_country or "US").upper() == "US"
    if us:
        # Sends are for US companies only (mapping/steps.py), and only they need write access.
        write = PlannedStep(
            request=DataExtDefAdd(owner_id=OWNER_ID, name=ACCESS_CHECK_FIELD, data_ext_type="STR255TYPE"),
            description="Write qbbridge's private access-check custom-field definition",
            purpose="ensure",
            accept_status=frozenset({NAME_IN_USE}),
        )
        steps_to_queue.append(
            queue.NewStep(kind=StepKind.QBXML_REQUEST, intent=write.to_intent(), reconcilable=True)
        )
    job = queue.enqueue(
        session,
        tenant_id=tenant.id,
        kind=TEST_ACCESS,
        payload={"read": True, "write": us},
        steps=steps_to_queue,
    )
    audit.record(session, actor=actor, action="setup.test_access", tenant_id=tenant.id, job_id=job.public_id)
    return job, True
