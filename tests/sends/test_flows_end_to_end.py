"""The six send flows end to end: admin API → queue → SOAP → simulated QuickBooks → links."""

from __future__ import annotations

from decimal import Decimal

from tests.sends.conftest import INVENTORY, Customer
from tests.support.payloads import PRODUCTION_ORDER, PURCHASE_ORDER, RECEIVING, SALES_ORDER, SHIPPING


def _lines(record: dict) -> list[dict]:
    return [line for key in ("SalesOrderLineRet", "PurchaseOrderLineRet", "InvoiceLineRet", "ItemLineRet") for line in record.get(key, [])]


def test_sales_order_is_created_once_and_linked(customer: Customer) -> None:
    accepted = customer.send("/sales-orders", SALES_ORDER)
    assert accepted["status"] == "queued" and accepted["alreadySent"] is False
    before = len(customer.qb.company.sales_orders)
    customer.sync_until_idle()
    job = customer.job(accepted["jobId"])
    assert job["status"] == "succeeded", job
    orders = customer.qb.company.sales_orders
    assert len(orders) == before + 1
    order = orders[-1]
    assert order["CustomerRef"]["FullName"] == "ACME"
    assert order["TxnDate"] == "2026-11-21"  # default: the transfer date
    line = _lines(order)[0]
    assert line["ItemRef"]["FullName"] == "WIDGET-1"
    assert Decimal(line["Quantity"]) == 5 and Decimal(line["Rate"]) == Decimal("12.50")
    assert line["Desc"] == "Widget"  # default line description: the product name
    link = customer.link("salesOrder", "SO-1001")
    assert link is not None and link["status"] == "linked" and link["txnId"] == order["TxnID"]
    assert job["result"]["quickbooks"]["txnId"] == order["TxnID"]

    again = customer.send("/sales-orders", SALES_ORDER)
    assert again["alreadySent"] is True and again["status"] == "succeeded"
    assert "not applied" in again["warnings"][0]
    customer.sync_until_idle()
    assert len(customer.qb.company.sales_orders) == before + 1


def test_purchase_order_then_receiving_bills_the_whole_order(customer: Customer) -> None:
    po_job = customer.send("/purchase-orders", PURCHASE_ORDER)["jobId"]
    rcv_job = customer.send("/receivings", RECEIVING)["jobId"]  # queued while the PO is still pending
    customer.sync_until_idle()
    assert customer.job(po_job)["status"] == "succeeded"
    bill_job = customer.job(rcv_job)
    assert bill_job["status"] == "succeeded", bill_job
    po = customer.qb.company.purchase_orders[-1]
    bill = customer.qb.company.bills[-1]
    assert bill["VendorRef"]["FullName"] == "STEELCO"
    assert any(link["TxnID"] == po["TxnID"] for link in bill.get("LinkedTxn", []))
    assert customer.qb.company.quantity_on_hand("BAR-10") == 40
    second = customer.api.post(customer.url("/receivings"), json={**RECEIVING, "code": "RCV-2"})
    assert second.status_code == 409, second.text
    assert "RCV-1" in second.json()["detail"]


def test_shipping_invoices_the_sales_order_and_a_second_is_refused(customer: Customer) -> None:
    customer.send("/sales-orders", SALES_ORDER)
    ship_job = customer.send("/shippings", SHIPPING)["jobId"]
    customer.sync_until_idle()
    assert customer.job(ship_job)["status"] == "succeeded"
    order = customer.qb.company.sales_orders[-1]
    invoice = customer.qb.company.invoices[-1]
    assert invoice["CustomerRef"]["FullName"] == "ACME"
    assert order.get("IsFullyInvoiced") in (True, "true")
    second = customer.api.post(customer.url("/shippings"), json={**SHIPPING, "code": "SHP-2"})
    assert second.status_code == 409
    assert "SHP-1" in second.json()["detail"] and "not supported" in second.json()["detail"]


def test_production_order_creates_timesheet_entries(customer: Customer) -> None:
    customer.settings({"timesheets": {"createMissingCustomerJob": True}})
    job_id = customer.send("/production-orders", PRODUCTION_ORDER)["jobId"]
    customer.sync_until_idle()
    job = customer.job(job_id)
    assert job["status"] == "succeeded", job
    entry = customer.qb.company.time_tracking[-1]
    assert entry["EntityRef"]["FullName"] == "Ana Ruiz"
    assert entry["CustomerRef"]["FullName"] == "ACME:MO-301"
    assert entry["ItemServiceRef"]["FullName"] == "Welding"
    assert entry["PayrollItemWageRef"]["FullName"] == "Fabrication"
    assert entry["Duration"] in ("PT2H30M0S", "PT2H30M")
    assert entry["TxnDate"] == "2026-11-25"
    assert entry["BillableStatus"] == "NotBillable"


def test_inventory_sets_new_quantities_and_needs_an_account(customer: Customer) -> None:
    refused = customer.api.post(customer.url("/inventory"), json=INVENTORY)
    assert refused.status_code == 422
    assert "adjustmentAccount" in str(refused.json()["detail"])
    customer.settings({"inventory": {"adjustmentAccount": "Inventory Adjustments", "adjustmentMemo": "From Fusion"}})
    job_id = customer.send("/inventory", INVENTORY)["jobId"]
    customer.sync_until_idle()
    assert customer.job(job_id)["status"] == "succeeded"
    assert customer.qb.company.quantity_on_hand("WIDGET-1") == 42
    adjustment = customer.qb.company.inventory_adjustments[-1]
    assert adjustment["Memo"] == "From Fusion"
