"""Every value of every send setting, end to end: admin API → queue → SOAP → simulated QuickBooks.

Settings apply to jobs queued after they change, so each test changes a setting, sends, changes it again
and sends again, then lets one Web Connector run carry everything; what the simulated company holds
afterwards is the proof.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tests.sends.conftest import ENDPOINTS, INVENTORY, Customer
from tests.simulator.conftest import message_set
from tests.support.payloads import PRODUCTION_ORDER, PURCHASE_ORDER, RECEIVING, SALES_ORDER, SHIPPING


def so(code: str, **changes: Any) -> dict[str, Any]:
    return {**SALES_ORDER, "code": code, **changes}


def po(code: str, **changes: Any) -> dict[str, Any]:
    return {**PURCHASE_ORDER, "code": code, **changes}


def receiving(code: str, po_code: str, **changes: Any) -> dict[str, Any]:
    return {**RECEIVING, "code": code, "purchaseOrder": {"code": po_code}, **changes}


def shipping(code: str, so_code: str, **changes: Any) -> dict[str, Any]:
    return {**SHIPPING, "code": code, "salesOrder": {"code": so_code}, **changes}


def setup_quickbooks(customer: Customer, *requests: str) -> None:
    response = customer.qb.process(message_set(*requests))
    assert 'statusSeverity="Error"' not in response, response


def document(customer: Customer, job_id: str) -> dict[str, Any]:
    """The QuickBooks document a succeeded job created."""
    job = customer.job(job_id)
    assert job["status"] == "succeeded", job
    # Inventory links to nothing, so its adjustment is named by the step that created it.
    txn_id = job["result"]["quickbooks"]["txnId"] if "quickbooks" in job["result"] else job["steps"][-1]["result"]["ids"]["txnId"]
    found = customer.qb.company.find_txn(txn_id)
    assert found is not None, job
    return found[1]


def lines(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [line for key in ("SalesOrderLineRet", "PurchaseOrderLineRet", "InvoiceLineRet", "ItemLineRet") for line in record.get(key, [])]


def custom_fields(record: dict[str, Any]) -> dict[str, str]:
    return {d["DataExtName"]: d["DataExtValue"] for d in record.get("DataExtRet", [])}


def jobs(customer: Customer) -> list[dict[str, Any]]:
    response = customer.api.get(customer.url("/jobs"))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def refused(customer: Customer, path: str, payload: dict[str, Any], status: int = 422) -> Any:
    response = customer.api.post(customer.url(path), json=payload)
    assert response.status_code == status, response.text
    return response.json()["detail"]


def test_document_number_quickbooks_sequence_or_order_code_with_its_limits(customer: Customer) -> None:
    first = customer.send("/sales-orders", so("SO-N1"))["jobId"]
    second = customer.send("/sales-orders", so("SO-N2"))["jobId"]
    customer.send("/purchase-orders", po("PO-N1"))
    customer.send("/purchase-orders", po("PO-N2"))
    customer.settings({"documentNumber": "orderCode"})
    coded = {
        "SO-N3": customer.send("/sales-orders", so("SO-N3"))["jobId"],
        "PO-N3": customer.send("/purchase-orders", po("PO-N3"))["jobId"],
        "RCV-N1": customer.send("/receivings", receiving("RCV-N1", "PO-N1"))["jobId"],
        "SHP-N1": customer.send("/shippings", shipping("SHP-N1", "SO-N1"))["jobId"],
    }
    before = len(jobs(customer))
    too_long = refused(customer, "/sales-orders", so("SO-123456789"))  # 12 characters
    assert too_long[0]["loc"] == ["body", "code"] and "11" in too_long[0]["msg"], too_long
    too_long = refused(customer, "/purchase-orders", po("PO-123456789"))
    assert too_long[0]["loc"] == ["body", "code"] and "11" in too_long[0]["msg"], too_long
    invoice_too_long = refused(customer, "/shippings", shipping("SHP-12345678", "SO-N2"))
    assert invoice_too_long[0]["loc"] == ["body", "code"] and "11" in invoice_too_long[0]["msg"], invoice_too_long
    bill_too_long = refused(customer, "/receivings", receiving("RCV-12345678901234567", "PO-N2"))  # 21
    assert bill_too_long[0]["loc"] == ["body", "code"] and "20" in bill_too_long[0]["msg"], bill_too_long
    assert len(jobs(customer)) == before  # nothing queued by a refusal
    customer.sync_until_idle()

    # QuickBooks numbers them: its own sequence, one after the other, not the Fusion Operations code.
    one, two = document(customer, first)["RefNumber"], document(customer, second)["RefNumber"]
    assert one.isdigit() and int(two) == int(one) + 1
    for code, job_id in coded.items():
        assert document(customer, job_id)["RefNumber"] == code
    assert customer.link("salesOrder", "SO-N3")["refNumber"] == "SO-N3"
    refs = [o.get("RefNumber") for o in customer.qb.company.sales_orders + customer.qb.company.purchase_orders]
    assert not any(str(r).endswith("123456789") for r in refs)


def test_customer_name_from_code_marketplace_name_or_marketplace_quickbooks_customer(customer: Customer) -> None:
    expected = {}
    for n, (option, name) in enumerate((("customerCode", "ACME"), ("marketplaceName", "Web Store"), ("marketplaceQuickbooksCustomer", "Web Store Sales"))):
        customer.settings({"customerName": option})
        expected[customer.send("/sales-orders", so(f"SO-C{n}"))["jobId"]] = name
        # The invoice must be for the same customer, or QuickBooks would not link it to the order.
        expected[customer.send("/shippings", shipping(f"SHP-C{n}", f"SO-C{n}"))["jobId"]] = name

    customer.settings({"customerName": "marketplaceName"})
    no_marketplace = refused(customer, "/sales-orders", so("SO-NOMKT", marketplace=None))
    assert no_marketplace[0]["loc"] == ["body", "marketplace", "name"], no_marketplace
    customer.settings({"customerName": "marketplaceQuickbooksCustomer"})
    no_field = refused(customer, "/sales-orders", so("SO-NOQBC", marketplace={"name": "Web Store"}))
    assert no_field[0]["loc"] == ["body", "marketplace", "quickbooksCustomer"], no_field
    assert "Quickbooks Customer" in no_field[0]["msg"]
    assert len(jobs(customer)) == len(expected)

    customer.sync_until_idle()
    for job_id, name in expected.items():
        assert document(customer, job_id)["CustomerRef"]["FullName"] == name


def test_an_invoice_keeps_its_sales_orders_customer_when_the_setting_changes_in_between(customer: Customer) -> None:
    customer.settings({"customerName": "customerCode"})
    order = customer.send("/sales-orders", so("SO-K1"))["jobId"]
    customer.sync_until_idle()
    customer.settings({"customerName": "marketplaceName"})
    invoice = customer.send("/shippings", shipping("SHP-K1", "SO-K1"))["jobId"]
    customer.sync_until_idle()
    assert customer.job(invoice)["status"] == "succeeded", customer.job(invoice)
    assert document(customer, order)["CustomerRef"]["FullName"] == "ACME"
    assert document(customer, invoice)["CustomerRef"]["FullName"] == "ACME"


def test_document_date_default_document_date_and_synchronization_date(customer: Customer) -> None:
    for n in (1, 2, 3):
        customer.send("/sales-orders", so(f"SO-D{n}"))
        customer.send("/purchase-orders", po(f"PO-D{n}", documentDate="2026-11-18"))
    undated = customer.send("/sales-orders", so("SO-D0", transferDate=None, createdAt="2026-11-19T03:00:00Z"))["jobId"]
    default = {
        "so": customer.send("/sales-orders", so("SO-DD"))["jobId"],
        "po": customer.send("/purchase-orders", po("PO-DD"))["jobId"],
        "bill": customer.send("/receivings", receiving("RCV-D1", "PO-D1", documentDate="2026-12-05"))["jobId"],
        "invoice": customer.send("/shippings", shipping("SHP-D1", "SO-D1", documentDate="2026-12-06"))["jobId"],
    }
    customer.settings({"documentDate": "documentDate"})
    by_document = {
        "so": customer.send("/sales-orders", so("SO-DOC"))["jobId"],
        "po": customer.send("/purchase-orders", po("PO-DOC", documentDate="2026-11-18"))["jobId"],
        "bill": customer.send("/receivings", receiving("RCV-D2", "PO-D2", documentDate="2026-12-05"))["jobId"],
        "invoice": customer.send("/shippings", shipping("SHP-D2", "SO-D2", documentDate="2026-12-06"))["jobId"],
    }
    # No document date on the order: the default (its transfer date) is used.
    fallback = customer.send("/sales-orders", so("SO-DOCX", documentDate=None))["jobId"]
    zone = "Pacific/Kiritimati"  # UTC+14: its "today" is often not UTC's
    customer.settings({"documentDate": "synchronizationDate", "timezone": zone})
    today_before = dt.datetime.now(ZoneInfo(zone)).date().isoformat()
    by_sync = {
        "so": customer.send("/sales-orders", so("SO-SYNC"))["jobId"],
        "po": customer.send("/purchase-orders", po("PO-SYNC"))["jobId"],
        "bill": customer.send("/receivings", receiving("RCV-D3", "PO-D3"))["jobId"],
        "invoice": customer.send("/shippings", shipping("SHP-D3", "SO-D3"))["jobId"],
    }
    today_after = dt.datetime.now(ZoneInfo(zone)).date().isoformat()
    customer.sync_until_idle()

    # Default: transfer date (sales order), creation date (purchase order), the movement's date.
    assert {k: document(customer, j)["TxnDate"] for k, j in default.items()} == {
        "so": "2026-11-21", "po": "2026-11-19", "bill": "2026-12-02", "invoice": "2026-12-01"
    }
    # Not transferred yet: its creation day in New York (03:00 UTC is the evening before there).
    assert document(customer, undated)["TxnDate"] == "2026-11-18"
    assert {k: document(customer, j)["TxnDate"] for k, j in by_document.items()} == {
        "so": "2026-11-20", "po": "2026-11-18", "bill": "2026-12-05", "invoice": "2026-12-06"
    }
    assert document(customer, fallback)["TxnDate"] == "2026-11-21"
    for kind, job_id in by_sync.items():
        assert document(customer, job_id)["TxnDate"] in {today_before, today_after}, kind


def test_ship_date_empty_or_due_date(customer: Customer) -> None:
    customer.send("/sales-orders", so("SO-E"))
    customer.send("/purchase-orders", po("PO-E"))
    empty = {
        "so": customer.send("/sales-orders", so("SO-E2"))["jobId"],
        "po": customer.send("/purchase-orders", po("PO-E2"))["jobId"],
        "invoice": customer.send("/shippings", shipping("SHP-E", "SO-E"))["jobId"],
    }
    customer.settings({"shipDate": "dueDate"})
    customer.send("/sales-orders", so("SO-U"))
    due = {
        "so": customer.send("/sales-orders", so("SO-U2"))["jobId"],
        "po": customer.send("/purchase-orders", po("PO-U"))["jobId"],
        "invoice": customer.send("/shippings", shipping("SHP-U", "SO-U"))["jobId"],
    }
    customer.sync_until_idle()

    for kind, job_id in empty.items():
        record = document(customer, job_id)
        assert "ShipDate" not in record and "ExpectedDate" not in record, (kind, record)
    assert document(customer, due["so"])["ShipDate"] == "2026-12-01"
    assert document(customer, due["po"])["ExpectedDate"] == "2026-12-03"
    assert "ShipDate" not in document(customer, due["po"])
    assert document(customer, due["invoice"])["ShipDate"] == "2026-12-01"  # the sales order's due date
    # The delivery date is never sent as the payment due date.
    assert document(customer, due["so"]).get("DueDate") != "2026-12-01"


def test_line_description_from_product_name_product_observations_or_movement_observations(customer: Customer) -> None:
    row = {"product": {"code": "WIDGET-1", "name": "Widget", "observations": "Blue"}, "quantity": 5, "unitPrice": 12.5, "observations": "Gift wrap"}
    po_row = {"product": {"code": "BAR-10", "name": "Steel bar", "observations": "Cold rolled"}, "quantity": 40, "unitPrice": 3.2, "observations": "Cut to 2 m"}
    expected = {}
    for n, (option, so_desc, po_desc) in enumerate(
        (
            ("productName", "Widget", "Steel bar"),
            ("productObservations", "Blue", "Cold rolled"),
            ("movementObservations", "Gift wrap", "Cut to 2 m"),
        )
    ):
        customer.settings({"lineDescription": option})
        expected[customer.send("/sales-orders", so(f"SO-L{n}", rows=[row]))["jobId"]] = so_desc
        expected[customer.send("/purchase-orders", po(f"PO-L{n}", rows=[po_row]))["jobId"]] = po_desc
    # Bills carry the order's lines; with movement observations the receiving's rows go to the memo.
    bill = customer.send("/receivings", receiving("RCV-L", "PO-L2"))["jobId"]
    customer.settings({"lineDescription": "productName"})
    plain_bill = customer.send("/receivings", receiving("RCV-P", "PO-L0"))["jobId"]
    customer.sync_until_idle()

    for job_id, desc in expected.items():
        assert [line["Desc"] for line in lines(document(customer, job_id))] == [desc]
    assert document(customer, bill)["Memo"] == "BAR-10: Lot 9"
    assert "Memo" not in document(customer, plain_bill)
    assert [line["Desc"] for line in lines(document(customer, bill))] == ["Cut to 2 m"]


def test_create_missing_items_off_fails_plainly_on_creates_with_account_name_or_id(customer: Customer) -> None:
    sales_id = next(a["ListID"] for a in customer.qb.company.accounts if a["FullName"] == "Sales")
    off = customer.send("/purchase-orders", po("PO-I0", rows=[{"product": {"code": "GADGET-9", "name": "Gadget"}, "quantity": 2, "unitPrice": 4}]))["jobId"]
    customer.settings({"createMissingItems": {"enabled": True, "incomeAccountFullName": "Sales"}})
    by_name = customer.send("/purchase-orders", po("PO-I1", rows=[{"product": {"code": "GADGET-1", "name": "Gadget one"}, "quantity": 2, "unitPrice": 4}]))["jobId"]
    customer.settings({"createMissingItems": {"enabled": True, "incomeAccountFullName": None, "incomeAccountId": sales_id}})
    by_id = customer.send("/purchase-orders", po("PO-I2", rows=[{"product": {"code": "GADGET-2", "name": "Gadget two"}, "quantity": 3, "unitPrice": 5}]))["jobId"]
    items_before = len(customer.qb.company.items)
    customer.sync_until_idle()

    failed = customer.job(off)
    assert failed["status"] == "failed", failed
    assert "GADGET-9" in failed["error"], failed["error"]
    assert "Create the item in QuickBooks" in failed["error"] and "Create missing items" in failed["error"], failed["error"]
    assert customer.qb.company.item("GADGET-9") is None
    assert customer.link("purchaseOrder", "PO-I0") is None  # released: it can be sent again once fixed

    assert len(customer.qb.company.items) == items_before + 2
    for job_id, code, name in ((by_name, "GADGET-1", "Gadget one"), (by_id, "GADGET-2", "Gadget two")):
        item = customer.qb.company.item(code)
        assert item is not None and item["_type"] == "ItemNonInventory", item
        account = item["SalesOrPurchase"]["AccountRef"]
        assert account.get("ListID") == sales_id or account.get("FullName") == "Sales", account
        assert item["SalesOrPurchase"]["Desc"] == name
        assert [line["ItemRef"]["FullName"] for line in lines(document(customer, job_id))] == [code]


def test_entity_code_and_custom_fields_land_on_every_document(customer: Customer) -> None:
    setup_quickbooks(
        customer,
        "<DataExtDefAddRq><DataExtDefAdd><OwnerID>0</OwnerID><DataExtName>Project</DataExtName><DataExtType>STR255TYPE</DataExtType>"
        "<AssignToObject>Customer</AssignToObject><AssignToObject>Vendor</AssignToObject></DataExtDefAdd></DataExtDefAddRq>",
    )
    refused_settings = customer.api.put(customer.url("/settings"), json={"customFieldsToQuickbooks": [{"quickbooks": "Project", "fusion": "Project"}]})
    assert refused_settings.status_code == 422, refused_settings.text
    assert refused_settings.json()["detail"][0]["loc"] == ["body", "customFieldsToQuickbooks"]
    assert "entityCodeCustomField" in refused_settings.json()["detail"][0]["msg"]
    assert customer.api.get(customer.url("/settings")).json()["customFieldsToQuickbooks"] == []

    customer.settings(
        {
            "entityCodeCustomField": "Fusion Code",
            "customFieldsToQuickbooks": [{"quickbooks": "Project", "fusion": "Project"}, {"quickbooks": "Customer PO", "fusion": "customer po"}],
        }
    )
    fields = {"Project": "Apollo", "Customer PO": "PO-77"}  # "customer po" is not "Customer PO"
    sent = {
        "SO-CF": customer.send("/sales-orders", so("SO-CF", customFields=fields)),
        "PO-CF": customer.send("/purchase-orders", po("PO-CF", customFields=fields)),
        "RCV-CF": customer.send("/receivings", receiving("RCV-CF", "PO-CF", customFields=fields)),
        "SHP-CF": customer.send("/shippings", shipping("SHP-CF", "SO-CF", customFields=fields)),
    }
    customer.sync_until_idle()

    for code, accepted in sent.items():
        record = document(customer, accepted["jobId"])
        assert custom_fields(record) == {"Fusion Code": code, "Project": "Apollo"}, (code, record.get("DataExtRet"))
        warning = next(w for w in customer.job(accepted["jobId"])["warnings"] if "customer po" in w)
        assert "case-sensitive" in warning and "Customer PO" in warning


def _time_record(worker: str, operation: str, section: str, day: str = "2026-11-25") -> dict[str, Any]:
    return {
        "worker": {"number": "1", "name": worker},
        "operation": {"name": operation},
        "section": {"name": section},
        "startTime": f"{day}T14:00:00Z",
        "endTime": f"{day}T15:30:00Z",
    }


def test_timesheet_customer_job_service_item_and_payroll_item_from_each_source(customer: Customer) -> None:
    sources = ["orderCode", "orderDescription", "operationName", "sectionName"]
    requests = []
    expected = {}
    for k, job_source in enumerate(sources):
        values = {"orderCode": f"MO-T{k}", "orderDescription": f"Job desc {k}", "operationName": f"Op {k}", "sectionName": f"Sec {k}"}
        service_source, payroll_source = sources[(k + 1) % 4], sources[(k + 2) % 4]
        requests += [
            f"<CustomerAddRq><CustomerAdd><Name>{values[job_source]}</Name><ParentRef><FullName>ACME</FullName></ParentRef></CustomerAdd></CustomerAddRq>",
            f"<ItemServiceAddRq><ItemServiceAdd><Name>{values[service_source]}</Name><SalesOrPurchase><Price>10.00</Price>"
            "<AccountRef><FullName>Services</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>",
            f"<PayrollItemWageAddRq><PayrollItemWageAdd><Name>{values[payroll_source]}</Name><WageType>HourlyRegular</WageType>"
            "<ExpenseAccountRef><FullName>Payroll Expenses</FullName></ExpenseAccountRef></PayrollItemWageAdd></PayrollItemWageAddRq>",
        ]
        customer.settings({"timesheets": {"customerJob": job_source, "serviceItem": service_source, "payrollItem": payroll_source}})
        payload = {
            "code": values["orderCode"],
            "description": values["orderDescription"],
            "client": {"code": "ACME"},
            "timeRecords": [_time_record("Ana Ruiz", values["operationName"], values["sectionName"])],
        }
        job_id = customer.send("/production-orders", payload)["jobId"]
        expected[job_id] = (f"ACME:{values[job_source]}", values[service_source], values[payroll_source])
    setup_quickbooks(customer, *requests)
    customer.sync_until_idle()

    for job_id, (job_name, service, payroll) in expected.items():
        entry = document(customer, job_id)
        assert (entry["CustomerRef"]["FullName"], entry["ItemServiceRef"]["FullName"], entry["PayrollItemWageRef"]["FullName"]) == (job_name, service, payroll)
        assert entry["EntityRef"]["FullName"] == "Ana Ruiz"


def test_timesheet_missing_employee_and_job_created_or_not_and_billable(customer: Customer) -> None:
    setup_quickbooks(customer, "<CustomerAddRq><CustomerAdd><Name>MO-X1</Name><ParentRef><FullName>ACME</FullName></ParentRef></CustomerAdd></CustomerAddRq>")
    employees, customers = len(customer.qb.company.employees), len(customer.qb.company.customers)
    no_employee = customer.send("/production-orders", {**PRODUCTION_ORDER, "code": "MO-X1", "timeRecords": [_time_record("Zed Unknown", "Welding", "Fabrication")]})["jobId"]
    no_job = customer.send("/production-orders", {**PRODUCTION_ORDER, "code": "MO-X2"})["jobId"]
    customer.settings({"timesheets": {"createMissingEmployee": True, "createMissingCustomerJob": True, "billable": True}})
    created = customer.send("/production-orders", {**PRODUCTION_ORDER, "code": "MO-X3", "timeRecords": [_time_record("Mary Ann Lopez", "Welding", "Fabrication")]})["jobId"]
    customer.settings({"timesheets": {"billable": False}})
    # 02:00 UTC is still the day before in New York: the entry is dated by the company's calendar.
    late = {**PRODUCTION_ORDER["timeRecords"][0], "startTime": "2026-11-26T02:00:00Z", "endTime": "2026-11-26T03:15:00Z"}
    not_billable = customer.send("/production-orders", {**PRODUCTION_ORDER, "code": "MO-X4", "timeRecords": [late]})["jobId"]
    customer.sync_until_idle()

    failed = customer.job(no_employee)
    assert failed["status"] == "failed" and "Zed Unknown" in failed["error"], failed
    failed = customer.job(no_job)
    assert failed["status"] == "failed" and "ACME:MO-X2" in failed["error"], failed
    assert customer.qb.company.customer("ACME:MO-X2") is None

    entry = document(customer, created)
    assert entry["EntityRef"]["FullName"] == "Mary Ann Lopez" and entry["CustomerRef"]["FullName"] == "ACME:MO-X3"
    assert entry["BillableStatus"] == "Billable"
    employee = next(e for e in customer.qb.company.employees if e["Name"] == "Mary Ann Lopez")
    assert (employee["FirstName"], employee["LastName"]) == ("Mary Ann", "Lopez")
    entry = document(customer, not_billable)
    assert entry["BillableStatus"] == "NotBillable" and entry["TxnDate"] == "2026-11-25"
    assert entry["Duration"] in ("PT1H15M0S", "PT1H15M")
    assert customer.qb.company.customer("ACME:MO-X4") is not None  # still created: only billable changed
    assert len(customer.qb.company.employees) == employees + 1
    assert len(customer.qb.company.customers) == customers + 2


def test_inventory_account_memo_tags_and_item_match_custom_field(customer: Customer) -> None:
    missing = refused(customer, "/inventory", INVENTORY)
    assert missing[0]["loc"] == ["body", "settings", "inventory", "adjustmentAccount"], missing
    assert jobs(customer) == []
    # The send may carry the account and memo itself (the article shows them when sending).
    today_before = dt.datetime.now(ZoneInfo("America/New_York")).date().isoformat()
    override = customer.send("/inventory", {**INVENTORY, "adjustmentAccount": "Inventory Adjustments", "adjustmentMemo": "Count 1"})["jobId"]
    customer.sync_until_idle()
    adjustment = document(customer, override)
    assert adjustment["AccountRef"]["FullName"] == "Inventory Adjustments" and adjustment["Memo"] == "Count 1"
    assert adjustment["TxnDate"] in {today_before, dt.datetime.now(ZoneInfo("America/New_York")).date().isoformat()}
    assert customer.qb.company.quantity_on_hand("WIDGET-1") == 42

    customer.settings({"inventory": {"adjustmentAccount": "Job Materials", "adjustmentMemo": "From Fusion Operations", "onlyTaggedProducts": True, "tag": "Sync"}})
    products = [
        {"code": "WIDGET-1", "quantity": 7, "tags": ["sync"]},  # tags match whatever their case
        {"code": "BAR-10", "quantity": 99, "tags": ["Quickbooks"]},
    ]
    tagged = customer.send("/inventory", {"products": products})
    assert any("BAR-10" in w and "Sync" in w for w in tagged["warnings"]), tagged
    none_tagged = refused(customer, "/inventory", {"products": products[1:]})
    assert none_tagged[0]["loc"] == ["body", "products"], none_tagged
    customer.sync_until_idle()
    adjustment = document(customer, tagged["jobId"])
    assert adjustment["AccountRef"]["FullName"] == "Job Materials" and adjustment["Memo"] == "From Fusion Operations"
    assert customer.qb.company.quantity_on_hand("WIDGET-1") == 7
    assert customer.qb.company.quantity_on_hand("BAR-10") == 0  # untagged: left alone

    customer.settings({"inventory": {"onlyTaggedProducts": False, "itemMatchCustomField": "QB Item", "adjustmentMemo": ""}})
    matched = customer.send(
        "/inventory",
        {"products": [{"code": "FUSION-WIDGET", "quantity": 13, "customFields": {"QB Item": "WIDGET-1"}}, {"code": "BAR-10", "quantity": 5}]},
    )
    assert any("BAR-10" in w and "QB Item" in w for w in matched["warnings"]), matched  # falls back to its code
    customer.sync_until_idle()
    adjustment = document(customer, matched["jobId"])
    assert "Memo" not in adjustment
    assert customer.qb.company.quantity_on_hand("WIDGET-1") == 13
    assert customer.qb.company.quantity_on_hand("BAR-10") == 5
    assert customer.qb.company.item("FUSION-WIDGET") is None


def test_a_flow_turned_off_refuses_with_409_and_queues_nothing(customer: Customer) -> None:
    customer.settings({"inventory": {"adjustmentAccount": "Inventory Adjustments"}})
    flows = ENDPOINTS
    customer.settings({"sends": {flow: {"enabled": False} for flow in flows}})
    for flow, (path, payload) in flows.items():
        detail = refused(customer, path, payload, status=409)
        assert f"sends.{flow}.enabled" in detail, detail
    assert jobs(customer) == []
    before = {name: len(getattr(customer.qb.company, name)) for name in ("sales_orders", "purchase_orders", "time_tracking", "inventory_adjustments")}
    customer.sync()
    assert before == {name: len(getattr(customer.qb.company, name)) for name in before}
    assert customer.qb.company.quantity_on_hand("WIDGET-1") == Decimal(10)
