"""Which answers are trusted (docs/qbwc.md, "Which answers are trusted").

An answer settles only the requests handed out in its own session, matched by requestID: responses
carrying another requestID are refused (logged with the tenant and the session, never the body), and
a request left without a response of its own has an unknown outcome, looked for in QuickBooks before
anything is sent again. A token rotation ends trust in every ticket issued before it: nothing that
arrives on them settles anything or gets work."""

from __future__ import annotations

import re
import threading
import time

from lxml import etree

from db import queue
from db import tenants as tenant_repo
from db.engine import Database
from db.models import Tenant
from tests.sends.conftest import Customer, lookup_step
from tests.support.payloads import SALES_ORDER
from tests.support.webconnector import WebConnectorClient, answer_for, customer_query

REQUEST_ID = re.compile(r'requestID="([^"]+)"')
# A requestID of no request this session was handed (steps are numbered from 1; this one is far off).
OTHER_REQUEST_ID = "987654321.0"
# A name no answer of ours carries: it must never reach the log.
MARKER = "Answer body marker 7f3a"


def _raw(customer: Customer) -> str:
    response = customer.api.post(customer.url("/qbxml"), json={"qbxml": customer_query(MARKER)})
    assert response.status_code == 202, response.text
    return str(response.json()["jobId"])


def _readdressed(response: str, request_id: str, new_id: str) -> str:
    """QuickBooks' answer with the response to ``request_id`` carrying ``new_id`` instead."""
    root = etree.fromstring(response.encode())
    messages = root.find("QBXMLMsgsRs")
    assert messages is not None
    [element] = [rs for rs in messages if rs.get("requestID") == request_id]
    element.set("requestID", new_id)
    return etree.tostring(root, encoding="unicode")


def _foreign_answer(request_xml: str) -> str:
    """What QuickBooks would answer to ``request_xml``, every response carrying another requestID."""
    answer = answer_for(request_xml, message=MARKER)
    for request_id in REQUEST_ID.findall(request_xml):
        answer = answer.replace(f'requestID="{request_id}"', f'requestID="{OTHER_REQUEST_ID}"')
    return answer


def _connector(customer: Customer) -> tuple[WebConnectorClient, str]:
    connector = WebConnectorClient(customer.server.qbwc_url)
    ticket, status = connector.authenticate(customer.username, customer.token)
    assert ticket and status != "nvu", status
    return connector, ticket


def _refusals_logged(customer: Customer) -> list[str]:
    return [line for line in customer.server.log_text().splitlines() if customer.tenant_id in line]


# --- an answer settles only what its own session was handed ------------------------------------------


def test_an_answer_to_requests_this_session_was_not_given_settles_nothing(customer: Customer) -> None:
    job_id = _raw(customer)
    connector, ticket = _connector(customer)
    request = connector.send_request_xml(ticket)
    assert MARKER in request

    assert connector.receive_response_xml(ticket, _foreign_answer(request)) == -1

    error = connector.get_last_error(ticket)
    assert "did not send" in error and "ignored" in error, error
    job = customer.job(job_id)
    [step] = job["steps"]
    # Not settled from someone else's answer: its outcome is unknown, nothing of that answer is kept.
    assert job["status"] == "unknown_outcome", job
    assert step["statusCode"] is None and step["response"] is None
    assert "not given" in step["error"], step["error"]
    connector.close_connection(ticket)
    logged = _refusals_logged(customer)
    assert any("refused 1 response" in line and "session" in line for line in logged), logged
    assert MARKER not in customer.server.log_text()


def test_a_typed_request_answered_under_another_request_id_is_looked_for_before_anything_is_sent(
    customer: Customer,
) -> None:
    job_id = customer.send("/sales-orders", SALES_ORDER)["jobId"]
    connector, ticket = _connector(customer)
    request = connector.send_request_xml(ticket, hcp=customer.qb.host_response())
    [request_id] = REQUEST_ID.findall(request)
    response = customer.qb.process(request)  # QuickBooks saved the order

    assert connector.receive_response_xml(ticket, _readdressed(response, request_id, OTHER_REQUEST_ID)) == -1
    connector.close_connection(ticket)

    job = customer.job(job_id)
    assert job["status"] == "queued", job  # to be reconciled, neither failed nor succeeded
    assert "not given" in job["steps"][0]["error"]
    customer.sync_until_idle()
    job = customer.job(job_id)
    assert job["status"] == "succeeded" and "not sent again" in job["steps"][0]["result"]["note"], job
    assert len(customer.qb.company.sales_orders) == 1


