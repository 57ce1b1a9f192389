"""Edge cases of sending, end to end: dry runs, events, non-US companies, transient errors, retry and
cancel, tenant isolation, payload validation, movements of orders never sent, and the links list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lxml import etree
from sqlalchemy import bindparam, create_engine, text

from db.models import UTCDateTime
from simulator.faults import Faults
from tests.sends.conftest import ENDPOINTS, INVENTORY, Customer, new_company
from tests.simulator.conftest import message_set
from tests.support.payloads import PRODUCTION_ORDER, PURCHASE_ORDER, RECEIVING, SALES_ORDER, SHIPPING
from tests.support.shared import require_schema_dir


def jobs(customer: Customer) -> list[dict[str, Any]]:
    response = customer.api.get(customer.url("/jobs"))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def counts(customer: Customer) -> dict[str, int]:
    company = customer.qb.company
    names = ("sales_orders", "purchase_orders", "bills", "invoices", "time_tracking", "inventory_adjustments", "items", "employees", "customers")
    return {name: len(getattr(company, name)) for name in names}


def setup_quickbooks(customer: Customer, *requests: str) -> None:
    response = customer.qb.process(message_set(*requests))
    assert 'statusSeverity="Error"' not in response, response


# --- dry runs ------------------------------------------------------------------------------------


def test_dry_run_of_every_endpoint_returns_valid_qbxml_and_queues_nothing(customer: Customer) -> None:
    folder = require_schema_dir()
    xsd = etree.XMLSchema(etree.parse(str(folder / "qbxmlops130.xsd")))
    customer.settings(
        {
            "entityCodeCustomField": "Fusion Code",
            "createMissingItems": {"enabled": True, "incomeAccountFullName": "Sales"},
            "timesheets": {"createMissingEmployee": True, "createMissingCustomerJob": True},
            "inventory": {"adjustmentAccount": "Inventory Adjustments"},
        }
    )

    def dry(flow: str, min_steps: int) -> None:
        path, payload = ENDPOINTS[flow]
        response = customer.api.post(customer.url(path), params={"dry_run": "true"}, json=payload)
        assert response.status_code in (200, 202), response.text  # the exact code: the test below
        body = response.json()
        assert body["dryRun"] is True and len(body["qbxml"]) == len(body["steps"]) >= min_steps, body
        for xml in body["qbxml"]:
            document = etree.fromstring(xml.encode())
            assert xsd.validate(document), (flow, xsd.error_log, xml)

    for flow, steps in (("salesOrder", 2), ("purchaseOrder", 3), ("productionOrder", 3), ("inventory", 1)):
        dry(flow, steps)  # SO + custom field; item + PO + custom field; employee + job + entry
    assert jobs(customer) == []
    before = counts(customer)
    customer.sync()
    assert counts(customer) == before

    # A receiving and a shipping need their order in QuickBooks first.
    customer.send("/sales-orders", SALES_ORDER)
    customer.send("/purchase-orders", PURCHASE_ORDER)
    customer.sync_until_idle()
    queued = len(jobs(customer))
    dry("receiving", 2)
    dry("shipping", 2)
    assert len(jobs(customer)) == queued
    before = counts(customer)
    customer.sync()
    assert counts(customer) == before
    assert customer.link("receiving", "RCV-1") is None and customer.link("shipping", "SHP-1") is None


def test_dry_run_answers_200(customer: Customer) -> None:
    response = customer.api.post(customer.url("/sales-orders"), params={"dry_run": "true"}, json=SALES_ORDER)
    assert response.json()["dryRun"] is True
    assert response.status_code == 200


# --- events --------------------------------------------------------------------------------------


def test_events_send_only_automatic_flows_and_never_inventory(customer: Customer) -> None:
    def event(entity: str, data: dict[str, Any]) -> Any:
        return customer.api.post(customer.url("/events"), json={"entity": entity, "action": "created", "data": data})

    manual = event("salesOrder", SALES_ORDER)
    assert manual.status_code == 200, manual.text
    assert manual.json()["queued"] is False and "sends.salesOrder.automatic" in manual.json()["reason"]
    inventory = event("inventory", INVENTORY)
    assert inventory.json()["queued"] is False and "manually" in inventory.json()["reason"]
    bad = event("salesOrder", {**SALES_ORDER, "rows": [{"product": {"code": "WIDGET-1"}, "quantity": -1}]})
    assert bad.status_code == 422, bad.text
    assert bad.json()["detail"][0]["loc"] == ["body", "data", "rows", 0, "quantity"], bad.json()
    assert jobs(customer) == []

    customer.settings({"sends": {"salesOrder": {"automatic": True}, "purchaseOrder": {"automatic": True, "enabled": False}}})
    off = event("purchaseOrder", PURCHASE_ORDER)
    assert off.json()["queued"] is False and "turned off" in off.json()["reason"], off.json()
    automatic = event("salesOrder", SALES_ORDER)
    assert automatic.status_code == 202, automatic.text
    assert automatic.json()["queued"] is True
    customer.sync_until_idle()
    assert customer.job(automatic.json()["jobId"])["status"] == "succeeded"
    assert [o["RefNumber"] for o in customer.qb.company.sales_orders if o.get("CustomerRef", {}).get("FullName") == "ACME"]
    assert customer.link("salesOrder", "SO-1001")["status"] == "linked"
    # The update event of an order already sent creates nothing (FAQ 1).
    again = customer.api.post(customer.url("/events"), json={"entity": "salesOrder", "action": "updated", "data": SALES_ORDER})
    assert again.json()["queued"] is False and again.json()["alreadySent"] is True
    assert len(customer.qb.company.sales_orders) == 1
    assert customer.qb.company.purchase_orders == []


# --- non-US companies ----------------------------------------------------------------------------


def test_a_company_outside_the_us_can_retrieve_but_not_receive_sends(customer: Customer) -> None:
    customer.qb = new_company(country="CA")
    first = customer.send("/sales-orders", SALES_ORDER)["jobId"]  # country not known yet
    customer.sync_until_idle()
    failed = customer.job(first)
    assert failed["status"] == "failed" and "(CA)" in failed["error"] and "retrieve" in failed["error"], failed
    assert customer.qb.company.sales_orders == []
    connection = customer.api.get(customer.url("/connection")).json()
    assert connection["country"] == "CA", connection

    before = len(jobs(customer))
    for flow, (path, payload) in ENDPOINTS.items():
        if flow in ("receiving", "shipping"):
            continue  # their orders could never be sent
        response = customer.api.post(customer.url(path), json={**payload, "code": "OTHER-1"} if "code" in payload else payload)
        assert response.status_code == 409, (flow, response.text)
        assert "outside the United States" in response.json()["detail"] and "retrieve" in response.json()["detail"]
    assert len(jobs(customer)) == before


# --- transient errors, retry, cancel -------------------------------------------------------------


def _time_travel(customer: Customer, job_id: str) -> None:
    """Move the job's retry delay into the past: what waiting the delay out would do."""
    engine = create_engine(customer.server.database_url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE job_steps SET not_before = :past WHERE job_id = (SELECT id FROM jobs WHERE public_id = :job)")
            .bindparams(bindparam("past", type_=UTCDateTime())),
            {"past": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5), "job": job_id},
        )
    engine.dispose()


