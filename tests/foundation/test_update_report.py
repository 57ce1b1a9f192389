"""What an update's end says when requests failed: the Web Connector's status line (closeConnection),
getLastError when nothing more is to be sent, and one server log line per job that ended failed or
with an unknown outcome, and per connectionError."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from sqlalchemy import select

from db import queue
from db.engine import Database
from db.models import Job, Step, utcnow
from db.outcome_log import MAX_REASON, one_line
from db.queue import SessionOutcomes, StepRef
from db.states import StepState
from db.tenants import create_tenant
from qbwc.update_report import closing_status, end_of_work_message
from tests.foundation.helpers import TenantCredentials, job, new_tenant, queue_raw
from tests.support.servers import LiveServer
from tests.support.webconnector import WebConnectorClient, answer_for, customer_query

# The Web Connector's status column shows one short line.
STATUS_LINE = 200
WHERE = "Your Fusion Operations admin can see why in the qbbridge job list."


def _lines(server: LiveServer, *needles: str) -> list[str]:
    return [line for line in server.log_text().splitlines() if all(needle in line for needle in needles)]


def test_an_update_without_failures_closes_as_complete(live_server: LiveServer, wc: WebConnectorClient) -> None:
    tenant = new_tenant(live_server.client)
    queue_raw(live_server.client, tenant.id)
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    request_xml = wc.send_request_xml(ticket)
    assert wc.receive_response_xml(ticket, answer_for(request_xml)) == 100
    assert wc.close_connection(ticket) == "qbbridge: update complete, 1 request processed."


def test_failed_and_unconfirmed_requests_are_counted_on_the_status_line_and_logged(
    live_server: LiveServer, wc: WebConnectorClient
) -> None:
    admin = live_server.client
    tenant = new_tenant(admin)
    succeeded = queue_raw(admin, tenant.id, customer_query("Fine Customer"))
    failed = queue_raw(admin, tenant.id, customer_query("Private Marker Customer"))
    unanswered = queue_raw(admin, tenant.id, customer_query("Another Marker Customer"))
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    first = wc.send_request_xml(ticket)
    assert wc.receive_response_xml(ticket, answer_for(first)) < 100
    second = wc.send_request_xml(ticket)
    refused = answer_for(second, status_code=3100, severity="Error", message="The name is\nalready in use.")
    assert wc.receive_response_xml(ticket, refused) < 100
    assert wc.send_request_xml(ticket)  # the third request is out when the connector closes
    status = wc.close_connection(ticket)

    assert status == f"qbbridge: 2 requests processed, 1 failed, 1 may not have been saved. {WHERE}"
    assert len(status) < STATUS_LINE
    assert [job(admin, j)["status"] for j in (succeeded, failed, unanswered)] == [
        "succeeded",
        "failed",
        "unknown_outcome",
    ]
    failed_lines = _lines(live_server, "job failed:", failed)
    assert len(failed_lines) == 1, failed_lines
    assert f"tenant {tenant.id} job {failed} (raw_qbxml): " in failed_lines[0]
    # The job's plain-language error, as the admin API shows it.
    assert failed_lines[0].endswith(f"(raw_qbxml): {one_line(job(admin, failed)['error'])}")
    unknown_lines = _lines(live_server, "job ended with an unknown outcome:", unanswered)
    assert len(unknown_lines) == 1, unknown_lines
    assert unknown_lines[0].endswith(
        f"tenant {tenant.id} job {unanswered} (raw_qbxml): {one_line(job(admin, unanswered)['error'])}"
    )
    log = live_server.log_text()
    assert succeeded not in log
    # Never a request or response body, nor a secret.
    assert "Marker Customer" not in log and "<QBXML" not in log and "CustomerQueryRs" not in log
    assert tenant.token not in log and ticket not in log


def _a_and_b_waiting(admin: httpx.Client, wc: WebConnectorClient, tenant: TenantCredentials) -> tuple[str, str]:
    """Two raw queries queued, A then B, and a session opened: B's job and the session's ticket."""
    queue_raw(admin, tenant.id, customer_query("A"))
    second = queue_raw(admin, tenant.id, customer_query("B"))
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    return second, ticket


def test_get_last_error_says_what_failed_when_nothing_more_is_to_be_sent(
    admin: httpx.Client, wc: WebConnectorClient, tenant: TenantCredentials
) -> None:
    second, ticket = _a_and_b_waiting(admin, wc, tenant)
    request_xml = wc.send_request_xml(ticket)
    error = answer_for(request_xml, status_code=3120, severity="Error", message="Object not found.")
    assert wc.receive_response_xml(ticket, error) < 100  # B is still waiting
    assert admin.post(f"/api/v1/jobs/{second}/cancel").status_code == 200
    assert wc.send_request_xml(ticket) == ""
    last_error = wc.get_last_error(ticket)
    assert last_error == f"qbbridge has nothing more to send. Of this update's requests, 1 failed. {WHERE}"
    assert wc.close_connection(ticket) == f"qbbridge: 1 request processed, 1 failed. {WHERE}"


def test_get_last_error_after_a_clean_update_says_it_is_complete(
    admin: httpx.Client, wc: WebConnectorClient, tenant: TenantCredentials
) -> None:
    second, ticket = _a_and_b_waiting(admin, wc, tenant)
    assert wc.receive_response_xml(ticket, answer_for(wc.send_request_xml(ticket))) < 100
    admin.post(f"/api/v1/jobs/{second}/cancel")
    assert wc.send_request_xml(ticket) == ""
    assert wc.get_last_error(ticket) == "qbbridge has nothing more to send. The update is complete."
    assert wc.close_connection(ticket) == "qbbridge: update complete, 1 request processed."


def test_a_connection_error_is_logged_once_on_one_bounded_line(live_server: LiveServer, wc: WebConnectorClient) -> None:
    admin = live_server.client
    tenant = new_tenant(admin)
    queue_raw(admin, tenant.id)
    ticket, _ = wc.authenticate(tenant.username, tenant.token)
    message = "QuickBooks said:\r\nsomething odd " + "x" * 5000
    assert wc.connection_error(ticket, "0x8004ABCD", message) == "done"
    lines = _lines(live_server, "connectionError:", tenant.id)
    assert len(lines) == 1, lines
    assert "could not open QuickBooks" in lines[0]
    assert len(lines[0]) < MAX_REASON + 200
    assert "x" * (MAX_REASON + 1) not in live_server.log_text()
    # A connectionError for a ticket qbbridge does not know changes and logs nothing.
    before = live_server.log_text().count("connectionError:")
    assert wc.connection_error("no-such-ticket", "0x80040408", "Could not start QuickBooks.") == "done"
    assert live_server.log_text().count("connectionError:") == before


# --- the texts themselves -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("processed", "failed", "unknown", "expected"),
    [
        (0, 0, 0, "qbbridge: update complete, 0 requests processed."),
        (1, 0, 0, "qbbridge: update complete, 1 request processed."),
        (12, 2, 0, f"qbbridge: 12 requests processed, 2 failed. {WHERE}"),
        (12, 0, 1, f"qbbridge: 12 requests processed, 1 may not have been saved. {WHERE}"),
        (0, 3, 0, f"qbbridge: 0 requests processed, 3 failed. {WHERE}"),
    ],
)
def test_closing_status(processed: int, failed: int, unknown: int, expected: str) -> None:
    assert closing_status(processed, SessionOutcomes(failed=failed, unknown=unknown)) == expected


def test_the_status_lines_fit_the_connector_even_for_the_largest_counts() -> None:
    huge = SessionOutcomes(failed=10**9, unknown=10**9)
    assert len(closing_status(10**9, huge)) < STATUS_LINE
    assert len(end_of_work_message(huge)) < STATUS_LINE


def test_one_line_flattens_and_bounds() -> None:
    assert one_line("a\nb\r\n\tc   d\x00e") == "a b c d e"
    assert one_line("") == one_line(None) == "no reason was recorded"
    long = one_line("word " * 1000)
    assert len(long) == MAX_REASON and long.endswith("…") and not re.search(r"\s…$", long)


# --- the log line is written when the change is committed ----------------------------------------


class _Abandon(Exception):
    pass


def _queued_step(database: Database) -> tuple[str, StepRef]:
    with database.transaction() as session:
        tenant = create_tenant(session, "Log lines")
        created = queue.enqueue(
            session, tenant_id=tenant.id, kind="raw_qbxml", payload={}, steps=[queue.NewStep(kind="raw_qbxml")]
        )
        step = session.execute(select(Step).where(Step.job_id == created.id)).scalar_one()
        return created.public_id, StepRef(
            id=step.id, job_id=step.job_id, position=0, kind=step.kind, intent={}, attempts=0
        )


def test_a_job_failed_in_a_transaction_that_rolls_back_is_not_logged(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="qbbridge.jobs")
    public_id, step = _queued_step(database)
    with pytest.raises(_Abandon), database.transaction() as session:
        queue.finish_step(session, step, StepState.FAILED, now=utcnow(), error="could not be written")
        raise _Abandon
    assert public_id not in caplog.text
    with database.transaction() as session:
        queue.finish_step(session, step, StepState.FAILED, now=utcnow(), error="could not\nbe written")
        assert public_id not in caplog.text  # not before the commit
    assert [r.getMessage() for r in caplog.records if public_id in r.getMessage()] == [
        f"job failed: tenant {step_tenant(database, public_id)} job {public_id} (raw_qbxml): could not be written"
    ]
    # Deriving the job again changes nothing and logs nothing more.
    with database.transaction() as session:
        queue.refresh_job(session, step.job_id, now=utcnow())
    assert caplog.text.count(public_id) == 1


def step_tenant(database: Database, public_id: str) -> str:
    with database.transaction() as session:
        return session.execute(select(Job.tenant_id).where(Job.public_id == public_id)).scalar_one()