def test_a_shared_answer_settles_each_step_from_its_own_response_only(customer: Customer) -> None:
    jobs = [customer.send("/sales-orders", {**SALES_ORDER, "code": f"SO-T{n}"})["jobId"] for n in range(2)]
    connector, ticket = _connector(customer)
    request = connector.send_request_xml(ticket, hcp=customer.qb.host_response())
    first_id, second_id = REQUEST_ID.findall(request)
    response = customer.qb.process(request)  # QuickBooks saved both
    # The second order's response comes back under a requestID this session was not handed.
    tampered = _readdressed(response, second_id, OTHER_REQUEST_ID)

    assert connector.receive_response_xml(ticket, tampered) == -1
    connector.close_connection(ticket)

    first, second = (customer.job(job_id) for job_id in jobs)
    assert first["status"] == "succeeded", first
    assert REQUEST_ID.findall(first["steps"][0]["response"]) == [first_id]
    assert second["status"] == "queued" and second["steps"][0]["response"] is None, second
    customer.sync_until_idle()
    assert [customer.job(job_id)["status"] for job_id in jobs] == ["succeeded", "succeeded"]
    assert len(customer.qb.company.sales_orders) == 2


def test_a_page_under_another_request_id_stores_nothing_and_is_asked_for_again(customer: Customer) -> None:
    customer.settings({"retrievals": {"salesOrder": {"enabled": True}}})
    response = customer.api.post(customer.url("/retrievals"), json={"entities": ["salesOrder"], "since": "2020-01-01"})
    assert response.status_code == 202, response.text
    job_id = response.json()["jobId"]
    connector, ticket = _connector(customer)
    # The retrieval first reads the item list, answered as it should be.
    lists = connector.send_request_xml(ticket, hcp=customer.qb.host_response())
    assert 0 <= connector.receive_response_xml(ticket, customer.qb.process(lists)) < 100
    request = connector.send_request_xml(ticket)
    [request_id] = REQUEST_ID.findall(request)
    page = customer.qb.process(request)
    assert connector.receive_response_xml(ticket, _readdressed(page, request_id, OTHER_REQUEST_ID)) == -1
    connector.close_connection(ticket)

    job = customer.job(job_id)
    _, step = job["steps"]
    assert job["status"] == "in_flight" and step["state"] == "queued", job
    assert job["result"]["entities"]["salesOrder"]["pages"] == 0
    customer.sync_until_idle()
    assert customer.job(job_id)["result"]["entities"]["salesOrder"]["pages"] == 1


def test_a_late_answer_settles_its_own_request_by_request_id_only(customer: Customer) -> None:
    jobs = [_raw(customer), _raw(customer)]
    connector, ticket = _connector(customer)
    request = connector.send_request_xml(ticket)
    connector.close_connection(ticket)  # the connector died before answering
    assert customer.job(jobs[0])["status"] == "unknown_outcome"

    # A late answer on that ticket that is not the answer to that request: refused.
    assert connector.receive_response_xml(ticket, _foreign_answer(request)) == 100
    job = customer.job(jobs[0])
    assert job["status"] == "unknown_outcome" and job["steps"][0]["statusCode"] is None, job
    assert any("ignored 1 response" in line for line in _refusals_logged(customer))

    # The real one still settles it.
    assert connector.receive_response_xml(ticket, answer_for(request)) == 100
    assert customer.job(jobs[0])["status"] == "succeeded"


def test_a_late_answer_that_settles_a_job_with_steps_to_go_puts_it_at_the_end_of_the_queue(customer: Customer) -> None:
    database = Database(customer.server.database_url)
    try:
        # A job of two lookups QuickBooks cannot be asked about afterwards (no reconciliation).
        with database.transaction() as session:
            steps = [lookup_step(name) for name in ("ACME", "Web Store")]
            slow = queue.enqueue(session, tenant_id=customer.tenant_id, kind="lookup", payload={}, steps=steps).public_id
    finally:
        database.dispose()
    connector, ticket = _connector(customer)
    request = connector.send_request_xml(ticket, hcp=customer.qb.host_response())
    connector.close_connection(ticket)
    assert customer.job(slow)["status"] == "unknown_outcome"
    earlier = customer.send("/sales-orders", SALES_ORDER)["jobId"]
    customer.sync_until_idle()
    assert customer.job(earlier)["status"] == "succeeded"  # a job that ended holds nothing back
    waiting = customer.send("/sales-orders", {**SALES_ORDER, "code": "SO-WAITING"})["jobId"]

    # QuickBooks did answer the first lookup; the answer arrives late and settles it.
    assert connector.receive_response_xml(ticket, customer.qb.process(request)) == 100
    customer.sync_until_idle()

    assert [customer.job(job_id)["status"] for job_id in (earlier, waiting, slow)] == ["succeeded"] * 3
    # QuickBooks saw: the order queued before, the late-answered lookup, then the order that was
    # waiting when the answer came, and only then the lookup's second step: the job took the end of
    # the queue, rather than its old place ahead of a job already queued.
    assert customer.arrival([earlier, waiting, slow]) == [0, 2, 1, 2]


