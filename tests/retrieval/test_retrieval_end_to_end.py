"""Retrievals end to end: QuickBooks documents come back to Fusion Operations as imports, through
the Web Connector, on demand and on a schedule, and each is imported once."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest

from mapping.entities import Product, PurchaseOrder, SalesOrder
from mapping.retrieval_pages import MAX_PAGE_SIZE, PAGE_SIZES
from simulator.faults import Faults
from tests.retrieval.conftest import qb_add, sales_order
from tests.sends.conftest import Customer, end_retry_delays
from tests.support.fusion import FakeFusion, Reply
from tests.support.payloads import SALES_ORDER


@pytest.fixture
def fusion() -> Iterator[FakeFusion]:
    fake = FakeFusion()
    yield fake
    fake.stop()


def _imports(customer: Customer, **params: str) -> list[dict]:
    items: list[dict] = []
    cursor = None
    while True:
        query = {**params, "limit": "50", **({"cursor": cursor} if cursor else {})}
        page = customer.api.get(customer.url("/imports"), params=query)
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        cursor = body["nextCursor"]
        if not cursor:
            return items


def _retrieve(customer: Customer, entities: list[str], since: str = "2026-01-01") -> str:
    """"Retrieve Orders" for these documents, their retrieval turned on first (it is off by default)."""
    customer.settings({"retrievals": {entity: {"enabled": True} for entity in entities}})
    response = customer.api.post(customer.url("/retrievals"), json={"entities": entities, "since": since})
    assert response.status_code == 202, response.text
    return response.json()["jobId"]


def test_retrieve_orders_imports_each_kind_once_and_skips_with_reasons(stocked: Customer) -> None:
    customer = stocked
    customer.settings({"ignoreCategoryNames": True})
    # One order created from Fusion Operations by qbbridge: it must not come back (no loop).
    customer.send("/sales-orders", SALES_ORDER)
    customer.sync_until_idle()
    qb_add(
        customer,
        sales_order("Café Müller", ("Widgets:Blue", "3", "4.50"), ("WIDGET-1", "1", "12.50"), memo="Ünïcode memo", ref="QB-1"),
        sales_order("ACME", ("WIDGET-1", "2", "12.50"), ref="QB-CLOSED", closed=True),
        # What a sales order voided in QuickBooks looks like: amounts zeroed, memo "VOID: …".
        sales_order("ACME", ("WIDGET-1", "7", "0.00"), ref="QB-VOID", memo="VOID: customer cancelled"),
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>ACME</FullName></CustomerRef><RefNumber>INV-V</RefNumber>"
        "<InvoiceLineAdd><ItemRef><FullName>WIDGET-1</FullName></ItemRef><Quantity>1</Quantity><Rate>12.50</Rate></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>",
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>ACME</FullName></CustomerRef><RefNumber>INV-1</RefNumber>"
        "<InvoiceLineAdd><ItemRef><FullName>WIDGET-1</FullName></ItemRef><Quantity>2</Quantity><Rate>12.50</Rate></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>",
    )
    void_id = next(o["TxnID"] for o in customer.qb.company.invoices if o.get("RefNumber") == "INV-V")
    qb_add(customer, f"<TxnVoidRq><TxnVoidType>Invoice</TxnVoidType><TxnID>{void_id}</TxnID></TxnVoidRq>")

    job_id = _retrieve(customer, ["salesOrder", "invoice"])
    customer.sync_until_idle()
    job = customer.job(job_id)
    assert job["status"] == "succeeded", job
    counts = job["result"]["entities"]["salesOrder"]
    assert counts["found"] == 4 and counts["imported"] == 1 and counts["skipped"] == 3, counts
    invoices = {i["source"]["refNumber"]: i for i in _imports(customer, entity="salesOrder") if i["source"]["type"] == "Invoice"}
    assert invoices["INV-1"]["status"] == "pending"
    assert SalesOrder.model_validate(invoices["INV-1"]["data"]).rows[0].quantity == 2
    assert invoices["INV-V"]["status"] == "skipped" and "void" in invoices["INV-V"]["reason"].lower()

    orders = {i["source"]["refNumber"]: i for i in _imports(customer, entity="salesOrder") if i["source"]["type"] == "SalesOrder"}
    assert set(orders) == {"QB-1", "QB-CLOSED", "QB-VOID", customer.link("salesOrder", "SO-1001")["refNumber"]}
    imported = orders["QB-1"]
    assert imported["status"] == "pending" and imported["source"]["type"] == "SalesOrder"
    order = SalesOrder.model_validate(imported["data"])  # the same shape the send endpoints accept
    assert order.client.code == "Café Müller"
    assert [row.product.code for row in order.rows] == ["Blue", "WIDGET-1"]  # category names ignored
    assert order.observations == "Ünïcode memo"
    assert orders["QB-CLOSED"]["status"] == "skipped" and "closed" in orders["QB-CLOSED"]["reason"]
    assert orders["QB-VOID"]["status"] == "skipped" and "void" in orders["QB-VOID"]["reason"].lower()
    ours = next(i for ref, i in orders.items() if ref not in {"QB-1", "QB-CLOSED", "QB-VOID"})
    assert ours["status"] == "skipped" and "qbbridge" in ours["reason"]
    products = {i["data"]["code"]: i for i in _imports(customer, entity="product")}
    assert {"Blue", "WIDGET-1"} <= set(products)
    Product.model_validate(products["Blue"]["data"])

    # FAQ 1: a later change in QuickBooks is not applied; the import says so.
    order_id = imported["source"]["txnId"]
    record = next(o for o in customer.qb.company.sales_orders if o["TxnID"] == order_id)
    qb_add(customer, f"<SalesOrderModRq><SalesOrderMod><TxnID>{order_id}</TxnID><EditSequence>{record['EditSequence']}</EditSequence><Memo>changed</Memo></SalesOrderMod></SalesOrderModRq>")
    second = _retrieve(customer, ["salesOrder"])
    customer.sync_until_idle()
    assert customer.job(second)["result"]["entities"]["salesOrder"]["imported"] == 0
    again = {i["source"]["refNumber"]: i for i in _imports(customer, entity="salesOrder") if i["source"]["type"] == "SalesOrder"}
    assert len(again) == 4
    assert "not applied" in again["QB-1"]["reason"]
    assert again["QB-1"]["data"]["observations"] == "Ünïcode memo"


def test_iterators_page_through_any_volume(customer: Customer) -> None:
    qb_add(customer, *[sales_order("ACME", ("WIDGET-1", "1", "1.00"), ref=f"P-{n}") for n in range(230)])
    job_id = _retrieve(customer, ["salesOrder"])
    customer.sync_until_idle()
    job = customer.job(job_id)
    counts = job["result"]["entities"]["salesOrder"]
    assert job["status"] == "succeeded" and counts["found"] == 230 and counts["imported"] == 230
    # The first page asks for 23 (nothing seen yet), the next ones for 100 of these small orders: 4 pages.
    assert counts["pages"] == 1 + -(-(230 - PAGE_SIZES["salesOrder"]) // MAX_PAGE_SIZE)
    lists, step = job["steps"]  # QuickBooks' item list and units of measure are read first
    assert "<ItemQueryRq" in lists["request"] and lists["state"] == "succeeded"
    assert 'iterator="Continue"' in step["request"]
    assert len({i["source"]["txnId"] for i in _imports(customer, entity="salesOrder")}) == 230


def test_automatic_retrieval_runs_inside_the_window_and_respects_the_interval(customer: Customer) -> None:
    qb_add(customer, sales_order("ACME", ("WIDGET-1", "1", "1.00"), ref="AUTO-1"))
    now = dt.datetime.now(dt.UTC)
    outside_start = (now + dt.timedelta(hours=2)).strftime("%H:%M")
    outside_end = (now + dt.timedelta(hours=3)).strftime("%H:%M")
    customer.settings(
        {
            "retrievals": {"salesOrder": {"enabled": True, "automatic": True}},
            "timezone": "UTC",
            "syncWindow": {"start": outside_start, "end": outside_end},
        }
    )
    assert customer.sync().auth_status == "none"  # outside the window: nothing retrieved
    assert _imports(customer, entity="salesOrder") == []
    inside_start = (now - dt.timedelta(hours=1)).strftime("%H:%M")
    inside_end = (now + dt.timedelta(hours=1)).strftime("%H:%M")
    customer.settings({"syncWindow": {"start": inside_start, "end": inside_end}})
    first = customer.sync()
    assert first.ok and first.auth_status != "none"  # the retrieval is work for this session
    assert [i["source"]["refNumber"] for i in _imports(customer, entity="salesOrder")] == ["AUTO-1"]
    qb_add(customer, sales_order("ACME", ("WIDGET-1", "1", "1.00"), ref="AUTO-2"))
    assert customer.sync().auth_status == "none"  # less than 30 minutes since the last retrieval
    customer.settings({"retrievalIntervalMinutes": 1})
    jobs = customer.api.get(customer.url("/jobs")).json()["items"]
    assert [j["kind"] for j in jobs] == ["retrieval"]


def test_acknowledged_imports_leave_the_pending_list(customer: Customer) -> None:
    qb_add(customer, sales_order("ACME", ("WIDGET-1", "1", "1.00"), ref="ACK-1"))
    _retrieve(customer, ["salesOrder", "invoice", "estimate", "purchaseOrder"])
    customer.sync_until_idle()
    pending = _imports(customer, entity="salesOrder", status="pending")
    assert [i["source"]["refNumber"] for i in pending] == ["ACK-1"]
    response = customer.api.post(customer.url("/imports/ack"), json={"ids": [pending[0]["id"], "nope"]})
    assert response.status_code == 200
    assert response.json() == {"acknowledged": 1, "notFound": ["nope"]}
    assert _imports(customer, entity="salesOrder", status="pending") == []
    assert _imports(customer, entity="salesOrder", status="acknowledged")[0]["id"] == pending[0]["id"]


def test_imports_are_pushed_to_fusion_operations_and_never_lost(customer: Customer, fusion: FakeFusion) -> None:
    """The tenant's Fusion Operations API gets products before the orders that use them; a 429 with
    Retry-After only delays delivery (server errors and back-off: tests/retrieval/test_push.py); each
    import arrives once."""
    qb_add(customer, sales_order("ACME", ("WIDGET-1", "2", "12.50"), ref="PUSH-1"))
    fusion.script("sales-orders", Reply(429, {"error": "slow down"}, {"Retry-After": "1"}))
    response = customer.api.put(customer.url("/fusion-api"), json={"baseUrl": fusion.url, "apiKey": "fo-key-123"})
    assert response.status_code == 200 and response.json() == {"baseUrl": fusion.url.rstrip("/"), "hasApiKey": True}
    assert "fo-key-123" not in customer.api.get(customer.url("/fusion-api")).text
    _retrieve(customer, ["salesOrder"])
    customer.sync_until_idle()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        statuses = {i["entity"]: i["status"] for i in _imports(customer)}
        if statuses == {"salesOrder": "delivered", "product": "delivered"}:
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"imports not delivered: {_imports(customer)}")
    product_posts = fusion.posts("products")
    order_posts = fusion.posts("sales-orders")
    assert [p.body["code"] for p in product_posts] == ["WIDGET-1"]
    assert len(order_posts) == 2  # 429, then accepted: delivered exactly once
    assert all(p.headers.get("Authorization") == "Bearer fo-key-123" for p in order_posts)
    assert order_posts[-1].body["code"] == "PUSH-1"
    assert "fo-key-123" not in customer.server.log_text()


def test_purchase_orders_estimates_and_custom_fields_come_back(customer: Customer) -> None:
    customer.settings(
        {
            "customFieldFromQuickbooks": {"quickbooks": "Customer PO", "fusion": "Customer Reference"},
            "lineDescription": "productName",
        }
    )
    qb_add(
        customer,
        "<PurchaseOrderAddRq><PurchaseOrderAdd><VendorRef><FullName>STEELCO</FullName></VendorRef><RefNumber>QB-PO-1</RefNumber>"
        "<PurchaseOrderLineAdd><ItemRef><FullName>BAR-10</FullName></ItemRef><Desc>Steel bar 10 mm</Desc><Quantity>12</Quantity><Rate>3.20</Rate></PurchaseOrderLineAdd>"
        "</PurchaseOrderAdd></PurchaseOrderAddRq>",
        "<EstimateAddRq><EstimateAdd><CustomerRef><FullName>ACME</FullName></CustomerRef><RefNumber>EST-1</RefNumber>"
        "<EstimateLineAdd><ItemRef><FullName>WIDGET-1</FullName></ItemRef><Quantity>3</Quantity><Rate>12.50</Rate></EstimateLineAdd>"
        "</EstimateAdd></EstimateAddRq>",
        sales_order("ACME", ("WIDGET-1", "1", "12.50"), ref="CF-1"),
    )
    order_id = next(o["TxnID"] for o in customer.qb.company.sales_orders if o.get("RefNumber") == "CF-1")
    qb_add(
        customer,
        "<DataExtAddRq><DataExtAdd><OwnerID>0</OwnerID><DataExtName>Customer PO</DataExtName><TxnDataExtType>SalesOrder</TxnDataExtType>"
        f"<TxnID>{order_id}</TxnID><DataExtValue>PO-4711</DataExtValue></DataExtAdd></DataExtAddRq>",
    )
    job_id = _retrieve(customer, ["purchaseOrder", "estimate", "salesOrder"])
    customer.sync_until_idle()
    assert customer.job(job_id)["status"] == "succeeded"
    purchase = _imports(customer, entity="purchaseOrder")
    assert [i["source"]["refNumber"] for i in purchase] == ["QB-PO-1"]
    po = PurchaseOrder.model_validate(purchase[0]["data"])
    assert po.supplier.code == "STEELCO" and po.rows[0].quantity == 12 and float(po.rows[0].unit_price) == 3.2
    orders = {i["source"]["refNumber"]: i for i in _imports(customer, entity="salesOrder")}
    assert orders["EST-1"]["source"]["type"] == "Estimate" and orders["EST-1"]["status"] == "pending"
    assert SalesOrder.model_validate(orders["EST-1"]["data"]).rows[0].quantity == 3
    assert orders["CF-1"]["data"]["customFields"] == {"Customer Reference": "PO-4711"}
    products = {i["data"]["code"]: i["data"] for i in _imports(customer, entity="product")}
    assert products["BAR-10"]["name"] == "Steel bar 10 mm"  # the line description names new products


def test_an_order_that_came_from_quickbooks_is_never_sent_back(customer: Customer) -> None:
    qb_add(customer, sales_order("ACME", ("WIDGET-1", "2", "12.50"), ref="FROM-QB"))
    _retrieve(customer, ["salesOrder"])
    customer.sync_until_idle()
    imported = _imports(customer, entity="salesOrder")[0]["data"]
    before = len(customer.qb.company.sales_orders)
    refused = customer.api.post(customer.url("/sales-orders"), json=imported)
    assert refused.status_code == 409, refused.text
    assert "came from QuickBooks" in refused.json()["detail"] and "FROM-QB" in refused.json()["detail"]
    customer.settings({"sends": {"salesOrder": {"automatic": True}}})
    event = customer.api.post(customer.url("/events"), json={"entity": "salesOrder", "action": "created", "data": imported})
    assert event.status_code == 200 and event.json()["queued"] is False
    assert "came from QuickBooks" in event.json()["reason"]
    customer.sync_until_idle()
    assert len(customer.qb.company.sales_orders) == before


def test_quickbooks_busy_for_a_page_asks_again_in_a_later_session(customer: Customer) -> None:
    qb_add(customer, sales_order("ACME", ("WIDGET-1", "2", "12.50"), ref="QB-BUSY"))
    job_id = _retrieve(customer, ["salesOrder"])
    # The first message set reads the item list; the second asks for the first page.
    busy = customer.sync(faults=Faults(busy=2))
    assert busy.ok, busy.last_error
    job = customer.job(job_id)
    lists, step = job["steps"]
    assert lists["state"] == "succeeded", lists
    # A record in use (3180) is passing: the page is asked for again later, as any request is.
    assert job["status"] == "in_flight" and step["state"] == "queued" and step["statusCode"] == 3180, job
    assert _imports(customer, entity="salesOrder") == []
    end_retry_delays(customer)
    customer.sync_until_idle()
    job = customer.job(job_id)
    assert job["status"] == "succeeded" and job["steps"][1]["attempts"] == 2, job
    assert [item["data"]["code"] for item in _imports(customer, entity="salesOrder")] == ["QB-BUSY"]
