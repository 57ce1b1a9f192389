"""Sales orders, purchase orders, bills and invoices: every document setting, and schema validity."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from mapping.entities import Receiving, SalesOrder, Shipping
from mapping.flows import FLOWS, plan_sales_order, plan_shipping
from mapping.flows.naming import external_guid
from mapping.plan import Binding, LinkKey, PlanError
from requests_builder import (
    BillAdd,
    BillQuery,
    DataExtAdd,
    InvoiceAdd,
    ItemNonInventoryAdd,
    PurchaseOrderAdd,
    PurchaseOrderQuery,
    SalesOrderAdd,
    SalesOrderQuery,
)
from tests.flows.conftest import TENANT, payload, schema_errors, settings
from tests.support.payloads import PURCHASE_ORDER, RECEIVING, SALES_ORDER, SHIPPING

ENTITIES = {
    "salesOrder": SALES_ORDER,
    "purchaseOrder": PURCHASE_ORDER,
    "receiving": RECEIVING,
    "shipping": SHIPPING,
}

SETTING_VALUES = [
    {},
    {"documentNumber": "orderCode"},
    {"customerName": "marketplaceName"},
    {"customerName": "marketplaceQuickbooksCustomer"},
    {"documentDate": "documentDate"},
    {"documentDate": "synchronizationDate"},
    {"shipDate": "dueDate"},
    {"lineDescription": "productObservations"},
    {"lineDescription": "movementObservations"},
    {"createMissingItems": {"enabled": True, "incomeAccountId": "80000001-1"}},
    {"createMissingItems": {"enabled": True, "incomeAccountFullName": "Income:Parts"}},
    {
        "entityCodeCustomField": "FO Code",
        "customFieldsToQuickbooks": [{"quickbooks": "Cust PO", "fusion": "Customer PO"}],
    },
]


def _plan(flow, ctx, data=None, **patch):
    spec = FLOWS[flow]
    return spec.planner(spec.model.model_validate(data or ENTITIES[flow]), settings(**patch), ctx)


@pytest.mark.parametrize("patch", SETTING_VALUES, ids=str)
@pytest.mark.parametrize("flow", list(ENTITIES))
def test_every_setting_builds_schema_valid_steps(flow, patch, ctx, schema13):
    plan = _plan(flow, ctx, **patch)
    assert plan.flow == flow
    assert plan.link == LinkKey(flow, ENTITIES[flow]["code"])
    assert schema_errors(schema13, plan) == []
    documents = [s for s in plan.steps if s.purpose == "document"]
    assert len(documents) == 1
    assert documents[0].creates_link and documents[0].reconcile is not None


# --- Sales order --------------------------------------------------------------------------------------


def test_sales_order_defaults(ctx):
    plan = plan_sales_order(SalesOrder.model_validate(SALES_ORDER), settings(), ctx)
    [step] = plan.steps
    request = step.request
    assert isinstance(request, SalesOrderAdd)
    assert request.customer.full_name == "ACME"
    assert request.ref_number is None
    assert request.txn_date == dt.date(2026, 11, 21)  # transfer date
    assert request.ship_date is None
    assert request.memo == "Rush"
    assert request.external_guid == external_guid(TENANT, "salesOrder", "SO-1001")
    [line] = request.lines
    assert (line.item.full_name, line.desc, line.quantity, line.rate) == (
        "WIDGET-1",
        "Widget",
        5,
        Decimal("12.5"),
    )
    assert step.bindings == [] and step.accept_status == frozenset()
    assert isinstance(step.reconcile.lookups[0].query, SalesOrderQuery)
    assert step.reconcile.lookups[0].query.entity_filter.full_names == ["ACME"]
    assert step.reconcile.lookups[0].match == {"external_guid": request.external_guid}
    assert plan.summary["customer"] == "ACME"
    assert plan.warnings == [] and plan.requires == []


def test_external_guid_is_deterministic_braced_upper_case():
    guid = external_guid(TENANT, "salesOrder", "SO-1001")
    assert guid == external_guid(TENANT, "salesOrder", "SO-1001")
    assert guid != external_guid("tenant-2", "salesOrder", "SO-1001")
    assert guid.startswith("{") and guid.endswith("}") and guid == guid.upper() and len(guid) == 38


def test_order_code_numbering_reconciles_by_number_below_external_guid(ctx):
    step = _plan("salesOrder", ctx, documentNumber="orderCode").steps[0]
    assert step.request.ref_number == "SO-1001"
    by_guid, by_number = step.reconcile.lookups
    assert (by_guid.name, by_guid.needs, by_guid.match) == (
        "externalGuid",
        "9.0",
        {"external_guid": step.request.external_guid},
    )
    assert (by_number.name, by_number.needs, by_number.match) == (
        "refNumber",
        None,
        {"ref_number": "SO-1001"},
    )
    assert by_number.query.ref_number_filter.ref_number == "SO-1001"
    assert by_number.query.entity_filter.full_names == ["ACME"]
    assert step.reconcile.lookup_for("16.0") is by_guid and step.reconcile.lookup_for("9.0") is by_guid
    assert step.reconcile.lookup_for("8.0") is by_number and step.reconcile.lookup_for("6.0") is by_number


@pytest.mark.parametrize(
    ("flow", "field", "element"), [("salesOrder", "other", "Other"), ("purchaseOrder", "other1", "Other1")]
)
def test_quickbooks_numbering_marks_orders_below_external_guid(flow, field, element, ctx):
    step = _plan(flow, ctx).steps[0]
    by_guid, by_marker = step.reconcile.lookups
    assert by_guid.name == "externalGuid"
    reference = by_marker.marks[field]
    assert reference == "QBB-" + step.request.external_guid.strip("{}").replace("-", "")[:16]
    assert by_marker.name == "marker" and by_marker.match == {field: reference}
    assert element in by_marker.query.include_ret_elements
    assert getattr(step.request, field) is None  # written only for a QuickBooks without ExternalGUID


@pytest.mark.parametrize(("flow", "order_query", "linked", "order"), [
    ("shipping", SalesOrderQuery, "Invoice", LinkKey("salesOrder", "SO-1001")),
    ("receiving", PurchaseOrderQuery, "Bill", LinkKey("purchaseOrder", "PO-2001")),
])  # fmt: skip
def test_quickbooks_numbering_finds_bills_and_invoices_through_their_order(
    flow, order_query, linked, order, ctx
):
    step = _plan(flow, ctx).steps[0]
    by_guid, through_order = step.reconcile.lookups
    assert by_guid.name == "externalGuid"
    assert through_order.name == "linkedToOrder" and through_order.linked == linked
    assert isinstance(through_order.query, order_query) and through_order.query.include_linked_txns
    assert through_order.bindings == [Binding(path="txn_ids.0", link=order)]


@pytest.mark.parametrize(
    ("flow", "code", "limit"),
    [
        ("salesOrder", "SO-123456789", 11),
        ("purchaseOrder", "PO-123456789", 11),
        ("shipping", "SHP-12345678", 11),
    ],
)
def test_order_code_longer_than_quickbooks_allows_is_refused(flow, code, limit, ctx):
    with pytest.raises(PlanError) as info:
        _plan(flow, ctx, payload(ENTITIES[flow], code=code), documentNumber="orderCode")
    assert info.value.field == "code"
    assert str(limit) in info.value.message and "quickbooks" in info.value.message


def test_bill_numbers_hold_twenty_characters(ctx):
    plan = _plan("receiving", ctx, payload(RECEIVING, code="RCV-2026-0000000001"), documentNumber="orderCode")
    assert plan.steps[0].request.ref_number == "RCV-2026-0000000001"
    with pytest.raises(PlanError) as info:
        _plan("receiving", ctx, payload(RECEIVING, code="RCV-2026-000000000001"), documentNumber="orderCode")
    assert "20" in info.value.message


@pytest.mark.parametrize(
    ("choice", "customer"),
    [
        ("customerCode", "ACME"),
        ("marketplaceName", "Web Store"),
        ("marketplaceQuickbooksCustomer", "Web Store Sales"),
    ],
)
def test_customer_name_sources(choice, customer, ctx):
    step = _plan("salesOrder", ctx, customerName=choice).steps[0]
    assert step.request.customer.full_name == customer
    assert step.reconcile.lookups[0].query.entity_filter.full_names == [customer]


@pytest.mark.parametrize(
    ("choice", "marketplace", "field"),
    [
        ("marketplaceName", None, "marketplace.name"),
        ("marketplaceQuickbooksCustomer", None, "marketplace.quickbooksCustomer"),
        ("marketplaceQuickbooksCustomer", {"name": "Web Store"}, "marketplace.quickbooksCustomer"),
    ],
)
def test_missing_marketplace_customer_is_refused(choice, marketplace, field, ctx):
    with pytest.raises(PlanError) as info:
        _plan("salesOrder", ctx, payload(SALES_ORDER, marketplace=marketplace), customerName=choice)
    assert info.value.field == field
    assert "customerName" in info.value.message


@pytest.mark.parametrize(
    ("choice", "data", "expected"),
    [
        ("default", SALES_ORDER, dt.date(2026, 11, 21)),
        ("default", payload(SALES_ORDER, transferDate=None), dt.date(2026, 11, 19)),
        ("documentDate", SALES_ORDER, dt.date(2026, 11, 20)),
        ("documentDate", payload(SALES_ORDER, documentDate=None), dt.date(2026, 11, 21)),
        ("synchronizationDate", SALES_ORDER, dt.date(2026, 12, 4)),  # 03:30 UTC is Dec 4 in New York
    ],
)
def test_sales_order_document_date(choice, data, expected, ctx):
    assert _plan("salesOrder", ctx, data, documentDate=choice).steps[0].request.txn_date == expected


def test_ship_date_is_the_due_date(ctx):
    assert _plan("salesOrder", ctx, shipDate="dueDate").steps[0].request.ship_date == dt.date(2026, 12, 1)
    assert _plan("purchaseOrder", ctx, shipDate="dueDate").steps[-1].request.expected_date == dt.date(
        2026, 12, 3
    )
    assert _plan("purchaseOrder", ctx).steps[-1].request.expected_date is None


@pytest.mark.parametrize(
    ("choice", "desc"),
    [("productName", "Widget"), ("productObservations", "Blue"), ("movementObservations", "Gift")],
)
def test_line_description_sources(choice, desc, ctx):
    data = payload(SALES_ORDER)
    data["rows"][0]["observations"] = "Gift"
    assert _plan("salesOrder", ctx, data, lineDescription=choice).steps[0].request.lines[0].desc == desc


def test_sub_items_are_referred_to_by_full_name(ctx):
    data = payload(SALES_ORDER)
    data["rows"][0]["product"]["code"] = "Widgets:Blue"
    assert _plan("salesOrder", ctx, data).steps[0].request.lines[0].item.full_name == "Widgets:Blue"


def test_an_item_name_quickbooks_cannot_hold_names_the_row(ctx):
    data = payload(SALES_ORDER)
    data["rows"].append({"product": {"code": "X" * 160}, "quantity": 1})
    with pytest.raises(PlanError) as info:
        _plan("salesOrder", ctx, data)
    assert info.value.field == "rows[1].product.code"
    assert "159" in info.value.message


def test_a_customer_name_quickbooks_cannot_hold_names_the_source(ctx):
    with pytest.raises(PlanError) as info:
        _plan("salesOrder", ctx, payload(SALES_ORDER, client={"code": "C" * 210}))
    assert info.value.field == "client.code"


def test_text_changed_to_fit_is_a_warning_naming_the_field(ctx):
    plan = _plan("salesOrder", ctx, payload(SALES_ORDER, observations="Rush – fragile ✓"))
    assert any(w.startswith("observations:") for w in plan.warnings)


# --- Custom fields ------------------------------------------------------------------------------------

CUSTOM = {
    "entityCodeCustomField": "FO Code",
    "customFieldsToQuickbooks": [
        {"quickbooks": "Cust PO", "fusion": "Customer PO"},
        {"quickbooks": "Region", "fusion": "region"},
    ],
}


@pytest.mark.parametrize(
    ("flow", "txn_type"),
    [
        ("salesOrder", "SalesOrder"),
        ("purchaseOrder", "PurchaseOrder"),
        ("receiving", "Bill"),
        ("shipping", "Invoice"),
    ],
)
def test_custom_fields_follow_the_document(flow, txn_type, ctx):
    data = payload(ENTITIES[flow], customFields={"Customer PO": "PO-77", "Region": "North"})
    plan = _plan(flow, ctx, data, **CUSTOM)
    document = next(i for i, s in enumerate(plan.steps) if s.purpose == "document")
    custom = plan.steps[document + 1 :]
    assert [type(s.request) for s in custom] == [DataExtAdd, DataExtAdd]
    assert [(s.request.name, s.request.value) for s in custom] == [
        ("FO Code", data["code"]),
        ("Cust PO", "PO-77"),
    ]
    for step in custom:
        assert step.purpose == "custom_field"
        assert step.request.owner_id == "0" and step.request.txn_data_ext_type == txn_type
        assert step.request.txn_id is None
        assert step.bindings == [Binding(path="txn_id", step=document)]
    # "region" is not "Region": names are case-sensitive.
    assert any("customFields.region" in w and "case-sensitive" in w for w in plan.warnings)


def test_without_entity_code_field_no_custom_field_is_sent(ctx):
    assert [type(s.request) for s in _plan("salesOrder", ctx).steps] == [SalesOrderAdd]


def test_custom_field_values_are_text(ctx):
    data = payload(SALES_ORDER, customFields={"Customer PO": 77.5})
    plan = _plan("salesOrder", ctx, data, **CUSTOM)
    assert plan.steps[-1].request.value == "77.5"


def test_custom_field_value_over_255_is_refused(ctx):
    data = payload(SALES_ORDER, customFields={"Customer PO": "x" * 256})
    with pytest.raises(PlanError) as info:
        _plan("salesOrder", ctx, data, **CUSTOM)
    assert info.value.field == "customFields.Customer PO"


# --- Purchase order and missing items -----------------------------------------------------------------


def test_purchase_order_defaults(ctx):
    [step] = _plan("purchaseOrder", ctx).steps
    assert isinstance(step.request, PurchaseOrderAdd)
    assert step.request.vendor.full_name == "STEELCO"
    assert step.request.txn_date == dt.date(2026, 11, 19)  # creation date
    assert step.request.lines[0].rate == Decimal("3.2")
    assert step.reconcile.lookups[0].query.entity_filter.full_names == ["STEELCO"]


def test_purchase_order_without_creation_date_lets_quickbooks_date_it(ctx):
    assert (
        _plan("purchaseOrder", ctx, payload(PURCHASE_ORDER, createdAt=None)).steps[0].request.txn_date is None
    )


def test_missing_items_are_created_before_the_order(ctx):
    data = payload(PURCHASE_ORDER)
    data["rows"] += [
        {"product": {"code": "Metals:Rods:ROD-5", "name": "Rod"}, "quantity": 2, "unitPrice": 1},
        {"product": {"code": "BAR-10", "name": "Steel bar"}, "quantity": 1},
    ]
    plan = _plan("purchaseOrder", ctx, data, createMissingItems={"enabled": True, "incomeAccountId": "80-1"})
    ensures = plan.steps[:-1]
    assert [s.request.name for s in ensures] == ["BAR-10", "Metals", "Rods", "ROD-5"]
    assert [s.request.parent.full_name if s.request.parent else None for s in ensures] == [
        None, None, "Metals", "Metals:Rods"
    ]  # fmt: skip
    for step in ensures:
        assert isinstance(step.request, ItemNonInventoryAdd)
        assert step.purpose == "ensure" and step.accept_status == frozenset({3100})
        assert step.request.sales_or_purchase.account.list_id == "80-1"
    assert ensures[0].request.sales_or_purchase.desc == "Steel bar"
    assert ensures[0].request.sales_or_purchase.price == Decimal("3.2")
    assert isinstance(plan.steps[-1].request, PurchaseOrderAdd)


def test_missing_items_off_sends_only_the_order(ctx):
    assert [type(s.request) for s in _plan("purchaseOrder", ctx).steps] == [PurchaseOrderAdd]


def test_created_item_name_over_31_names_the_row(ctx):
    data = payload(PURCHASE_ORDER)
    data["rows"][0]["product"]["code"] = "B" * 32
    with pytest.raises(PlanError) as info:
        _plan(
            "purchaseOrder", ctx, data, createMissingItems={"enabled": True, "incomeAccountFullName": "Sales"}
        )
    assert info.value.field == "rows[0].product.code"


# --- Receiving -> bill, shipping -> invoice ------------------------------------------------------------


def test_receiving_is_a_bill_linked_to_its_purchase_order(ctx):
    plan = _plan("receiving", ctx)
    [step] = plan.steps
    assert isinstance(step.request, BillAdd)
    assert step.request.vendor.full_name == "STEELCO"
    assert step.request.item_lines == [] and step.request.expense_lines == []
    assert step.request.link_to_txn_ids == []
    assert step.bindings == [Binding(path="link_to_txn_ids.0", link=LinkKey("purchaseOrder", "PO-2001"))]
    assert plan.requires == [LinkKey("purchaseOrder", "PO-2001")]
    assert step.request.txn_date == dt.date(2026, 12, 2)
    assert isinstance(step.reconcile.lookups[0].query, BillQuery)
    assert plan.warnings == []


def test_shipping_is_an_invoice_linked_to_its_sales_order(ctx):
    plan = plan_shipping(Shipping.model_validate(SHIPPING), settings(), ctx)
    [step] = plan.steps
    assert isinstance(step.request, InvoiceAdd)
    assert step.request.customer.full_name == "ACME"
    assert step.request.lines == []
    assert step.bindings == [Binding(path="link_to_txn_ids.0", link=LinkKey("salesOrder", "SO-1001"))]
    assert plan.requires == [LinkKey("salesOrder", "SO-1001")]
    assert step.request.txn_date == dt.date(2026, 12, 1)


def test_invoice_customer_follows_the_sales_order(ctx):
    step = _plan("shipping", ctx, customerName="marketplaceQuickbooksCustomer").steps[0]
    assert step.request.customer.full_name == "Web Store Sales"


def test_invoice_ship_date_is_the_sales_order_due_date(ctx):
    assert _plan("shipping", ctx, shipDate="dueDate").steps[0].request.ship_date == dt.date(2026, 12, 1)


@pytest.mark.parametrize(
    ("flow", "field", "noun"),
    [("receiving", "purchaseOrder.code", "purchase order"), ("shipping", "salesOrder.code", "sales order")],
)
def test_movement_of_an_order_never_sent_is_refused(flow, field, noun, ctx, links):
    links.links.clear()
    with pytest.raises(PlanError) as info:
        _plan(flow, ctx)
    assert info.value.field == field
    assert f"send the {noun} first" in info.value.message


def test_partial_quantities_are_sent_whole_with_a_warning(ctx):
    data = payload(RECEIVING)
    data["rows"][0]["quantity"] = 30
    plan = _plan("receiving", ctx, data)
    assert any("30 of BAR-10" in w and "full 40" in w for w in plan.warnings)


def test_movement_observations_go_to_the_memo(ctx):
    plan = _plan(
        "receiving", ctx, payload(RECEIVING, observations="Dock 2"), lineDescription="movementObservations"
    )
    assert plan.steps[0].request.memo == "Dock 2\nBAR-10: Lot 9"
    assert (
        _plan("receiving", ctx, payload(RECEIVING, observations="Dock 2")).steps[0].request.memo == "Dock 2"
    )


def test_second_shipping_of_a_sales_order_is_refused(ctx, links):
    links.add("shippingOfSalesOrder", "SO-1001", {"shipping": "SHP-0"})
    with pytest.raises(PlanError) as info:
        _plan("shipping", ctx)
    assert info.value.field == "salesOrder.code" and "SHP-0" in info.value.message


def test_the_same_shipping_sent_again_is_not_blocked_by_its_own_reservation(ctx, links):
    links.add("shippingOfSalesOrder", "SO-1001", {"shipping": "SHP-1"})
    assert _plan("shipping", ctx).steps


def test_shipping_blocker_key():
    from mapping.flows import receiving_blocker_key, shipping_blocker_key

    assert shipping_blocker_key(Shipping.model_validate(SHIPPING)) == LinkKey(
        "shippingOfSalesOrder", "SO-1001"
    )
    assert receiving_blocker_key(Receiving.model_validate(RECEIVING)) == LinkKey(
        "receivingOfPurchaseOrder", "PO-2001"
    )