def test_quickbooks_busy_puts_the_step_back_and_a_later_session_sends_it(customer: Customer) -> None:
    job_id = customer.send("/sales-orders", SALES_ORDER)["jobId"]
    busy = customer.sync(faults=Faults(busy=1))
    assert busy.ok
    job = customer.job(job_id)
    assert job["status"] == "queued", job
    step = job["steps"][0]
    assert step["state"] == "queued" and step["attempts"] == 1 and step["statusCode"] == 3180, step
    assert "retry" in step["error"], step["error"]
    assert customer.qb.company.sales_orders == []
    refused = customer.api.post(f"/api/v1/jobs/{job_id}/retry")
    assert refused.status_code == 409 and "queued" in refused.json()["detail"]

    # Within the retry delay the next session has nothing to do.
    assert customer.sync().auth_status == "none"
    assert customer.job(job_id)["steps"][0]["attempts"] == 1
    _time_travel(customer, job_id)
    customer.sync_until_idle()
    job = customer.job(job_id)
    assert job["status"] == "succeeded" and job["steps"][0]["attempts"] == 2, job
    assert len(customer.qb.company.sales_orders) == 1


def test_retry_after_a_failure_sends_only_what_did_not_succeed(customer: Customer) -> None:
    # A purchase order naming an item QuickBooks lacks fails; create the item, retry: it succeeds.
    payload = {**PURCHASE_ORDER, "code": "PO-R1", "rows": [{"product": {"code": "GEAR-5", "name": "Gear"}, "quantity": 1, "unitPrice": 9}]}
    po_job = customer.send("/purchase-orders", payload)["jobId"]
    # A sales order whose custom field is not defined in QuickBooks: the order is created, the field fails.
    customer.settings({"entityCodeCustomField": "Fusion Code", "customFieldsToQuickbooks": [{"quickbooks": "Region", "fusion": "Region"}]})
    so_job = customer.send("/sales-orders", {**SALES_ORDER, "code": "SO-R1", "customFields": {"Region": "North"}})["jobId"]
    customer.sync_until_idle()
    po = customer.job(po_job)
    assert po["status"] == "failed" and "GEAR-5" in po["error"], po
    so = customer.job(so_job)
    assert so["status"] == "failed", so
    assert [s["state"] for s in so["steps"]] == ["succeeded", "succeeded", "failed"], so["steps"]
    assert "Region" in so["error"], so["error"]
    assert len(customer.qb.company.sales_orders) == 1
    assert customer.api.post(customer.url("/purchase-orders"), json=payload).status_code == 202  # released

    setup_quickbooks(
        customer,
        "<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>GEAR-5</Name><SalesOrPurchase><Price>9.00</Price>"
        "<AccountRef><FullName>Sales</FullName></AccountRef></SalesOrPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>",
        "<DataExtDefAddRq><DataExtDefAdd><OwnerID>0</OwnerID><DataExtName>Region</DataExtName><DataExtType>STR255TYPE</DataExtType>"
        "<AssignToObject>Customer</AssignToObject></DataExtDefAdd></DataExtDefAddRq>",
    )
    # The purchase order was sent again above (a new job holds its link now), so retrying the old job is refused.
    conflict = customer.api.post(f"/api/v1/jobs/{po_job}/retry")
    assert conflict.status_code == 409 and "PO-R1" in conflict.json()["detail"], conflict.text
    retried = customer.api.post(f"/api/v1/jobs/{so_job}/retry")
    assert retried.status_code == 200, retried.text
    assert [s["state"] for s in retried.json()["steps"]] == ["succeeded", "succeeded", "queued"], retried.text
    customer.sync_until_idle()
    so = customer.job(so_job)
    assert so["status"] == "succeeded", so
    assert [s["attempts"] for s in so["steps"]] == [1, 1, 2]  # the order and the code were not sent again
    assert len(customer.qb.company.sales_orders) == 1
    order = customer.qb.company.sales_orders[0]
    assert {d["DataExtName"]: d["DataExtValue"] for d in order["DataExtRet"]} == {"Fusion Code": "SO-R1", "Region": "North"}
    assert customer.link("purchaseOrder", "PO-R1")["status"] == "linked"
    assert [line["ItemRef"]["FullName"] for line in customer.qb.company.purchase_orders[0]["PurchaseOrderLineRet"]] == ["GEAR-5"]
    assert customer.api.post(f"/api/v1/jobs/{so_job}/retry").status_code == 409  # succeeded: nothing to retry