# --- a token rotation ends trust -------------------------------------------------------------------


def _rotate(customer: Customer) -> str:
    response = customer.api.post(customer.url("/token"))
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def test_after_a_rotation_nothing_on_the_old_ticket_settles_or_gets_work(customer: Customer) -> None:
    job_id = _raw(customer)
    _raw(customer)
    connector, ticket = _connector(customer)
    request = connector.send_request_xml(ticket)
    _rotate(customer)

    # The real answer, with the right requestID: still not trusted on a ticket the rotation ended.
    assert connector.receive_response_xml(ticket, answer_for(request)) == 100
    job = customer.job(job_id)
    assert job["status"] == "unknown_outcome" and job["steps"][0]["statusCode"] is None, job
    assert connector.send_request_xml(ticket) == ""
    assert "new token" in connector.get_last_error(ticket)
    assert any("token was replaced" in line for line in _refusals_logged(customer))


def test_what_a_rotation_ended_in_flight_is_reconciled_not_settled_by_the_old_ticket(customer: Customer) -> None:
    job_id = customer.send("/sales-orders", SALES_ORDER)["jobId"]
    connector, ticket = _connector(customer)
    request = connector.send_request_xml(ticket, hcp=customer.qb.host_response())
    response = customer.qb.process(request)  # QuickBooks saved it
    customer.token = _rotate(customer)

    connector.receive_response_xml(ticket, response)
    job = customer.job(job_id)
    assert job["status"] == "queued", job  # waiting to be looked for in QuickBooks
    assert job["steps"][0]["statusCode"] is None
    customer.sync_until_idle()
    job = customer.job(job_id)
    assert job["status"] == "succeeded" and "not sent again" in job["steps"][0]["result"]["note"], job
    assert len(customer.qb.company.sales_orders) == 1


def test_a_session_that_ended_before_a_rotation_is_not_trusted_after_it(customer: Customer) -> None:
    job_id = _raw(customer)
    connector, ticket = _connector(customer)
    request = connector.send_request_xml(ticket)
    connector.close_connection(ticket)
    assert customer.job(job_id)["status"] == "unknown_outcome"
    _rotate(customer)
    assert connector.receive_response_xml(ticket, answer_for(request)) == 100
    assert customer.job(job_id)["status"] == "unknown_outcome"


def test_a_login_racing_a_rotation_never_opens_a_session_on_the_old_token(customer: Customer) -> None:
    _raw(customer)
    old_token = customer.token
    database = Database(customer.server.database_url)
    answers: list[list[str]] = []
    try:
        with database.transaction() as session:
            tenant = session.get(Tenant, customer.tenant_id)
            assert tenant is not None
            tenant_repo.issue_token(session, tenant)
            session.flush()
            # The rotation is written, not yet committed: a login with the old token now must wait
            # for it, then be refused (not slip a session past it).
            login = threading.Thread(
                target=lambda: answers.append(
                    WebConnectorClient(customer.server.qbwc_url).authenticate(customer.username, old_token)
                )
            )
            login.start()
            time.sleep(1.0)
            assert login.is_alive(), f"the login did not wait for the rotation: {answers}"
        login.join(timeout=30)
    finally:
        database.dispose()
    assert answers == [["", "nvu"]]


def test_an_answer_when_nothing_was_handed_out_is_refused_and_logged(customer: Customer) -> None:
    _raw(customer)
    connector, ticket = _connector(customer)
    assert connector.receive_response_xml(ticket, answer_for(customer_query(MARKER))) == -1
    assert "not waiting for" in connector.get_last_error(ticket)
    connector.close_connection(ticket)
    assert any("had no request out" in line for line in _refusals_logged(customer))
    assert MARKER not in customer.server.log_text()
