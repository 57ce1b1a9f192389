"""``authenticate`` once the token matched (``db/session_start.py``): its reads and the tenant's contact
in one batch, and the same decisions as one statement at a time: the connector's version announced
from the same address (and only while fresh), the work waiting, older silent sessions ended first
and the work read again after them."""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, text, update

from db import batch, queue, session_start
from db import secrets as secret_values
from db import tenants as tenant_repo
from db.engine import Database
from db.models import Job, LoginThrottle, Step, Tenant, WcSession
from db.states import SessionState
from mapping.jobs import queue_raw_qbxml
from qbwc.options import ServiceOptions
from qbwc.service import WebConnectorService
from tests.foundation.helpers import START, Clock
from tests.support.statements import counted, sessions_made

OFFICE = "198.51.100.40"
QUERY = (
    '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
    "<CustomerQueryRq><MaxReturned>1</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>"
)


def _recording(monkeypatch: pytest.MonkeyPatch, note: Callable[[Any, bool], object]) -> None:
    """Every batch run while the test runs goes through ``note(statements, commit)`` first."""
    real = batch.run

    def run(session: Any, statements: Any, *, commit: bool = False) -> list[list[Any]]:
        note(statements, commit)
        return real(session, statements, commit=commit)

    monkeypatch.setattr(batch, "run", run)


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch run while the test runs, in order."""
    sizes: list[int] = []
    _recording(monkeypatch, lambda statements, _commit: sizes.append(len(statements)))
    return sizes


@pytest.fixture
def commits(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For every batch run while the test runs, in order, whether it ended its transaction."""
    flags: list[bool] = []
    _recording(monkeypatch, lambda _statements, commit: flags.append(commit))
    return flags


def _service(database: Database, clock: Clock) -> WebConnectorService:
    options = ServiceOptions(
        session_timeout=dt.timedelta(minutes=30), supersede_after=dt.timedelta(minutes=2)
    )
    return WebConnectorService(database, options, clock=clock)


def _tenant(database: Database) -> tuple[str, str, str]:
    with database.transaction() as session:
        tenant = tenant_repo.create_tenant(session, f"Start {uuid.uuid4().hex[:8]}")
        return tenant.id, tenant.qbwc_username, tenant_repo.issue_token(session, tenant)


def _session_row(database: Database, tenant_id: str) -> list[WcSession]:
    with database.transaction() as session:
        rows = session.scalars(
            select(WcSession).where(WcSession.tenant_id == tenant_id).order_by(WcSession.id)
        ).all()
        session.expunge_all()
        return list(rows)