def test_retry_of_the_failed_job_itself_after_fixing_quickbooks(customer: Customer) -> None:
    payload = {**PURCHASE_ORDER, "code": "PO-R2", "rows": [{"product": {"code": "GEAR-6", "name": "Gear"}, "quantity": 1, "unitPrice": 9}]}
    job_id = customer.send("/purchase-orders", payload)["jobId"]
    customer.sync_until_idle()
    assert customer.job(job_id)["status"] == "failed"
    setup_quickbooks(
        customer,
        "<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>GEAR-6</Name><SalesOrPurchase><Price>9.00</Price>"
        "<AccountRef><FullName>Sales</FullName></AccountRef></SalesOrPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>",
    )
    retried = customer.api.post(f"/api/v1/jobs/{job_id}/retry")
    assert retried.status_code == 200, retried.text
    customer.sync_until_idle()
    job = customer.job(job_id)
    assert job["status"] == "succeeded" and job["steps"][0]["attempts"] == 2, job
    assert len(customer.qb.company.purchase_orders) == 1
    assert customer.link("purchaseOrder", "PO-R2")["txnId"] == customer.qb.company.purchase_orders[0]["TxnID"]


def test_cancel_before_sending_then_retry(customer: Customer) -> None:
    job_id = customer.send("/sales-orders", SALES_ORDER)["jobId"]
    cancelled = customer.api.post(f"/api/v1/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text
    assert customer.sync().auth_status == "none"
    assert customer.qb.company.sales_orders == []
    assert customer.link("salesOrder", "SO-1001") is None
    again = customer.api.post(f"/api/v1/jobs/{job_id}/cancel")
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]

    assert customer.api.post(f"/api/v1/jobs/{job_id}/retry").status_code == 200
    customer.sync_until_idle()
    assert customer.job(job_id)["status"] == "succeeded"
    assert len(customer.qb.company.sales_orders) == 1
    finished = customer.api.post(f"/api/v1/jobs/{job_id}/cancel")
    assert finished.status_code == 409 and "succeeded" in finished.json()["detail"]


