"""A ticket no session has (guessed, mistyped, or a connector pointed at another service) is answered
after one read, without the ORM (``qbwc/ticket_sessions.py``, ``end_if_expired``); a session that
timed out is still ended by its next call, and a late answer on its ticket still settles what it
left unknown."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from db import secrets as secret_values
from db import tenants as tenant_repo
from db.engine import Database
from db.models import Step, WcSession
from db.states import SessionState, StepState
from mapping.jobs import queue_raw_qbxml
from qbwc.options import ServiceOptions
from qbwc.service import WebConnectorService
from tests.foundation.helpers import Clock
from tests.support.statements import counted, sessions_made

TIMEOUT = dt.timedelta(minutes=30)
QUERY = (
    '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
    "<CustomerQueryRq><MaxReturned>1</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>"
)


def _service(database: Database, clock: Clock) -> WebConnectorService:
    return WebConnectorService(database, ServiceOptions(session_timeout=TIMEOUT), clock=clock)


def _signed_in(database: Database, service: WebConnectorService, *, jobs: int = 0) -> tuple[str, str]:
    with database.transaction() as session:
        tenant = tenant_repo.create_tenant(session, f"Tickets {uuid.uuid4().hex[:8]}")
        tenant_id, username, token = tenant.id, tenant.qbwc_username, tenant_repo.issue_token(session, tenant)
        for _ in range(jobs):
            queue_raw_qbxml(session, tenant_id=tenant_id, qbxml=QUERY)
    ticket, _company = service.authenticate(username, token, client_address="198.51.100.7")
    return tenant_id, ticket


def _state(database: Database, ticket: str) -> SessionState:
    with database.transaction() as session:
        return session.scalars(
            select(WcSession.state).where(WcSession.ticket_digest == secret_values.digest(ticket))
        ).one()


def test_an_unknown_ticket_is_answered_without_the_orm(
    database: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = _service(database, clock)
    _signed_in(database, service)  # a session exists, just not for this ticket
    unknown = uuid.uuid4().hex
    made = sessions_made(monkeypatch)
    with counted(database) as statements:
        assert service.send_request_xml(unknown, "", "", "US", 13, 0) == ""
        assert service.receive_response_xml(unknown, "<QBXML />", "", "") == 100
    if database.engine.dialect.name == "postgresql":
        # Batches only: no ORM session, no statement of its own.
        assert made == [] and statements == [], statements


def test_a_session_silent_past_the_timeout_is_ended_by_its_next_call(database: Database, clock: Clock) -> None:
    service = _service(database, clock)
    _tenant_id, ticket = _signed_in(database, service)
    clock.now += TIMEOUT + dt.timedelta(seconds=1)
    assert service.send_request_xml(ticket, "", "", "US", 13, 0) == ""
    assert _state(database, ticket) == SessionState.EXPIRED


def test_a_late_answer_on_an_expired_ticket_still_settles_its_unknown_step(
    database: Database, clock: Clock
) -> None:
    # The session must begin after its tenant's token was issued (at the real time), or a late answer
    # on it is refused as from before a rotation.
    clock.now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    service = _service(database, clock)
    tenant_id, ticket = _signed_in(database, service, jobs=1)
    sent = service.send_request_xml(ticket, "", "", "US", 13, 0)
    request_id = sent.split('requestID="', 1)[1].split('"', 1)[0]
    clock.now += TIMEOUT + dt.timedelta(seconds=1)
    answer = (
        f'<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="{request_id}" '
        'statusCode="1" statusSeverity="Info" statusMessage="A query request did not find a matching '
        'object in QuickBooks" /></QBXMLMsgsRs></QBXML>'
    )
    # The session timed out with its step out, and its next call ended it: the answer is late, and
    # still settles the step.
    assert service.send_request_xml(ticket, "", "", "US", 13, 0) == ""
    assert service.receive_response_xml(ticket, answer, "", "") == 100
    assert _state(database, ticket) == SessionState.EXPIRED
    with database.transaction() as session:
        states = session.scalars(select(Step.state).where(Step.tenant_id == tenant_id)).all()
    assert states == [StepState.SUCCEEDED]
