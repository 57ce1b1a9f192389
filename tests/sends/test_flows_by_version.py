"""Every flow end to end on the oldest QuickBooks qbbridge speaks to (qbXML 6.0, QuickBooks 2007), one in
the middle and the newest, against the simulator checking every request against the version it names
(Intuit's schema and version notes): sales order, purchase order with created items, receiving to bill,
shipping to invoice, production order to timesheet, inventory to adjustment, raw qbXML, and the
retrieval of each entity, paged with iterators."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from mapping.retrieval_pages import PAGE_SIZES
from tests.sends.conftest import INVENTORY, Customer, new_company, new_customer
from tests.simulator.conftest import message_set, rs_list
from tests.support.payloads import PRODUCTION_ORDER, PURCHASE_ORDER, RECEIVING, SALES_ORDER, SHIPPING
from tests.support.servers import LiveServer
from tests.support.shared import require_schema_dir

VERSIONS = ["6.0", "10.0", "16.0"]

@pytest.fixture(autouse=True)
def _schema_validated_simulator() -> None:
    """These tests need the simulator to check each request against Intuit's schema and version
    notes: without them they skip (and fail where the shared files are required)."""
    require_schema_dir()


def _at(live_server: LiveServer, version: str) -> Customer:
    customer = new_customer(live_server, new_company(max_version=version))
    assert customer.qb.validator is not None and customer.qb.version_rules.notes, "not schema-validated"
    return customer


def _sent_versions(customer: Customer, job_id: str) -> set[str]:
    steps = customer.job(job_id)["steps"]
    return {re.search(r'<\?qbxml version="([^"]+)"\?>', step["request"]).group(1) for step in steps}


def _qb_add(customer: Customer, version: str, *requests: str) -> None:
    results = rs_list(customer.qb.process(message_set(*requests, version=version)))
    assert all(r.get("statusSeverity") != "Error" for r in results)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_send_flow_works(live_server: LiveServer, version: str) -> None:
    customer = _at(live_server, version)
    customer.settings(
        {
            "entityCodeCustomField": "Fusion Code",
            "customFieldsToQuickbooks": [{"quickbooks": "Customer PO", "fusion": "Customer PO"}],
            "createMissingItems": {"enabled": True, "incomeAccountFullName": "Sales"},
            "timesheets": {"createMissingEmployee": True, "createMissingCustomerJob": True, "billable": True},
            "inventory": {"adjustmentAccount": "Inventory Adjustments", "adjustmentMemo": "Count"},
        }
    )
    company = customer.qb.company
    purchase_order = {
        **PURCHASE_ORDER,
        "rows": [
            *PURCHASE_ORDER["rows"],
            {"product": {"code": "NEW-7", "name": "New"}, "quantity": 2, "unitPrice": 1},
        ],
    }
    production_order = {
        **PRODUCTION_ORDER,
        "timeRecords": [
            {**PRODUCTION_ORDER["timeRecords"][0], "worker": {"number": "9", "name": "Lee Park"}}
        ],
    }
    jobs = {
        "salesOrder": customer.send("/sales-orders", SALES_ORDER)["jobId"],
        "purchaseOrder": customer.send("/purchase-orders", purchase_order)["jobId"],
        "receiving": customer.send("/receivings", RECEIVING)["jobId"],
    }
    customer.sync_until_idle()
    jobs["shipping"] = customer.send("/shippings", SHIPPING)["jobId"]
    jobs["productionOrder"] = customer.send("/production-orders", production_order)["jobId"]
    jobs["inventory"] = customer.send("/inventory", INVENTORY)["jobId"]
    customer.sync_until_idle()
    for flow, job_id in jobs.items():
        job = customer.job(job_id)
        assert job["status"] == "succeeded", (flow, job)
        assert _sent_versions(customer, job_id) == {version}, flow

    order = company.sales_orders[-1]
    assert {d["DataExtName"]: d["DataExtValue"] for d in order["DataExtRet"]} == {
        "Fusion Code": "SO-1001",
        "Customer PO": "PO-77",
    }
    assert company.item("NEW-7") is not None
    po = company.purchase_orders[-1]
    bill = company.bills[-1]
    assert [link["TxnID"] for link in bill["LinkedTxn"]] == [po["TxnID"]]
    assert company.quantity_on_hand("BAR-10") == 40
    invoice = company.invoices[-1]
    assert [link["TxnID"] for link in invoice["LinkedTxn"]] == [order["TxnID"]]
    assert company.sales_orders[-1].get("IsFullyInvoiced") in (True, "true")
    entry = company.time_tracking[-1]
    assert (entry["EntityRef"]["FullName"], entry["CustomerRef"]["FullName"], entry["BillableStatus"]) == (
        "Lee Park",
        "ACME:MO-301",
        "Billable",
    )
    assert company.quantity_on_hand("WIDGET-1") == 42
    assert company.inventory_adjustments[-1]["Memo"] == "Count"
    guid_kept = version != "6.0"
    for document in (order, po, bill, invoice, entry, company.inventory_adjustments[-1]):
        assert ("ExternalGUID" in document) == guid_kept
    if not guid_kept:
        # QuickBooks numbering without ExternalGUID: our reference, in the field the user does not fill.
        assert order["Other"].startswith("QBB-") and po["Other1"].startswith("QBB-")
    else:
        assert "Other" not in order and "Other1" not in po


@pytest.mark.parametrize("version", VERSIONS)
def test_raw_qbxml_is_sent_at_the_host_version(live_server: LiveServer, version: str) -> None:
    customer = _at(live_server, version)
    raw = message_set("<CustomerQueryRq><FullName>ACME</FullName></CustomerQueryRq>", version="13.0")
    response = customer.api.post(customer.url("/qbxml"), json={"qbxml": raw})
    assert response.status_code == 202, response.text
    job_id = response.json()["jobId"]
    customer.sync_until_idle()
    job = customer.job(job_id)
    assert job["status"] == "succeeded", job
    assert _sent_versions(customer, job_id) == {min(version, "13.0", key=lambda v: float(v))}
    assert "<FullName>ACME</FullName>" in job["steps"][0]["response"]


@pytest.mark.parametrize("version", VERSIONS)
def test_every_retrieval_entity_pages_through_iterators(live_server: LiveServer, version: str) -> None:
    customer = _at(live_server, version)
    entities = ["salesOrder", "purchaseOrder", "invoice", "estimate"]
    customer.settings({"retrievals": {entity: {"enabled": True} for entity in entities}})
    page = PAGE_SIZES["salesOrder"]
    line = "<ItemRef><FullName>WIDGET-1</FullName></ItemRef><Quantity>1</Quantity><Rate>12.50</Rate>"
    orders = [
        f"<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>ACME</FullName></CustomerRef><RefNumber>S{n}</RefNumber>"
        f"<SalesOrderLineAdd>{line}</SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>"
        for n in range(page + 5)
    ]
    _qb_add(customer, version, *orders)
    _qb_add(
        customer,
        version,
        "<PurchaseOrderAddRq><PurchaseOrderAdd><VendorRef><FullName>STEELCO</FullName></VendorRef><RefNumber>P1</RefNumber>"
        "<PurchaseOrderLineAdd><ItemRef><FullName>BAR-10</FullName></ItemRef><Quantity>3</Quantity><Rate>3.20</Rate></PurchaseOrderLineAdd></PurchaseOrderAdd></PurchaseOrderAddRq>",
        f"<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>ACME</FullName></CustomerRef><RefNumber>I1</RefNumber><InvoiceLineAdd>{line}</InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>",
        f"<EstimateAddRq><EstimateAdd><CustomerRef><FullName>ACME</FullName></CustomerRef><RefNumber>E1</RefNumber><EstimateLineAdd>{line}</EstimateLineAdd></EstimateAdd></EstimateAddRq>",
    )
    response = customer.api.post(
        customer.url("/retrievals"),
        json={"entities": entities, "since": "2020-01-01"},
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["jobId"]
    customer.sync_until_idle()
    job = customer.job(job_id)
    assert job["status"] == "succeeded", job
    counts = job["result"]["entities"]
    assert counts["salesOrder"]["found"] == page + 5 and counts["salesOrder"]["pages"] == 2, counts
    for entity in ("purchaseOrder", "invoice", "estimate"):
        assert counts[entity]["found"] == 1 and counts[entity]["imported"] == 1, (entity, counts)
    continued = [s for s in job["steps"] if 'iterator="Continue"' in (s["request"] or "")]
    assert continued, "the second page of sales orders was asked for with the iterator"
    assert _sent_versions(customer, job_id) == {version}
    imported = customer.api.get(customer.url("/imports"), params={"entity": "purchaseOrder"}).json()["items"]
    assert [i["data"]["rows"][0]["quantity"] for i in imported] in ([3], [Decimal(3)], ["3"], [3.0])