def test_a_login_is_three_batches_the_last_committing_and_no_orm_statement(
    database: Database, clock: Clock, batches: list[int], commits: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    made = sessions_made(monkeypatch)
    service = _service(database, clock)
    _tenant_id, username, token = _tenant(database)
    with counted(database) as statements:
        ticket, company = service.authenticate(username, token, client_address=OFFICE)
    assert ticket and company == "none"
    # The throttle check with the tenant's row (locked); then the throttle cleared, the contact noted
    # and four reads together; then the new session's row, in the batch that commits.
    assert batches == [2, 6, 1]
    assert commits == [False, False, True]
    if database.engine.dialect.name == "postgresql":
        # Nothing beside the batches: no ORM session, no statement of its own, no COMMIT apart.
        assert made == [] and statements == [], statements
    # Another connection sees the session as soon as the call returns.
    with database.engine.connect() as other:
        found = other.execute(
            select(WcSession.state).where(WcSession.ticket_digest == secret_values.digest(ticket))
        ).one()
    assert found.state == SessionState.OPEN
    # A session with nothing out closes in one batch, and nothing else.
    batches.clear()
    with counted(database) as statements:
        assert service.close_connection(ticket) == "qbbridge: update complete, 0 requests processed."
    assert batches == [3]
    if database.engine.dialect.name == "postgresql":
        assert made == [] and statements == [], statements


def test_the_new_sessions_row_gives_every_column_the_orm_would_default(
    database: Database, clock: Clock
) -> None:
    """The session's row is written with a statement (``db.session_start.open_session``): a column
    the ORM fills from a Python default, or one that may not be NULL, must be named there; and the row
    holds what the ORM's defaults would have given it."""
    columns = WcSession.__table__.columns
    defaulted = {
        column.name
        for column in columns
        if not column.primary_key and (column.default is not None or not column.nullable)
    }
    assert defaulted <= set(session_start.OPEN_SESSION_COLUMNS), defaulted - set(
        session_start.OPEN_SESSION_COLUMNS
    )
    service = _service(database, clock)
    tenant_id, username, token = _tenant(database)
    service.authenticate(username, token, client_address=OFFICE)
    row = _session_row(database, tenant_id)[-1]
    assert (row.state, row.hcp_received, row.wait_requested, row.retried_open_file) == (
        SessionState.OPEN,
        False,
        False,
        False,
    )
    assert (row.steps_done, row.planned_steps, row.waits) == (0, 0, 0)
    assert row.created_at == row.last_seen_at == START and row.closed_at is None
    assert row.refusal is None and row.last_error is None and row.requested_company_file is None


def test_client_version_is_one_batch_that_commits(
    database: Database, clock: Clock, commits: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    made = sessions_made(monkeypatch)
    service = _service(database, clock)
    with counted(database) as statements:
        assert service.client_version("2.3.0.215", client_address=OFFICE) == ""
    assert commits == [True]
    if database.engine.dialect.name == "postgresql":
        assert made == [] and statements == [], statements
    with database.engine.connect() as other:
        version = other.execute(
            text("SELECT version FROM qbwc_client_hello WHERE address = :address"), {"address": OFFICE}
        ).scalar_one()
    assert version == "2.3.0.215"


def test_a_login_waits_for_a_token_rotation_in_progress_and_checks_the_new_token(
    database: Database, clock: Clock
) -> None:
    """The login reads the tenant's row locked (on SQLite, the transaction holds the database's write
    lock from its BEGIN): a rotation not yet committed makes it wait, and then the old token is
    refused. Read without the lock, the old token would open a session the rotation never ended."""
    service = _service(database, clock)
    tenant_id, username, old_token = _tenant(database)
    answers: list[list[str]] = []
    with database.transaction() as rotation:
        tenant = rotation.get(Tenant, tenant_id)
        assert tenant is not None
        tenant_repo.issue_token(rotation, tenant)
        rotation.flush()
        login = threading.Thread(
            target=lambda: answers.append(service.authenticate(username, old_token, client_address=OFFICE))
        )
        login.start()
        login.join(timeout=1.0)
        # Still waiting for the rotation's row lock.
        assert login.is_alive() and answers == []
    login.join(timeout=10)
    assert answers == [["", "nvu"]]
    assert _session_row(database, tenant_id) == []


def test_the_version_announced_from_the_same_address_is_kept_only_while_fresh(
    database: Database, clock: Clock
) -> None:
    service = _service(database, clock)
    tenant_id, username, token = _tenant(database)
    service.client_version("2.3.0.215", client_address=OFFICE)
    service.client_version("2.2.0.80", client_address="198.51.100.41")
    ticket, _ = service.authenticate(username, token, client_address=OFFICE)
    with database.transaction() as session:
        tenant = session.get(Tenant, tenant_id)
        assert tenant is not None
        assert (tenant.qbwc_version, tenant.last_contact_at, tenant.connector_seen_at) == (
            "2.3.0.215",
            START,
            START,
        )
    assert _session_row(database, tenant_id)[-1].client_version == "2.3.0.215"
    service.close_connection(ticket)
    # Announced three minutes before this login: too old to be this connector's; the known one stays.
    service.client_version("2.4.0.1", client_address=OFFICE)
    clock.now += dt.timedelta(minutes=3)
    ticket, _ = service.authenticate(username, token, client_address=OFFICE)
    with database.transaction() as session:
        tenant = session.get(Tenant, tenant_id)
        assert tenant is not None and tenant.qbwc_version == "2.3.0.215"
        assert tenant.last_contact_at == clock.now
    assert _session_row(database, tenant_id)[-1].client_version is None
    # Without an address, nothing is recalled.
    service.close_connection(ticket)
    service.client_version("2.5.0.0", client_address=OFFICE)
    service.authenticate(username, token, client_address=None)
    assert _session_row(database, tenant_id)[-1].client_version is None


def test_work_waiting_is_planned_and_the_failures_of_the_login_are_forgotten(
    database: Database, clock: Clock
) -> None:
    service = _service(database, clock)
    tenant_id, username, token = _tenant(database)
    for _ in range(3):
        with database.transaction() as session:
            queue_raw_qbxml(session, tenant_id=tenant_id, qbxml=QUERY)
    assert service.authenticate(username, "wrong", client_address=OFFICE)[1] == "nvu"
    _ticket, company = service.authenticate(username, token, client_address=OFFICE)
    assert company == ""  # work: the company file QuickBooks has open
    assert _session_row(database, tenant_id)[-1].planned_steps == 3
    with database.transaction() as session:
        assert (
            session.scalars(select(LoginThrottle).where(LoginThrottle.username == username)).first() is None
        )


def test_a_silent_session_is_ended_first_and_its_step_planned_again(database: Database, clock: Clock) -> None:
    service = _service(database, clock)
    tenant_id, username, token = _tenant(database)
    with database.transaction() as session:
        queue_raw_qbxml(session, tenant_id=tenant_id, qbxml=QUERY)
    first, company = service.authenticate(username, token, client_address=OFFICE)
    assert company == ""
    assert service.send_request_xml(first, "", "C:\\Books.qbw", "US", 13, 0)  # the step is in flight
    with database.transaction() as session:
        # One QuickBooks can be asked about: an ended session hands it back to the queue.
        session.execute(update(Step).where(Step.tenant_id == tenant_id).values(reconcilable=True))
        assert not queue.has_runnable(session, tenant_id=tenant_id, now=clock.now)
    # The connector died; the next session starts after supersede_after.
    clock.now += dt.timedelta(minutes=5)
    _second, company = service.authenticate(username, token, client_address=OFFICE)
    rows = _session_row(database, tenant_id)
    assert [row.state for row in rows] == [SessionState.CLOSED, SessionState.OPEN]
    # Its step went back to the queue: the new session has work, read after the old one ended.
    assert company == "" and rows[-1].planned_steps == 1


def test_close_is_one_batch_and_orphans_what_the_session_still_had_out(
    database: Database, clock: Clock, batches: list[int]
) -> None:
    service = _service(database, clock)
    tenant_id, username, token = _tenant(database)
    with database.transaction() as session:
        queue_raw_qbxml(session, tenant_id=tenant_id, qbxml=QUERY)
    ticket, _ = service.authenticate(username, token, client_address=OFFICE)
    assert service.send_request_xml(ticket, "", "C:\\Books.qbw", "US", 13, 0)
    batches.clear()
    with counted(database) as statements:
        status = service.close_connection(ticket)
    # The orphaning, the close and the read in one batch, and the job's status refreshed after it.
    assert batches[0] == 3
    if database.engine.dialect.name == "postgresql":
        # Beside the batch, only the orphaned job's refresh: nothing reads or writes the session.
        assert statements and not any("qbwc_sessions" in sql for sql in statements), statements
    # The request went out and its answer never came: its outcome is unknown, and the status says so.
    assert status.startswith("qbbridge: 0 requests processed, 1 may not have been saved."), status
    with database.transaction() as session:
        step = session.scalars(select(Step).where(Step.tenant_id == tenant_id)).one()
        assert step.state == "unknown_outcome" and step.session_id is not None
        job = session.get(Job, step.job_id)
        assert job is not None and job.status == "unknown_outcome"
    assert _session_row(database, tenant_id)[-1].state == SessionState.CLOSED
    # Again on the same ticket: nothing more to end, the same counts.
    assert service.close_connection(ticket) == status
    assert service.close_connection("not-a-ticket-of-ours") == "qbbridge: this session had already ended."


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared when queued", "rendered when claimed"])
def test_a_request_handed_out_ends_its_transaction_in_its_last_batch(
    database: Database, clock: Clock, commits: list[bool], prepared: bool
) -> None:
    """sendRequestXML: the claim, then what was sent stored with the session's wait ended, in the
    batch that commits (on PostgreSQL, in the same round trip). On PostgreSQL a step prepared when
    it was queued (raw qbXML that declares its version) goes in one batch that claims it, marks it
    sent, ends the wait and commits; before a step rendered when claimed, that one batch found
    nothing to take and committed the touch alone. Another connection sees it all as soon as the call
    returns."""
    service = _service(database, clock)
    tenant_id, username, token = _tenant(database)
    with database.transaction() as session:
        queue_raw_qbxml(
            session,
            tenant_id=tenant_id,
            qbxml=QUERY if prepared else QUERY.replace('<?qbxml version="13.0"?>', ""),
        )
    ticket, _ = service.authenticate(username, token, client_address=OFFICE)
    with database.transaction() as session:
        # The connector was asked to wait once, as when work was due in seconds.
        session.execute(
            update(WcSession).where(WcSession.tenant_id == tenant_id).values(wait_requested=True, waits=1)
        )
    commits.clear()
    assert service.send_request_xml(ticket, "", "C:\\Books.qbw", "US", 13, 0)
    if not database.is_postgresql:
        assert commits == [False, True]
    else:
        assert commits == ([True] if prepared else [True, False, True])
    with database.engine.connect() as other:
        step = other.execute(select(Step.request, Step.state).where(Step.tenant_id == tenant_id)).one()
        wait = other.execute(
            select(WcSession.wait_requested, WcSession.waits).where(WcSession.tenant_id == tenant_id)
        ).one()
    assert step.request and "CustomerQueryRq" in step.request and step.state == "in_flight"
    assert (wait.wait_requested, wait.waits) == (False, 1)


def test_the_common_calls_run_without_an_orm_session_on_postgresql(
    database: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sendRequestXML handing out a request, receiveResponseXML settling its answer, and the
    sendRequestXML that finds nothing more: batches only, on a pool connection (db/transaction.py),
    with no SQLAlchemy session made and no ORM statement run; what they do is committed."""
    made = sessions_made(monkeypatch)
    service = _service(database, clock)
    tenant_id, username, token = _tenant(database)
    with database.transaction() as session:
        queue_raw_qbxml(session, tenant_id=tenant_id, qbxml=QUERY)
    ticket, _ = service.authenticate(username, token, client_address=OFFICE)
    with counted(database) as statements:
        request = service.send_request_xml(ticket, "", "C:\\Books.qbw", "US", 13, 0)
        request_id = re.search(r'requestID="([^"]+)"', request)
        assert request_id, request
        answer = (
            '<?xml version="1.0"?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="'
            f'{request_id.group(1)}" statusCode="0" statusSeverity="Info" statusMessage="Status OK">'
            "</CustomerQueryRs></QBXMLMsgsRs></QBXML>"
        )
        assert service.receive_response_xml(ticket, answer, "", "") == 100
        assert service.send_request_xml(ticket, "", "C:\\Books.qbw", "US", 13, 0) == ""
    if database.engine.dialect.name == "postgresql":
        assert made == [] and statements == [], statements
    assert service.get_last_error(ticket) == "qbbridge has nothing more to send. The update is complete."
    with database.transaction() as session:
        job = session.scalars(select(Job).where(Job.tenant_id == tenant_id)).one()
        assert job.status == "succeeded"