# --- tenants -------------------------------------------------------------------------------------


def test_a_tenant_key_sees_only_its_own_jobs_and_links(customer: Customer) -> None:
    other = customer.api.post("/api/v1/tenants", json={"name": "Other tenant"}).json()
    other_job = customer.api.post(f"/api/v1/tenants/{other['id']}/sales-orders", json=SALES_ORDER).json()["jobId"]
    own_job = customer.send("/sales-orders", SALES_ORDER)["jobId"]
    key = customer.api.post(customer.url("/api-keys"), json={"name": "fusion"})
    assert key.status_code == 201, key.text
    headers = {"Authorization": f"Bearer {key.json()['key']}"}
    api = customer.api

    assert api.get(f"/api/v1/jobs/{own_job}", headers=headers).status_code == 200
    assert api.get(customer.url("/links"), headers=headers).json()["items"][0]["code"] == "SO-1001"
    for method, path in (
        ("GET", f"/api/v1/jobs/{other_job}"),
        ("POST", f"/api/v1/jobs/{other_job}/cancel"),
        ("POST", f"/api/v1/jobs/{other_job}/retry"),
        ("GET", f"/api/v1/tenants/{other['id']}/jobs"),
        ("GET", f"/api/v1/tenants/{other['id']}/links"),
        ("GET", f"/api/v1/tenants/{other['id']}/settings"),
    ):
        response = api.request(method, path, headers=headers)
        assert response.status_code == 404, (method, path, response.text)
    sent = api.post(f"/api/v1/tenants/{other['id']}/sales-orders", headers=headers, json={**SALES_ORDER, "code": "SO-X"})
    assert sent.status_code == 404
    assert [j["id"] for j in api.get(f"/api/v1/tenants/{other['id']}/jobs").json()["items"]] == [other_job]  # admin
    assert customer.job(other_job)["status"] == "queued"  # the cancel above did nothing


# --- payloads ------------------------------------------------------------------------------------

BAD_PAYLOADS = {
    "salesOrder": ({**SALES_ORDER, "rows": [{"product": {"code": "WIDGET-1"}, "quantity": 0}]}, ["body", "rows", 0, "quantity"]),
    "purchaseOrder": ({**PURCHASE_ORDER, "supplier": {"name": "Steel Co"}}, ["body", "supplier", "code"]),
    "receiving": ({**RECEIVING, "date": "yesterday"}, ["body", "date"]),
    "shipping": ({**SHIPPING, "rows": []}, ["body", "rows"]),
    "productionOrder": (
        {**PRODUCTION_ORDER, "timeRecords": [{**PRODUCTION_ORDER["timeRecords"][0], "endTime": "2026-11-25T07:00:00Z"}]},
        ["body", "timeRecords", 0, "endTime"],
    ),
    "inventory": ({"products": [{"code": "WIDGET-1", "quantity": -3}]}, ["body", "products", 0, "quantity"]),
}
# Payloads valid in shape that the settings cannot turn into a document: refused at planning, by path.
UNPLANNABLE = {
    "productionOrder": ({**PRODUCTION_ORDER, "description": None}, {"timesheets": {"customerJob": "orderDescription"}}, ["body", "description"]),
    "salesOrder": ({**SALES_ORDER, "customFields": {"Customer PO": "x" * 256}}, {"entityCodeCustomField": "Fusion Code", "customFieldsToQuickbooks": [{"quickbooks": "Customer PO", "fusion": "Customer PO"}]}, ["body", "customFields", "Customer PO"]),
}


