"""Never a duplicate, on every QuickBooks version qbbridge speaks to. For every flow, the Web Connector
dies after QuickBooks saved each request in turn (its answer is lost), and the next sessions look for
it before anything is sent again: the company ends with exactly one of each document, or the job
waits in ``unknown_outcome`` for a person, without a second document.

Two bands: below qbXML 9.0 there is no ExternalGUID (the oldest version, 6.0, stands for 6.0–8.0);
from 9.0 on every document carries one (test_never_duplicate.py runs the same at 13.0)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from simulator.faults import Faults
from tests.sends.conftest import INVENTORY, Customer, new_company, new_customer
from tests.simulator.conftest import message_set, rs_list
from tests.support.payloads import PURCHASE_ORDER, SALES_ORDER, SHIPPING, timesheet_for_worker
from tests.support.servers import LiveServer
from tests.support.shared import require_schema_dir

NO_GUID, WITH_GUID = "6.0", "9.0"
CUSTOM_FIELDS = {
    "entityCodeCustomField": "Fusion Code",
    "customFieldsToQuickbooks": [{"quickbooks": "Customer PO", "fusion": "Customer PO"}],
}

@pytest.fixture(autouse=True)
def _schema_validated_simulator() -> None:
    """These tests need the simulator to check each request against Intuit's schema and version
    notes: without them they skip (and fail where the shared files are required)."""
    require_schema_dir()


def _at(live_server: LiveServer, version: str) -> Customer:
    return new_customer(live_server, new_company(max_version=version))


def _lose_answer(customer: Customer, path: str, payload: dict[str, Any], drop: int) -> dict[str, Any]:
    """Send, let the connector die after QuickBooks saved request ``drop``, then sync until idle."""
    job_id = customer.send(path, payload)["jobId"]
    dropped = customer.sync(faults=Faults(drop_response=drop))
    assert not dropped.ok and dropped.requests_processed == drop, (
        "QuickBooks saved it, then the answer was lost"
    )
    time.sleep(1.1)  # the dead session goes silent; the next authenticate supersedes it
    customer.sync_until_idle()
    return customer.job(job_id)


def _grew(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {kind: after[kind] - before[kind] for kind in before if after[kind] != before[kind]}


def _waits_for_a_person(job: dict[str, Any], *words: str) -> None:
    assert job["status"] == "unknown_outcome", job
    assert "Look in QuickBooks for" in job["error"] and "retry the job" in job["error"], job["error"]
    for word in words:
        assert word in job["error"], job["error"]


@pytest.mark.parametrize("version", [NO_GUID, WITH_GUID])
@pytest.mark.parametrize("numbering", ["quickbooks", "orderCode"])
def test_sales_orders(live_server: LiveServer, version: str, numbering: str) -> None:
    customer = _at(live_server, version)
    customer.settings({**CUSTOM_FIELDS, "documentNumber": numbering})
    for drop in (1, 2, 3):  # the order, then its two custom fields
        code = f"SO-{numbering[:2]}{drop}"
        before = customer.counts()
        job = _lose_answer(customer, "/sales-orders", {**SALES_ORDER, "code": code}, drop)
        assert job["status"] == "succeeded", (drop, job)
        assert _grew(before, customer.counts()) == {"salesOrders": 1}, drop
        order = next(
            o for o in customer.qb.company.sales_orders if o["TxnID"] == job["result"]["quickbooks"]["txnId"]
        )
        assert {d["DataExtName"]: d["DataExtValue"] for d in order["DataExtRet"]} == {
            "Fusion Code": code,
            "Customer PO": "PO-77",
        }
        if drop == 1:
            found_by = job["steps"][0]["result"]["foundBy"]
            expected = (
                "externalGuid"
                if version == WITH_GUID
                else {"quickbooks": "marker", "orderCode": "refNumber"}[numbering]
            )
            assert found_by == expected


@pytest.mark.parametrize("version", [NO_GUID, WITH_GUID])
@pytest.mark.parametrize("numbering", ["quickbooks", "orderCode"])
def test_purchase_orders_with_created_items(live_server: LiveServer, version: str, numbering: str) -> None:
    customer = _at(live_server, version)
    customer.settings(
        {
            "createMissingItems": {"enabled": True, "incomeAccountFullName": "Sales"},
            **CUSTOM_FIELDS,
            "documentNumber": numbering,
        }
    )
    for drop in (1, 2, 3):  # the missing item, the order, its custom field
        item = f"NEW-{numbering[:2]}{drop}"
        payload = {
            **PURCHASE_ORDER,
            "code": f"PO-{numbering[:2]}{drop}",
            "rows": [{"product": {"code": item, "name": "New"}, "quantity": 3, "unitPrice": 2}],
        }
        before = customer.counts()
        job = _lose_answer(customer, "/purchase-orders", payload, drop)
        assert job["status"] == "succeeded", (drop, job)
        assert _grew(before, customer.counts()) == {"purchaseOrders": 1, "items": 1}, drop


@pytest.mark.parametrize("version", [NO_GUID, WITH_GUID])
@pytest.mark.parametrize("numbering", ["quickbooks", "orderCode"])
def test_bills_and_invoices(live_server: LiveServer, version: str, numbering: str) -> None:
    customer = _at(live_server, version)
    customer.settings({"entityCodeCustomField": "Fusion Code", "documentNumber": numbering})
    for drop in (1, 2):  # the document, then its custom field
        so, po = f"SO-B{numbering[:2]}{drop}", f"PO-B{numbering[:2]}{drop}"
        customer.send("/sales-orders", {**SALES_ORDER, "code": so})
        customer.send("/purchase-orders", {**PURCHASE_ORDER, "code": po})
        customer.sync_until_idle()
        before = customer.counts()
        invoice = _lose_answer(
            customer,
            "/shippings",
            {**SHIPPING, "code": f"SH-{numbering[:2]}{drop}", "salesOrder": {"code": so}},
            drop,
        )
        receiving = {
            "code": f"RC-{numbering[:2]}{drop}",
            "purchaseOrder": {"code": po},
            "date": "2026-12-02",
            "rows": [{"product": {"code": "BAR-10"}, "quantity": 40}],
        }
        bill = _lose_answer(customer, "/receivings", receiving, drop)
        assert invoice["status"] == "succeeded" and bill["status"] == "succeeded", (drop, invoice, bill)
        assert _grew(before, customer.counts()) == {"invoices": 1, "bills": 1}, drop
        if drop == 1:
            expected = (
                "externalGuid"
                if version == WITH_GUID
                else {"quickbooks": "linkedToOrder", "orderCode": "refNumber"}[numbering]
            )
            assert (
                invoice["steps"][0]["result"]["foundBy"] == bill["steps"][0]["result"]["foundBy"] == expected
            )


@pytest.mark.parametrize("version", [NO_GUID, WITH_GUID])
def test_timesheets(live_server: LiveServer, version: str) -> None:
    customer = _at(live_server, version)
    customer.settings({"timesheets": {"createMissingEmployee": True, "createMissingCustomerJob": True}})
    for drop in (1, 2, 3, 4):  # the employee, the customer job, then two time entries
        before = customer.counts()
        job = _lose_answer(customer, "/production-orders", timesheet_for_worker(drop), drop)
        grew = _grew(before, customer.counts())
        if version == NO_GUID and drop >= 3:
            # A time entry has no number, no field of ours and no order: nothing finds it for certain.
            _waits_for_a_person(job, f"Worker{drop} Test", f"2026-11-2{drop}", "1 h 30 min")
            assert grew == {"timeTracking": drop - 2, "employees": 1, "customers": 1}, (drop, grew)
        else:
            assert job["status"] == "succeeded", (drop, job)
            assert grew == {"timeTracking": 2, "employees": 1, "customers": 1}, (drop, grew)


@pytest.mark.parametrize("version", [NO_GUID, WITH_GUID])
def test_inventory_adjustments(live_server: LiveServer, version: str) -> None:
    customer = _at(live_server, version)
    customer.settings({"inventory": {"adjustmentAccount": "Inventory Adjustments"}})
    before = customer.counts()
    # The answer to the adjustment is lost (the item lookup before it is answered).
    job = _lose_answer(customer, "/inventory", {"products": [{**INVENTORY["products"][0], "quantity": 7}]}, 2)
    assert _grew(before, customer.counts()) == {"inventoryAdjustments": 1}
    assert customer.qb.company.quantity_on_hand("WIDGET-1") == 7
    if version == WITH_GUID:
        assert job["status"] == "succeeded", job
        return
    _waits_for_a_person(job, "an inventory adjustment", "WIDGET-1 to 7")
    # The person finds it missing (here: QuickBooks lost it after all) and retries: sent as it is.
    customer.qb.company.inventory_adjustments.clear()
    retried = customer.api.post(f"/api/v1/jobs/{job['id']}/retry")
    assert retried.status_code == 200, retried.text
    customer.sync_until_idle()
    assert customer.job(job["id"])["status"] == "succeeded"
    assert len(customer.qb.company.inventory_adjustments) == 1


@pytest.mark.parametrize("version", [NO_GUID, WITH_GUID])
def test_raw_qbxml_is_never_sent_twice(live_server: LiveServer, version: str) -> None:
    customer = _at(live_server, version)
    raw = message_set(
        "<CustomerAddRq><CustomerAdd><Name>Raw Co</Name></CustomerAdd></CustomerAddRq>", version=version
    )
    job_id = customer.api.post(customer.url("/qbxml"), json={"qbxml": raw}).json()["jobId"]
    before = customer.counts()
    assert not customer.sync(faults=Faults(drop_response=1)).ok
    time.sleep(1.1)
    customer.sync_until_idle()
    assert customer.job(job_id)["status"] == "unknown_outcome"
    assert _grew(before, customer.counts()) == {"customers": 1}


def _order_answer_lost_then_reopened(
    live_server: LiveServer, sent_by: str, reopened_by: str
) -> tuple[Customer, dict[str, Any]]:
    """The sales order sent to a company of QuickBooks at qbXML ``sent_by``, its answer lost, the company
    then opened by one at ``reopened_by`` and synced until idle: the customer and the job."""
    customer = _at(live_server, sent_by)
    job_id = customer.send("/sales-orders", SALES_ORDER)["jobId"]
    assert not customer.sync(faults=Faults(drop_response=1)).ok
    customer.reopen(reopened_by)
    time.sleep(1.1)
    customer.sync_until_idle()
    return customer, customer.job(job_id)


def test_an_order_sent_before_quickbooks_was_updated_is_found_the_way_it_was_sent(
    live_server: LiveServer,
) -> None:
    """Sent by QuickBooks 2009 (no ExternalGUID), its answer lost, QuickBooks updated to 2014 before the
    next session: the order is looked for by the reference it was sent with, not by a GUID it lacks."""
    customer, job = _order_answer_lost_then_reopened(live_server, "8.0", "13.0")
    assert job["status"] == "succeeded", job
    assert job["steps"][0]["result"]["foundBy"] == "marker"
    assert len(customer.qb.company.sales_orders) == 1


def test_an_order_sent_with_a_guid_is_not_guessed_at_by_an_older_quickbooks(live_server: LiveServer) -> None:
    """Sent with an ExternalGUID (qbXML 9.0), then the company is opened by a QuickBooks that cannot search
    for it: the step waits for a person rather than being sent again."""
    customer, job = _order_answer_lost_then_reopened(live_server, "9.0", "8.0")
    _waits_for_a_person(job, "ExternalGUID")
    assert len(customer.qb.company.sales_orders) == 1


def test_two_orders_carrying_our_reference_wait_for_a_person(live_server: LiveServer) -> None:
    """A copy of the order made in QuickBooks carries our reference too: qbbridge does not guess which is
    its own; once the copy is deleted, a retry links the one left."""
    customer = _at(live_server, NO_GUID)
    job_id = customer.send("/sales-orders", SALES_ORDER)["jobId"]
    assert not customer.sync(faults=Faults(drop_response=1)).ok
    [saved] = customer.qb.company.sales_orders
    copy = (
        f"<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>ACME</FullName></CustomerRef><Other>{saved['Other']}</Other>"
        "<SalesOrderLineAdd><ItemRef><FullName>WIDGET-1</FullName></ItemRef><Quantity>5</Quantity></SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>"
    )
    [added] = rs_list(customer.qb.process(message_set(copy, version=NO_GUID)))
    copy_id = added.find("SalesOrderRet/TxnID").text
    time.sleep(1.1)
    customer.sync_until_idle()
    job = customer.job(job_id)
    assert job["status"] == "unknown_outcome" and "2 records that could be it" in job["error"], job
    assert len(customer.qb.company.sales_orders) == 2
    deleted = customer.qb.process(
        message_set(
            f"<TxnDelRq><TxnDelType>SalesOrder</TxnDelType><TxnID>{copy_id}</TxnID></TxnDelRq>",
            version=NO_GUID,
        )
    )
    assert 'statusCode="0"' in deleted
    assert customer.api.post(f"/api/v1/jobs/{job_id}/retry").status_code == 200
    customer.sync_until_idle()
    job = customer.job(job_id)
    assert job["status"] == "succeeded", job
    assert job["result"]["quickbooks"]["txnId"] == saved["TxnID"]
    assert len(customer.qb.company.sales_orders) == 1


def test_shared_message_sets_without_external_guid(live_server: LiveServer) -> None:
    """Requests of several jobs travel together; the connector dies after QuickBooks saved the first,
    second and third message set. Each request is then looked for the way its version allows."""
    customer = _at(live_server, NO_GUID)
    customer.settings(
        {
            "entityCodeCustomField": "Fusion Code",
            "createMissingItems": {"enabled": True, "incomeAccountFullName": "Sales"},
            "timesheets": {"createMissingEmployee": True, "createMissingCustomerJob": True},
            "inventory": {"adjustmentAccount": "Inventory Adjustments"},
        }
    )
    company = customer.qb.company
    before = customer.counts()
    # Queued first: its item lookup goes alone, then its adjustment (its last step) with the first
    # order (jobs keep their order: a job's step joins a message set after the last step before it).
    inventory = customer.send("/inventory", {"products": [{**INVENTORY["products"][0], "quantity": 11}]})[
        "jobId"
    ]
    orders = [customer.send("/sales-orders", {**SALES_ORDER, "code": f"SO-S{n}"})["jobId"] for n in range(3)]
    for n in range(3):
        rows = [{"product": {"code": f"NEW-S{n}", "name": "New"}, "quantity": 3, "unitPrice": 2}]
        orders.append(
            customer.send("/purchase-orders", {**PURCHASE_ORDER, "code": f"PO-S{n}", "rows": rows})["jobId"]
        )
    record = {
        "operation": {"name": "Welding"},
        "section": {"name": "Fabrication"},
        "startTime": "2026-11-25T08:00:00Z",
        "duration": 60,
    }
    timesheets = [
        customer.send(
            "/production-orders",
            {
                "code": f"MO-S{n}",
                "description": "Shared",
                "client": {"code": "ACME"},
                "timeRecords": [{**record, "worker": {"number": f"8{n}", "name": f"Worker{n} Shared"}}] * 2,
            },
        )["jobId"]
        for n in range(2)
    ]
    for drop in (1, 2, 3):
        customer.sync(faults=Faults(drop_response=drop))
        time.sleep(1.1)
    customer.sync_until_idle()
    assert [customer.job(job_id)["status"] for job_id in orders] == ["succeeded"] * 6
    # A lost message set carried the adjustment: nothing finds it for certain below 9.0, so it waits.
    _waits_for_a_person(customer.job(inventory))
    # A time entry whose answer was lost waits the same way (the entry after it waits behind it); every
    # entry in QuickBooks is one that was answered or one that waits: none was sent twice.
    entries = 0
    for job_id in timesheets:
        job = customer.job(job_id)
        if job["status"] != "succeeded":
            _waits_for_a_person(job)
        states = [step["state"] for step in job["steps"][2:]]  # after the employee and the customer job
        entries += states.count("succeeded") + states.count("unknown_outcome")
    assert _grew(before, customer.counts()) == {
        "salesOrders": 3, "purchaseOrders": 3, "items": 3, "employees": 2, "customers": 2, "timeTracking": entries,
        "inventoryAdjustments": 1,
    }  # fmt: skip
    assert sorted(next(d["DataExtValue"] for d in o["DataExtRet"]) for o in company.sales_orders) == [
        "SO-S0",
        "SO-S1",
        "SO-S2",
    ]
