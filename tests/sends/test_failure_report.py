"""Send flows that fail, as the bookkeeper (the Web Connector's status line) and the operator (the
server's log) see them: a job QuickBooks refuses, the job that waited for it, and a request qbbridge
refuses to write for this company."""

from __future__ import annotations

from db.outcome_log import one_line
from tests.sends.conftest import Customer, new_company
from tests.support.payloads import PURCHASE_ORDER, RECEIVING, SALES_ORDER

WHERE = "Your Fusion Operations admin can see why in the qbbridge job list."


def _lines(customer: Customer, *needles: str) -> list[str]:
    log = customer.server.log_text()
    return [line for line in log.splitlines() if all(needle in line for needle in needles)]


def test_a_refused_order_and_the_receiving_waiting_for_it_are_each_logged_once(customer: Customer) -> None:
    order = {**PURCHASE_ORDER, "code": "PO-LOG", "rows": [{"product": {"code": "LOST-9", "name": "Lost"}, "quantity": 2, "unitPrice": 1}]}
    order_job = customer.send("/purchase-orders", order)["jobId"]
    receiving = {**RECEIVING, "code": "RCV-LOG", "purchaseOrder": {"code": "PO-LOG"}, "rows": [{"product": {"code": "LOST-9"}, "quantity": 2}]}
    receiving_job = customer.send("/receivings", receiving)["jobId"]

    session = customer.sync()

    # The purchase order's requests were this session's; the receiving was never sent.
    assert session.close_message.startswith("qbbridge: ") and ", 1 failed. " in session.close_message, session
    assert session.close_message.endswith(WHERE) and len(session.close_message) < 200
    for job_id, kind in ((order_job, "purchaseOrder"), (receiving_job, "receiving")):
        found = customer.job(job_id)
        assert found["status"] == "failed", found
        lines = _lines(customer, "job failed:", f"job {job_id} (")
        assert len(lines) == 1, lines
        assert lines[0].endswith(f"tenant {customer.tenant_id} job {job_id} ({kind}): {one_line(found['error'])}")
    assert order_job in _lines(customer, f"job {receiving_job} (")[0]  # why it was not sent


def test_a_request_refused_for_a_company_outside_the_us_is_reported_by_get_last_error(customer: Customer) -> None:
    customer.qb = new_company(country="CA")
    job_id = customer.send("/sales-orders", {**SALES_ORDER, "code": "SO-CA-LOG"})["jobId"]  # country not known yet

    session = customer.sync()

    # Nothing could be sent: sendRequestXML returned "" and getLastError said why the update ends.
    assert session.last_error == f"qbbridge has nothing more to send. Of this update's requests, 1 failed. {WHERE}"
    assert session.close_message == f"qbbridge: 0 requests processed, 1 failed. {WHERE}"
    found = customer.job(job_id)
    assert found["status"] == "failed" and "(CA)" in found["error"], found
    lines = _lines(customer, "job failed:", job_id)
    assert len(lines) == 1 and lines[0].endswith(f"(salesOrder): {one_line(found['error'])}"), lines