def test_bad_payloads_are_refused_with_the_field_path_and_nothing_is_queued(customer: Customer) -> None:
    customer.settings({"inventory": {"adjustmentAccount": "Inventory Adjustments"}})
    for flow, (payload, loc) in BAD_PAYLOADS.items():
        path = ENDPOINTS[flow][0]
        response = customer.api.post(customer.url(path), json=payload)
        assert response.status_code == 422, (flow, response.text)
        assert [e["loc"] for e in response.json()["detail"]] == [loc], (flow, response.json())
    for path, field in (("/receivings", ["body", "purchaseOrder", "code"]), ("/shippings", ["body", "salesOrder", "code"])):
        payload = RECEIVING if path == "/receivings" else SHIPPING
        response = customer.api.post(customer.url(path), json=payload)
        assert response.status_code == 422, response.text
        detail = response.json()["detail"][0]
        assert detail["loc"] == field and "has not been sent" in detail["msg"] and "first" in detail["msg"], detail
    for flow, (payload, settings, loc) in UNPLANNABLE.items():
        customer.settings(settings)
        response = customer.api.post(customer.url(ENDPOINTS[flow][0]), json=payload)
        assert response.status_code == 422, (flow, response.text)
        assert response.json()["detail"][0]["loc"] == loc, (flow, response.json())
    assert jobs(customer) == []
    before = counts(customer)
    customer.sync()
    assert counts(customer) == before


def test_a_refusal_at_planning_names_a_list_element_like_pydantic_does(customer: Customer) -> None:
    customer.settings({"inventory": {"adjustmentAccount": "Inventory Adjustments", "itemMatchCustomField": "QB Item"}})
    payload = {"products": [{"code": "A", "quantity": 1, "customFields": {"QB Item": "WIDGET-1"}}, {"code": "WIDGET-1", "quantity": 2}]}
    response = customer.api.post(customer.url("/inventory"), json=payload)
    assert response.status_code == 422, response.text
    assert "both set the quantity" in response.json()["detail"][0]["msg"]
    assert jobs(customer) == []
    assert response.json()["detail"][0]["loc"] == ["body", "products", 1, "code"], response.json()


# --- links ---------------------------------------------------------------------------------------


def test_links_filter_by_entity_and_code(customer: Customer) -> None:
    customer.send("/sales-orders", SALES_ORDER)
    customer.send("/sales-orders", {**SALES_ORDER, "code": "SO-1002"})
    customer.send("/purchase-orders", PURCHASE_ORDER)
    customer.sync_until_idle()

    def codes(**params: str) -> list[tuple[str, str]]:
        items = customer.api.get(customer.url("/links"), params=params).json()["items"]
        return sorted((i["entity"], i["code"]) for i in items)

    assert codes() == [("purchaseOrder", "PO-2001"), ("salesOrder", "SO-1001"), ("salesOrder", "SO-1002")]
    assert codes(entity="salesOrder") == [("salesOrder", "SO-1001"), ("salesOrder", "SO-1002")]
    assert codes(code="PO-2001") == [("purchaseOrder", "PO-2001")]
    assert codes(entity="salesOrder", code="SO-1002") == [("salesOrder", "SO-1002")]
    assert codes(entity="purchaseOrder", code="SO-1002") == []
    link = customer.link("salesOrder", "SO-1002")
    order = next(o for o in customer.qb.company.sales_orders if o["TxnID"] == link["txnId"])
    assert link["status"] == "linked" and link["quickbooksType"] == "SalesOrder" and order["RefNumber"] == link["refNumber"]



