"""Retrieved orders match QuickBooks' own totals, end to end over HTTP with the simulated QuickBooks:
subtotal, discount, payment, sales-tax and group lines, units of measure, foreign currencies, codes per
QuickBooks document type, and retrievals of documents whose retrieval is turned off."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

from mapping.entities import SalesOrder
from simulator.faults import Faults
from simulator.host import versions_up_to
from tests.retrieval.conftest import qb_add, sales_order
from tests.sends.conftest import Customer, new_company
from tests.simulator.conftest import SPECIAL_LISTS, special_order


def _imports(customer: Customer, **params: str) -> list[dict]:
    response = customer.api.get(customer.url("/imports"), params={**params, "limit": "500"})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def _retrieve(customer: Customer, entities: list[str]) -> dict:
    customer.settings({"retrievals": {entity: {"enabled": True} for entity in entities}})
    response = customer.api.post(customer.url("/retrievals"), json={"entities": entities, "since": "2026-01-01"})
    assert response.status_code == 202, response.text
    customer.sync_until_idle()
    job = customer.job(response.json()["jobId"])
    assert job["status"] == "succeeded", job
    return job


def _rows(data: dict) -> list[tuple[str, Decimal, Decimal]]:
    order = SalesOrder.model_validate(data)
    return [(row.product.code, row.quantity, row.unit_price) for row in order.rows]


def test_an_order_with_every_kind_of_line_is_imported_by_quickbooks_meaning(customer: Customer) -> None:
    qb_add(customer, *SPECIAL_LISTS, special_order("SalesOrder", "ACME", "SP-1"))
    job = _retrieve(customer, ["salesOrder"])
    assert job["warnings"] == []
    lists = job["steps"][0]
    assert "<ItemQueryRq" in lists["request"] and "<UnitOfMeasureSetQueryRq" in lists["request"]
    (imported,) = _imports(customer, entity="salesOrder")
    assert imported["status"] == "pending" and imported["data"]["code"] == "SP-1"
    # Subtotal, discount, deposit and tax are no rows; the group's members are, once; cases are eaches;
    # the 10% discount is taken off the prices of the two lines its subtotal sums.
    assert _rows(imported["data"]) == [
        ("BRACKET", 3, Decimal("27")),
        ("BOLT-M8", 24, Decimal("0.9")),
        ("BRACKET", 2, Decimal("30")),
        ("BOLT-M8", 12, Decimal("1")),
    ]
    assert imported["data"]["rows"][1]["observations"] == "Bolt M8, zinc (2 Case = 24 Each)"
    total = sum((quantity * price for _, quantity, price in _rows(imported["data"])), Decimal(0))
    assert total == Decimal("174.60")
    assert imported["notes"] == [
        'line for "BOLT-M8" is in Case: converted to 2 Case = 24 Each',
        'discount line "Loyalty 10%" (-11.40) is taken off the prices of the rows it applies to (BRACKET, BOLT-M8)',
        'line for "BOLT-M8" is in Case: converted to 1 Case = 12 Each',
        'payment line "Deposit" (-50.00) is a payment received, not a product: not a row',
        "sales tax of 13.97 (NY State, 8%) is tax, not a product: not in the rows; QuickBooks' total with tax "
        "is 138.57",
        "the rows add up to 174.60, not QuickBooks' subtotal of 124.60: the difference is payment line "
        '"Deposit" (-50.00)',
    ]
    products = {item["data"]["code"] for item in _imports(customer, entity="product")}
    assert products == {"BRACKET", "BOLT-M8"}


def test_the_item_list_is_read_whole_once_then_only_what_changed(customer: Customer) -> None:
    qb_add(customer, *SPECIAL_LISTS)
    first = _retrieve(customer, ["salesOrder"])
    assert "<FromModifiedDate>" not in first["steps"][0]["request"]
    assert first["result"]["lists"]["items"] >= 9
    qb_add(customer, special_order("SalesOrder", "ACME", "SP-2"))
    second = _retrieve(customer, ["salesOrder"])
    assert "<FromModifiedDate>" in second["steps"][0]["request"]
    # What the first retrieval learnt is still known: the subtotal is no row.
    (imported,) = _imports(customer, entity="salesOrder")
    assert "Subtotal" not in {row["product"]["code"] for row in imported["data"]["rows"]}


def test_an_invoice_in_a_foreign_currency_says_so(customer: Customer) -> None:
    qb_add(customer, *SPECIAL_LISTS, special_order("Invoice", "Euro Kunde GmbH", "EU-1", exchange_rate="1.085"))
    _retrieve(customer, ["invoice"])
    (imported,) = _imports(customer, entity="salesOrder")
    assert imported["data"]["code"] == "INV-EU-1"
    assert imported["data"]["quickbooks"]["currency"] == "Euro"
    assert imported["data"]["quickbooks"]["exchangeRate"] == 1.085
    assert imported["notes"][-1] == (
        "amounts are in Euro, not the home currency (QuickBooks' exchange rate 1.085; 150.35 in the home "
        "currency): prices are imported as QuickBooks shows them, in Euro"
    )


def test_an_estimate_an_invoice_and_a_sales_order_with_one_number_are_three_orders(customer: Customer) -> None:
    qb_add(
        customer,
        sales_order("ACME", ("WIDGET-1", "2", "12.50"), ref="1001"),
        "<EstimateAddRq><EstimateAdd><CustomerRef><FullName>ACME</FullName></CustomerRef><RefNumber>1001</RefNumber>"
        "<EstimateLineAdd><ItemRef><FullName>WIDGET-1</FullName></ItemRef><Quantity>3</Quantity><Rate>12.50</Rate>"
        "</EstimateLineAdd></EstimateAdd></EstimateAddRq>",
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>ACME</FullName></CustomerRef><RefNumber>1001</RefNumber>"
        "<InvoiceLineAdd><ItemRef><FullName>WIDGET-1</FullName></ItemRef><Quantity>1</Quantity><Rate>12.50</Rate>"
        "</InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>",
    )
    _retrieve(customer, ["salesOrder", "estimate", "invoice"])
    imported = {item["source"]["type"]: item for item in _imports(customer, entity="salesOrder")}
    assert {kind: item["data"]["code"] for kind, item in imported.items()} == {
        "SalesOrder": "1001",
        "Estimate": "EST-1001",
        "Invoice": "INV-1001",
    }
    assert all(item["status"] == "pending" and item["notes"] == [] for item in imported.values())

    # A changed prefix applies to later imports; what was imported keeps its code, and is still
    # recognised when Fusion Operations sends it back.
    customer.settings({"retrievedCodePrefixes": {"estimate": "Q-"}})
    sent_back = customer.api.post(customer.url("/sales-orders"), json=imported["Estimate"]["data"])
    assert sent_back.status_code == 409, sent_back.text
    assert "came from QuickBooks (Estimate 1001" in sent_back.json()["detail"]
    invoice_back = customer.api.post(customer.url("/sales-orders"), json=imported["Invoice"]["data"])
    assert invoice_back.status_code == 409 and "(Invoice 1001" in invoice_back.json()["detail"]
    qb_add(
        customer,
        "<EstimateAddRq><EstimateAdd><CustomerRef><FullName>ACME</FullName></CustomerRef><RefNumber>1002</RefNumber>"
        "<EstimateLineAdd><ItemRef><FullName>WIDGET-1</FullName></ItemRef><Quantity>1</Quantity><Rate>12.50</Rate>"
        "</EstimateLineAdd></EstimateAdd></EstimateAddRq>",
    )
    _retrieve(customer, ["estimate"])
    codes = {item["source"]["refNumber"]: item["data"]["code"] for item in _imports(customer, entity="salesOrder")
             if item["source"]["type"] == "Estimate"}  # fmt: skip
    assert codes == {"1001": "EST-1001", "1002": "Q-1002"}


def test_two_documents_that_would_share_a_code_say_so(customer: Customer) -> None:
    # QuickBooks lets two sales orders carry one number; Fusion Operations would refuse the second.
    qb_add(
        customer,
        sales_order("ACME", ("WIDGET-1", "1", "12.50"), ref="DUP-1"),
        sales_order("ACME", ("WIDGET-1", "2", "12.50"), ref="DUP-1"),
    )
    _retrieve(customer, ["salesOrder"])
    _assert_second_is_noted(customer, "DUP-1")


def _assert_second_is_noted(customer: Customer, code: str) -> None:
    first, second = _imports(customer, entity="salesOrder")
    assert first["notes"] == []
    assert second["notes"] == [
        f"code {code} is already the code of QuickBooks sales order {code}, imported too: Fusion Operations "
        "will refuse this order until one of them is given another code there"
    ]


def test_a_code_imported_by_an_earlier_retrieval_is_named_in_the_later_ones_notes(customer: Customer) -> None:
    # The holder is an import stored before this page: read back from the database, not the page.
    qb_add(customer, sales_order("ACME", ("WIDGET-1", "1", "12.50"), ref="DUP-2"))
    _retrieve(customer, ["salesOrder"])
    qb_add(customer, sales_order("ACME", ("WIDGET-1", "3", "12.50"), ref="DUP-2"))
    _retrieve(customer, ["salesOrder"])
    _assert_second_is_noted(customer, "DUP-2")


def test_retrieving_documents_whose_retrieval_is_off_is_refused_and_queues_nothing(customer: Customer) -> None:
    qb_add(customer, sales_order("ACME", ("WIDGET-1", "1", "12.50"), ref="OFF-1"))
    customer.settings({"retrievals": {"salesOrder": {"enabled": True}}})
    refused = customer.api.post(
        customer.url("/retrievals"), json={"entities": ["salesOrder", "invoice", "estimate"], "since": "2026-01-01"}
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == (
        "Retrieving invoices and estimates from QuickBooks is turned off. Turn on \"Invoice creates Sales Order\" "
        "(setting retrievals.invoice.enabled) and \"Estimate creates Sales Order\" (setting retrievals.estimate.enabled) "
        "under \"Retrieve from QuickBooks Desktop/Enterprise to Fusion Operations\", then retrieve again. Nothing "
        "was queued."
    )
    assert customer.api.get(customer.url("/jobs")).json()["items"] == []
    assert customer.sync().auth_status == "none"  # no work for the Web Connector either
    accepted = customer.api.post(customer.url("/retrievals"), json={"entities": ["salesOrder"], "since": "2026-01-01"})
    assert accepted.status_code == 202, accepted.text


def test_later_retrievals_read_items_changed_since_the_last_mark_less_five_minutes(customer: Customer) -> None:
    qb_add(customer, *SPECIAL_LISTS)
    first = _retrieve(customer, ["salesOrder"])
    assert "<MaxReturned>1000</MaxReturned>" in first["steps"][0]["request"]
    latest = max(dt.datetime.fromisoformat(item["TimeModified"]) for item in customer.qb.company.items)
    second = _retrieve(customer, ["salesOrder"])
    since = re.search(r"<FromModifiedDate>([^<]+)</FromModifiedDate>", second["steps"][0]["request"])
    assert since is not None
    assert dt.datetime.fromisoformat(since.group(1)) == latest - dt.timedelta(minutes=5)


def test_when_quickbooks_cannot_give_its_item_list_the_orders_still_come_and_say_why(customer: Customer) -> None:
    qb_add(customer, *SPECIAL_LISTS, special_order("SalesOrder", "ACME", "BUSY-1"))
    customer.settings({"retrievals": {"salesOrder": {"enabled": True}}})
    response = customer.api.post(customer.url("/retrievals"), json={"entities": ["salesOrder"], "since": "2026-01-01"})
    assert response.status_code == 202, response.text
    customer.sync(faults=Faults(busy=1))  # the lists' message set: every request answers 3180
    customer.sync_until_idle()
    job = customer.job(response.json()["jobId"])
    assert job["status"] == "succeeded", job
    assert any("item list could not be read" in warning for warning in job["warnings"]), job["warnings"]
    (imported,) = _imports(customer, entity="salesOrder")
    # Without item types the subtotal reads as goods; the import says the rows do not add up.
    assert imported["status"] == "pending"
    assert "not explained by the lines QuickBooks returned" in imported["notes"][-1]


def test_a_host_older_than_qbxml_7_is_not_asked_for_units_of_measure(live_server) -> None:
    api = live_server.client
    tenant = api.post("/api/v1/tenants", json={"name": f"Old {uuid.uuid4().hex[:6]}"}).json()
    token = api.post(f"/api/v1/tenants/{tenant['id']}/token").json()["token"]
    customer = Customer(live_server, tenant["id"], tenant["qbwcUsername"], token, new_company())
    qb_add(customer, sales_order("ACME", ("WIDGET-1", "2", "12.50"), ref="OLD-1"))
    # The same company opened by a QuickBooks that speaks qbXML 6.0 at most (units came with 7.0).
    customer.qb.host.max_qbxml_version = "6.0"
    customer.qb.host.supported_versions = versions_up_to("6.0")
    job = _retrieve(customer, ["salesOrder"])
    assert "<ItemQueryRq" in job["steps"][0]["request"]
    assert "UnitOfMeasureSetQueryRq" not in job["steps"][0]["request"]
    (imported,) = _imports(customer, entity="salesOrder")
    assert imported["data"]["code"] == "OLD-1" and imported["notes"] == []
