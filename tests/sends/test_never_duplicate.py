"""Never a duplicate: for every flow, the Web Connector dies after QuickBooks saved each request in
turn (the answer is lost), and the next sessions reconcile before re-sending. Every document exists
exactly once afterwards and every job succeeds."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import text

from db.engine import Database
from simulator.faults import Faults
from tests.sends.conftest import INVENTORY, Customer
from tests.support.payloads import PURCHASE_ORDER, SALES_ORDER, SHIPPING, timesheet_for_worker
from tests.support.webconnector import WebConnectorClient

CUSTOM_FIELDS = {"entityCodeCustomField": "Fusion Code", "customFieldsToQuickbooks": [{"quickbooks": "Customer PO", "fusion": "Customer PO"}]}


def _lose_answer_then_recover(customer: Customer, path: str, payload: dict[str, Any], drop: int) -> dict[str, Any]:
    job_id = customer.send(path, payload)["jobId"]
    dropped = customer.sync(faults=Faults(drop_response=drop))
    assert not dropped.ok, "the connector was made to die before QuickBooks' answer reached qbbridge"
    time.sleep(1.1)  # the dead session goes silent; the next authenticate supersedes it
    customer.sync_until_idle()
    job = customer.job(job_id)
    assert job["status"] == "succeeded", job
    return job


@pytest.mark.parametrize("numbering", ["quickbooks", "orderCode"])
def test_sales_orders_survive_every_lost_answer(customer: Customer, numbering: str) -> None:
    customer.settings({**CUSTOM_FIELDS, "documentNumber": numbering})
    for drop in (1, 2, 3):
        code = f"SO-{numbering[:2]}{drop}"
        before = customer.counts()
        job = _lose_answer_then_recover(customer, "/sales-orders", {**SALES_ORDER, "code": code}, drop)
        after = customer.counts()
        assert after["salesOrders"] == before["salesOrders"] + 1, (drop, job)
        order = next(o for o in customer.qb.company.sales_orders if o["TxnID"] == job["result"]["quickbooks"]["txnId"])
        values = {d["DataExtName"]: d["DataExtValue"] for d in order.get("DataExtRet", [])}
        assert values == {"Fusion Code": code, "Customer PO": "PO-77"}
        if numbering == "orderCode":
            assert order["RefNumber"] == code


def test_purchase_orders_with_created_items_survive_every_lost_answer(customer: Customer) -> None:
    customer.settings({"createMissingItems": {"enabled": True, "incomeAccountFullName": "Sales"}, **CUSTOM_FIELDS})
    for drop in (1, 2, 3):
        item = f"NEW-{drop}"
        payload = {**PURCHASE_ORDER, "code": f"PO-D{drop}", "rows": [{"product": {"code": item, "name": "New"}, "quantity": 3, "unitPrice": 2}]}
        before = customer.counts()
        _lose_answer_then_recover(customer, "/purchase-orders", payload, drop)
        after = customer.counts()
        assert after["purchaseOrders"] == before["purchaseOrders"] + 1
        assert after["items"] == before["items"] + 1
        assert customer.qb.company.item(item) is not None


def test_bills_and_invoices_survive_every_lost_answer(customer: Customer) -> None:
    for drop in (1, 2):
        so, po = f"SO-B{drop}", f"PO-B{drop}"
        customer.send("/sales-orders", {**SALES_ORDER, "code": so})
        customer.send("/purchase-orders", {**PURCHASE_ORDER, "code": po})
        customer.sync_until_idle()
        before = customer.counts()
        _lose_answer_then_recover(customer, "/shippings", {**SHIPPING, "code": f"SHP-B{drop}", "salesOrder": {"code": so}}, 1)
        _lose_answer_then_recover(
            customer, "/receivings", {"code": f"RCV-B{drop}", "purchaseOrder": {"code": po}, "date": "2026-12-02", "rows": [{"product": {"code": "BAR-10"}, "quantity": 40}]}, 1
        )
        after = customer.counts()
        assert after["invoices"] == before["invoices"] + 1
        assert after["bills"] == before["bills"] + 1


def test_timesheets_survive_every_lost_answer(customer: Customer) -> None:
    customer.settings({"timesheets": {"createMissingEmployee": True, "createMissingCustomerJob": True}})
    for drop in (1, 2, 3, 4):
        before = customer.counts()
        _lose_answer_then_recover(customer, "/production-orders", timesheet_for_worker(drop), drop)
        after = customer.counts()
        assert after["timeTracking"] == before["timeTracking"] + 2
        assert after["employees"] == before["employees"] + 1


def test_inventory_adjustments_survive_a_lost_answer(customer: Customer) -> None:
    customer.settings({"inventory": {"adjustmentAccount": "Inventory Adjustments"}})
    for quantity in (7, 9):
        before = customer.counts()
        payload = {"products": [{**INVENTORY["products"][0], "quantity": quantity}]}
        _lose_answer_then_recover(customer, "/inventory", payload, 1)
        assert customer.counts()["inventoryAdjustments"] == before["inventoryAdjustments"] + 1
        assert customer.qb.company.quantity_on_hand("WIDGET-1") == quantity




def test_a_request_quickbooks_saved_before_a_passing_error_is_looked_for_not_sent_again(customer: Customer) -> None:
    """An error from the Web Connector that qbbridge retries later (here QuickBooks' "unexpected error")
    may come after QuickBooks saved the request: the retry first looks for it."""
    job_id = customer.send("/sales-orders", {**SALES_ORDER, "code": "SO-HR1"})["jobId"]
    connector = WebConnectorClient(customer.server.qbwc_url)
    ticket, _ = connector.authenticate(customer.username, customer.token)
    request = connector.send_request_xml(ticket, hcp=customer.qb.host_response())
    customer.qb.process(request)  # saved; then the Web Connector reports an error instead of the answer
    connector.receive_response_xml(ticket, "", "0x80040402", "Unexpected error.")
    connector.close_connection(ticket)
    assert customer.job(job_id)["status"] == "queued"
    # The retry waits a minute; let that minute pass.
    database = Database(customer.server.database_url)
    try:
        with database.transaction() as session:
            session.execute(
                text("UPDATE job_steps SET not_before = NULL WHERE tenant_id = :tenant"), {"tenant": customer.tenant_id}
            )
    finally:
        database.dispose()
    customer.sync_until_idle()
    job = customer.job(job_id)
    assert job["status"] == "succeeded", job
    assert "not sent again" in job["steps"][0]["result"]["note"]
    assert len(customer.qb.company.sales_orders) == 1