def test_cancel_after_the_document_was_created_ends_the_job_and_keeps_its_link(customer: Customer) -> None:
    customer.settings({"entityCodeCustomField": "Fusion Code"})
    job_id = customer.send("/sales-orders", SALES_ORDER)["jobId"]
    customer.sync(faults=Faults(busy=2))  # the order is saved; its custom field meets a busy QuickBooks
    job = customer.job(job_id)
    assert [s["state"] for s in job["steps"]] == ["succeeded", "queued"], job["steps"]
    cancelled = customer.api.post(f"/api/v1/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert [s["state"] for s in cancelled.json()["steps"]] == ["succeeded", "cancelled"]
    # The order is in QuickBooks: its link stays, and sending it again creates nothing.
    assert customer.link("salesOrder", "SO-1001")["status"] == "linked"
    assert customer.send("/sales-orders", SALES_ORDER)["alreadySent"] is True
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["finishedAt"] is not None
    retried = customer.api.post(f"/api/v1/jobs/{job_id}/retry")
    assert retried.status_code == 200, retried.text
    customer.sync_until_idle()
    assert customer.job(job_id)["status"] == "succeeded"
    assert len(customer.qb.company.sales_orders) == 1
    assert customer.qb.company.custom_field(customer.qb.company.sales_orders[0], "Fusion Code") == "SO-1001"


def test_a_step_busy_at_every_attempt_fails_after_the_last_one(customer: Customer) -> None:
    job_id = customer.send("/sales-orders", SALES_ORDER)["jobId"]
    for attempt in range(1, 6):
        customer.sync(faults=Faults(busy=1))
        step = customer.job(job_id)["steps"][0]
        assert step["attempts"] == attempt, step
        assert step["state"] == ("queued" if attempt < 5 else "failed"), (attempt, step["state"])
        _time_travel(customer, job_id)
    job = customer.job(job_id)
    assert job["status"] == "failed" and "someone else is editing" in job["error"], job
    assert customer.qb.company.sales_orders == []
    assert customer.link("salesOrder", "SO-1001") is None
    assert customer.api.post(f"/api/v1/jobs/{job_id}/retry").status_code == 200
    customer.sync_until_idle()
    assert customer.job(job_id)["status"] == "succeeded" and len(customer.qb.company.sales_orders) == 1


def test_a_receiving_waiting_for_a_failed_purchase_order_is_retried_after_it(customer: Customer) -> None:
    payload = {**PURCHASE_ORDER, "rows": [{"product": {"code": "GEAR-7", "name": "Gear"}, "quantity": 40, "unitPrice": 9}]}
    po_job = customer.send("/purchase-orders", payload)["jobId"]
    rcv_job = customer.send("/receivings", {**RECEIVING, "rows": [{"product": {"code": "GEAR-7"}, "quantity": 40}]})["jobId"]
    customer.sync_until_idle()
    assert customer.job(po_job)["status"] == "failed"
    waiting = customer.job(rcv_job)
    assert waiting["status"] == "failed" and po_job in waiting["error"], waiting
    assert customer.qb.company.bills == []
    first = customer.api.post(f"/api/v1/jobs/{rcv_job}/retry")
    assert first.status_code == 409 and po_job in first.json()["detail"], first.text

    setup_quickbooks(
        customer,
        "<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>GEAR-7</Name><SalesOrPurchase><Price>9.00</Price>"
        "<AccountRef><FullName>Sales</FullName></AccountRef></SalesOrPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>",
    )
    assert customer.api.post(f"/api/v1/jobs/{po_job}/retry").status_code == 200
    assert customer.api.post(f"/api/v1/jobs/{rcv_job}/retry").status_code == 200
    customer.sync_until_idle()
    assert customer.job(po_job)["status"] == "succeeded"
    assert customer.job(rcv_job)["status"] == "succeeded", customer.job(rcv_job)
    bill = customer.qb.company.bills[0]
    assert bill["LinkedTxn"][0]["TxnID"] == customer.qb.company.purchase_orders[0]["TxnID"]
    assert len(customer.qb.company.bills) == 1


def test_a_failed_purchase_order_fails_its_receiving_and_the_session_reports_nothing_left(customer: Customer) -> None:
    # The receiving waits for the purchase order's job; when QuickBooks refuses the order (an item it
    # lacks, with "Create missing items" off), the receiving cannot run either. The Web Connector's
    # progress must then say the work is done (100), not that a step remains.
    order = {**PURCHASE_ORDER, "code": "PO-DEP", "rows": [{"product": {"code": "NOWHERE-1", "name": "Nowhere"}, "quantity": 2, "unitPrice": 1}]}
    order_job = customer.send("/purchase-orders", order)["jobId"]
    receiving_job = customer.send("/receivings", {**RECEIVING, "code": "RCV-DEP", "purchaseOrder": {"code": "PO-DEP"}, "rows": [{"product": {"code": "NOWHERE-1"}, "quantity": 2}]})["jobId"]

    session = customer.sync()

    assert session.ok, session
    failed = customer.job(order_job)
    assert failed["status"] == "failed" and "NOWHERE-1" in failed["error"], failed
    waiting = customer.job(receiving_job)
    assert waiting["status"] == "failed" and "did not succeed" in waiting["error"], waiting
    assert session.progress and session.progress[-1] == 100, session.progress
    assert customer.qb.company.bills == []
