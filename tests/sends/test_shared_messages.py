"""Several sends in one message set: waiting typed requests of different jobs travel to QuickBooks
together (``QBBRIDGE_REQUESTS_PER_MESSAGE``, 10 by default), with ``onError="continueOnError"``, and
each step is still settled, stored and shown on its own. Whatever goes wrong with a shared message set
(a refused request, a message set refused as a whole, a lost answer, an answer missing a response)
leaves every document in QuickBooks exactly once."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from db import queue
from db.engine import Database
from simulator.faults import Faults
from tests.sends.conftest import INVENTORY, Customer, lookup_step, new_company
from tests.support.payloads import PURCHASE_ORDER, SALES_ORDER
from tests.support.servers import LiveServer, start_server
from tests.support.webconnector import WebConnectorClient, customer_query

REQUEST_ID = re.compile(r'requestID="([^"]+)"')


def _queue_sales_orders(customer: Customer, prefix: str, count: int) -> list[str]:
    return [customer.send("/sales-orders", {**SALES_ORDER, "code": f"{prefix}-{n}"})["jobId"] for n in range(count)]


def _sales_order_refs(customer: Customer) -> list[str]:
    return sorted(order["TxnID"] for order in customer.qb.company.sales_orders)


def test_waiting_sends_travel_together_and_each_step_keeps_its_own_request(customer: Customer) -> None:
    jobs = _queue_sales_orders(customer, "SO-T", 12)
    result = customer.sync()
    assert result.ok, result.last_error
    # 12 waiting sales orders at 10 per message set: two message sets, not twelve.
    assert result.requests_sent == 2
    assert result.progress == [83, 100]  # 10 of the 12 planned requests answered, then all
    assert len(customer.qb.company.sales_orders) == 12
    txn_ids = []
    for job_id in jobs:
        job = customer.job(job_id)
        assert job["status"] == "succeeded", job
        [step] = job["steps"]
        # The step's own request and its own answer, as if it had been sent alone.
        assert step["request"].count("<SalesOrderAddRq ") == 1, step["request"]
        assert 'onError="continueOnError"' in step["request"]
        [request_id] = REQUEST_ID.findall(step["request"])
        assert REQUEST_ID.findall(step["response"]) == [request_id], step["response"]
        assert step["attempts"] == 1
        txn_ids.append(job["result"]["quickbooks"]["txnId"])
    assert sorted(txn_ids) == _sales_order_refs(customer)


def test_a_request_quickbooks_refuses_does_not_stop_the_others(customer: Customer) -> None:
    first = customer.send("/sales-orders", {**SALES_ORDER, "code": "SO-R1"})["jobId"]
    unknown_customer = {**SALES_ORDER, "code": "SO-R2", "client": {"code": "NOBODY", "name": "Nobody"}}
    refused = customer.send("/sales-orders", unknown_customer)["jobId"]
    third = customer.send("/sales-orders", {**SALES_ORDER, "code": "SO-R3"})["jobId"]
    result = customer.sync()
    assert result.ok, result.last_error
    assert result.requests_sent == 1
    assert customer.job(first)["status"] == "succeeded"
    assert customer.job(third)["status"] == "succeeded"
    failed = customer.job(refused)
    assert failed["status"] == "failed", failed
    [step] = failed["steps"]
    assert step["statusSeverity"] == "Error"
    assert "NOBODY" in step["response"] and "SO-R1" not in step["response"]
    assert step["error"] and step["error"] == failed["error"]
    assert len(customer.qb.company.sales_orders) == 2


def test_a_message_set_refused_as_a_whole_is_reconciled_then_sent_one_request_at_a_time(customer: Customer) -> None:
    jobs = _queue_sales_orders(customer, "SO-P", 3)
    result = customer.sync(faults=Faults(parse_error=1))
    assert result.ok, result.last_error
    # The refused message set; then, for each of its requests on its own, the question whether
    # QuickBooks saved it (it had not) and the request again.
    assert result.requests_sent == 1 + 3 + 3
    for job_id in jobs:
        job = customer.job(job_id)
        assert job["status"] == "succeeded", job
        [step] = job["steps"]
        assert step["attempts"] == 3
        assert step["request"].count("<SalesOrderAddRq ") == 1
        assert 'onError="stopOnError"' in step["request"], "a step tried before is sent alone"
        assert step["hresult"] is None and step["error"] is None
    assert len(customer.qb.company.sales_orders) == 3


def test_a_lost_answer_to_a_shared_message_set_never_duplicates(customer: Customer) -> None:
    jobs = _queue_sales_orders(customer, "SO-L", 4)
    dropped = customer.sync(faults=Faults(drop_response=1))
    assert not dropped.ok, "the connector dies after QuickBooks saved the whole message set"
    assert len(customer.qb.company.sales_orders) == 4
    time.sleep(1.1)  # the dead session goes silent; the next authenticate supersedes it
    recovery = customer.sync()
    assert recovery.ok, recovery.last_error
    # Each step asks QuickBooks on its own whether it was saved, and nothing is sent again.
    assert recovery.requests_sent == 4
    assert len(customer.qb.company.sales_orders) == 4
    found = []
    for job_id in jobs:
        job = customer.job(job_id)
        assert job["status"] == "succeeded", job
        assert "not sent again" in job["steps"][0]["result"]["note"]
        found.append(job["result"]["quickbooks"]["txnId"])
    assert sorted(found) == _sales_order_refs(customer)


def _without_response_to(response: str, request_id: str) -> str:
    root = etree.fromstring(response.encode())
    messages = root.find("QBXMLMsgsRs")
    assert messages is not None
    [answer] = [rs for rs in messages if rs.get("requestID") == request_id]
    messages.remove(answer)
    return etree.tostring(root, encoding="unicode")


def test_an_answer_missing_one_response_reconciles_that_request_alone(customer: Customer) -> None:
    jobs = _queue_sales_orders(customer, "SO-M", 3)
    connector = WebConnectorClient(customer.server.qbwc_url)
    ticket, _ = connector.authenticate(customer.username, customer.token)
    request = connector.send_request_xml(ticket, hcp=customer.qb.host_response())
    request_ids = REQUEST_ID.findall(request)
    assert len(request_ids) == 3
    response = customer.qb.process(request)  # QuickBooks saves all three
    assert connector.receive_response_xml(ticket, _without_response_to(response, request_ids[1])) < 100
    middle = customer.job(jobs[1])
    assert middle["status"] == "queued", middle  # waiting to be reconciled
    assert "has no response to it" in middle["steps"][0]["error"]
    assert [customer.job(jobs[i])["status"] for i in (0, 2)] == ["succeeded", "succeeded"]
    # The same session goes on: the middle step asks QuickBooks before anything is sent again.
    reconcile = connector.send_request_xml(ticket)
    assert "<SalesOrderQueryRq " in reconcile and len(REQUEST_ID.findall(reconcile)) == 1, reconcile
    assert connector.receive_response_xml(ticket, customer.qb.process(reconcile)) == 100
    connector.close_connection(ticket)
    assert customer.job(jobs[1])["status"] == "succeeded"
    assert len(customer.qb.company.sales_orders) == 3


def test_raw_qbxml_and_retried_steps_go_alone(customer: Customer) -> None:
    raw = customer.api.post(customer.url("/qbxml"), json={"qbxml": customer_query("ACME")})
    assert raw.status_code == 202, raw.text
    jobs = _queue_sales_orders(customer, "SO-X", 2)
    result = customer.sync()
    assert result.ok, result.last_error
    # The raw message set exactly as given, then the two sales orders together.
    assert result.requests_sent == 2
    assert customer.job(raw.json()["jobId"])["status"] == "succeeded"
    assert all(customer.job(job_id)["status"] == "succeeded" for job_id in jobs)


@pytest.fixture(scope="module")
def one_per_message_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(
        database_url,
        tmp_path_factory.mktemp("alone"),
        extra_env={"QBBRIDGE_REQUESTS_PER_MESSAGE": "1"},
    )
    yield server
    server.stop()


def test_one_request_per_message_set_when_the_service_is_set_so(one_per_message_server: LiveServer) -> None:
    api = one_per_message_server.client
    tenant = api.post("/api/v1/tenants", json={"name": f"Alone {uuid.uuid4().hex[:6]}"}).json()
    token = api.post(f"/api/v1/tenants/{tenant['id']}/token").json()["token"]
    customer = Customer(one_per_message_server, tenant["id"], tenant["qbwcUsername"], token, new_company())
    jobs = _queue_sales_orders(customer, "SO-A", 3)
    result = customer.sync()
    assert result.ok, result.last_error
    assert result.requests_sent == 3
    for job_id in jobs:
        job = customer.job(job_id)
        assert job["status"] == "succeeded"
        assert 'onError="stopOnError"' in job["steps"][0]["request"]


@pytest.mark.parametrize("value", ["0", "101", "ten"])
def test_a_bad_requests_per_message_setting_stops_the_service_with_a_clear_message(
    value: str, tmp_path: Path, database_url: str
) -> None:
    with pytest.raises(RuntimeError) as raised:
        start_server(database_url, tmp_path, extra_env={"QBBRIDGE_REQUESTS_PER_MESSAGE": value})
    assert f"QBBRIDGE_REQUESTS_PER_MESSAGE='{value}'" in str(raised.value)
    assert "between 1 and 100" in str(raised.value)


def test_quickbooks_unusable_for_a_shared_message_set_ends_the_session_and_loses_nothing(customer: Customer) -> None:
    jobs = _queue_sales_orders(customer, "SO-F", 3)
    connector = WebConnectorClient(customer.server.qbwc_url)
    ticket, _ = connector.authenticate(customer.username, customer.token)
    request = connector.send_request_xml(ticket, hcp=customer.qb.host_response())
    assert len(REQUEST_ID.findall(request)) == 3
    # QuickBooks could not be used at all (the company file closed): nothing in the message set ran.
    assert connector.receive_response_xml(ticket, "", "0x80040408", "Could not start QuickBooks.") == -1
    assert "QuickBooks" in connector.get_last_error(ticket)
    connector.close_connection(ticket)
    for job_id in jobs:
        job = customer.job(job_id)
        assert job["status"] == "queued", job
        assert "ask QuickBooks whether it was saved" in job["steps"][0]["error"]
    customer.sync_until_idle()
    assert all(customer.job(job_id)["status"] == "succeeded" for job_id in jobs)
    assert len(customer.qb.company.sales_orders) == 3
    assert customer.sessions[-2].requests_sent == 6  # each alone: asked about, then sent


def test_a_late_answer_settles_each_step_of_a_shared_message_set_from_its_own_part(customer: Customer) -> None:
    """Steps that QuickBooks cannot be asked about (no reconciliation) wait for a person when their
    answer is lost; an answer that still arrives after the session ended settles each of them."""
    database = Database(customer.server.database_url)
    try:
        with database.transaction() as session:
            jobs = [
                queue.enqueue(
                    session,
                    tenant_id=customer.tenant_id,
                    kind="lookup",
                    payload={},
                    steps=[lookup_step(name)],
                ).public_id
                for name in ("ACME", "Web Store")
            ]
    finally:
        database.dispose()
    connector = WebConnectorClient(customer.server.qbwc_url)
    ticket, _ = connector.authenticate(customer.username, customer.token)
    request = connector.send_request_xml(ticket, hcp=customer.qb.host_response())
    assert len(REQUEST_ID.findall(request)) == 2
    connector.close_connection(ticket)
    assert [customer.job(job_id)["status"] for job_id in jobs] == ["unknown_outcome", "unknown_outcome"]
    assert connector.receive_response_xml(ticket, customer.qb.process(request)) == 100
    for job_id, name in zip(jobs, ("ACME", "Web Store"), strict=True):
        job = customer.job(job_id)
        assert job["status"] == "succeeded", job
        [step] = job["steps"]
        [request_id] = REQUEST_ID.findall(step["request"])
        assert REQUEST_ID.findall(step["response"]) == [request_id]
        assert f"<Name>{name}</Name>" in step["response"]


def test_a_request_that_must_go_alone_ends_the_run_so_jobs_keep_their_order(customer: Customer) -> None:
    first = _queue_sales_orders(customer, "SO-O", 2)
    raw = customer.api.post(customer.url("/qbxml"), json={"qbxml": customer_query("ACME")}).json()["jobId"]
    last = _queue_sales_orders(customer, "SO-Z", 2)
    result = customer.sync()
    assert result.ok, result.last_error
    # The two sales orders queued before the raw request, the raw request, then the two after it.
    assert result.requests_sent == 3
    claimed = {job_id: customer.job(job_id)["steps"][0]["claimedAt"] for job_id in [*first, raw, *last]}
    assert claimed[first[0]] == claimed[first[1]] < claimed[raw] < claimed[last[0]] == claimed[last[1]]


def test_every_flow_sharing_message_sets_survives_lost_answers_without_a_duplicate(customer: Customer) -> None:
    customer.settings(
        {
            "entityCodeCustomField": "Fusion Code",
            "customFieldsToQuickbooks": [{"quickbooks": "Customer PO", "fusion": "Customer PO"}],
            "createMissingItems": {"enabled": True, "incomeAccountFullName": "Sales"},
            "timesheets": {"createMissingEmployee": True, "createMissingCustomerJob": True},
            "inventory": {"adjustmentAccount": "Inventory Adjustments"},
        }
    )
    company = customer.qb.company
    items_before, employees_before = len(company.items), len(company.employees)
    jobs = _queue_sales_orders(customer, "SO-E", 3)
    for n in range(3):
        rows = [{"product": {"code": f"NEW-E{n}", "name": "New"}, "quantity": 3, "unitPrice": 2}]
        jobs.append(customer.send("/purchase-orders", {**PURCHASE_ORDER, "code": f"PO-E{n}", "rows": rows})["jobId"])
    for n in range(2):
        record = {
            "worker": {"number": f"9{n}", "name": f"Worker{n} Shared"},
            "operation": {"name": "Welding"},
            "section": {"name": "Fabrication"},
            "startTime": "2026-11-25T08:00:00Z",
            "duration": 60,
        }
        payload = {"code": f"MO-E{n}", "description": "Shared", "client": {"code": "ACME"}, "timeRecords": [record, record]}
        jobs.append(customer.send("/production-orders", payload)["jobId"])
    jobs.append(customer.send("/inventory", {"products": [{**INVENTORY["products"][0], "quantity": 11}]})["jobId"])
    # The connector dies after QuickBooks saved the first, then the second, then the third message set
    # of a session. A job's last step takes the next job's first along in its message set, so from
    # the second message set on, the lost answers are to message sets of two jobs.
    for drop in (1, 2, 3):
        customer.sync(faults=Faults(drop_response=drop))
        if drop == 1:
            # The first job's first request went alone: the jobs behind it wait for the last of its steps.
            assert len(company.sales_orders) == 1 and company.inventory_adjustments == []
        time.sleep(1.1)  # the dead session goes silent; the next authenticate supersedes it
    customer.sync_until_idle()
    assert [customer.job(job_id)["status"] for job_id in jobs] == ["succeeded"] * len(jobs)
    arrival = customer.arrival(jobs, first_only=True)  # each step where it first reached QuickBooks
    assert arrival == sorted(arrival), arrival
    shared = {step["claimedAt"] for job_id in jobs for step in customer.job(job_id)["steps"]}
    assert len(shared) < sum(len(customer.job(job_id)["steps"]) for job_id in jobs), "some shared a message set"
    assert len(company.sales_orders) == 3 and len(company.purchase_orders) == 3
    assert len(company.items) == items_before + 3
    assert len(company.time_tracking) == 4 and len(company.employees) == employees_before + 2
    assert len(company.inventory_adjustments) == 1 and company.quantity_on_hand("WIDGET-1") == 11
    codes = []
    for order in company.sales_orders:
        values = {d["DataExtName"]: d["DataExtValue"] for d in order.get("DataExtRet", [])}
        assert values["Customer PO"] == "PO-77"
        codes.append(values["Fusion Code"])
    assert sorted(codes) == ["SO-E-0", "SO-E-1", "SO-E-2"]


def test_an_error_for_a_message_set_quickbooks_had_partly_saved_leaves_no_duplicate(customer: Customer) -> None:
    jobs = _queue_sales_orders(customer, "SO-H", 3)
    connector = WebConnectorClient(customer.server.qbwc_url)
    ticket, _ = connector.authenticate(customer.username, customer.token)
    request = connector.send_request_xml(ticket, hcp=customer.qb.host_response())
    customer.qb.process(request)  # QuickBooks saved all three, then the connection to it failed
    connector.receive_response_xml(ticket, "", "0x8004040A", "The connection to QuickBooks was lost.")
    connector.close_connection(ticket)
    customer.sync_until_idle()
    assert [customer.job(job_id)["status"] for job_id in jobs] == ["succeeded"] * 3
    assert len(customer.qb.company.sales_orders) == 3
    for job_id in jobs:
        assert "not sent again" in customer.job(job_id)["steps"][0]["result"]["note"]
