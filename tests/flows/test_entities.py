"""The payload models: the documented minimal payloads pass as they are; bad ones name the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError

from mapping.entities import InventorySend, ProductionOrder, PurchaseOrder, Receiving, SalesOrder, Shipping
from tests.flows.conftest import INVENTORY, payload
from tests.support.payloads import PRODUCTION_ORDER, PURCHASE_ORDER, RECEIVING, SALES_ORDER, SHIPPING

MINIMAL = [
    (SalesOrder, SALES_ORDER),
    (PurchaseOrder, PURCHASE_ORDER),
    (Receiving, RECEIVING),
    (Shipping, SHIPPING),
    (ProductionOrder, PRODUCTION_ORDER),
    (InventorySend, INVENTORY),
]


@pytest.mark.parametrize(("model", "data"), MINIMAL, ids=[m.__name__ for m, _ in MINIMAL])
def test_minimal_payloads_validate_as_they_are(model, data):
    # Every field given is read and kept under its name: nothing dropped, renamed or defaulted over.
    read = model.model_validate(data).model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert read == _numbers_as_text(data)


def _numbers_as_text(value):
    """The payload as the model writes it back: quantities and prices are exact decimals, as text."""
    if isinstance(value, dict):
        return {key: _numbers_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_numbers_as_text(item) for item in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(Decimal(str(value)))
    return value


def test_sales_order_fields_are_read():
    order = SalesOrder.model_validate(SALES_ORDER)
    assert order.client.code == "ACME"
    assert order.marketplace.quickbooks_customer == "Web Store Sales"
    assert order.created_at == dt.datetime(2026, 11, 19, 10, tzinfo=dt.UTC)
    assert order.transfer_date == dt.date(2026, 11, 21)
    assert order.rows[0].unit_price == Decimal("12.5")
    assert order.custom_fields == {"Customer PO": "PO-77"}


def test_unknown_fields_are_ignored():
    order = SalesOrder.model_validate(payload(SALES_ORDER, billingAddress={"street": "x"}, status="OPEN"))
    assert not hasattr(order, "status")


def test_snake_case_names_are_accepted_too():
    order = Shipping(code="SHP-2", sales_order={"code": "SO-1"}, date="2026-12-01", rows=SHIPPING["rows"])
    assert order.sales_order.code == "SO-1"


def test_a_date_sent_as_a_date_time_is_its_calendar_day():
    shipping = Shipping.model_validate(payload(SHIPPING, date="2026-12-01T00:00:00Z"))
    assert shipping.date == dt.date(2026, 12, 1)


def test_a_single_product_is_an_inventory_send():
    send = InventorySend.model_validate(INVENTORY["products"][0])
    assert [p.code for p in send.products] == ["WIDGET-1"]


def test_worker_number_may_be_a_number():
    data = payload(PRODUCTION_ORDER)
    data["timeRecords"][0]["worker"]["number"] = 17
    assert ProductionOrder.model_validate(data).time_records[0].worker.number == "17"


@pytest.mark.parametrize(
    ("duration", "minutes"), [(90, 90), (12.5, 12.5), ("PT1H30M", 90), ("PT45M", 45)], ids=str
)
def test_duration_is_minutes_or_iso_8601(duration, minutes):
    data = payload(PRODUCTION_ORDER)
    record = data["timeRecords"][0]
    del record["endTime"]
    record["duration"] = duration
    worked = ProductionOrder.model_validate(data).time_records[0].worked()
    assert worked == dt.timedelta(minutes=minutes)


def _loc(model, data) -> list[tuple[tuple, str]]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return [(e["loc"], e["msg"]) for e in info.value.errors()]


def _row(which, **changes):
    data = payload(which)
    data["rows"][0].update(changes)
    return data


def _record(**changes):
    data = payload(PRODUCTION_ORDER)
    data["timeRecords"][0].update(changes)
    return data


BAD = [
    ("empty code", SalesOrder, payload(SALES_ORDER, code=""), ("code",)),
    ("blank code", PurchaseOrder, payload(PURCHASE_ORDER, code="   "), ("code",)),
    ("no rows", SalesOrder, payload(SALES_ORDER, rows=[]), ("rows",)),
    ("no client", SalesOrder, {k: v for k, v in SALES_ORDER.items() if k != "client"}, ("client",)),
    (
        "empty client code",
        SalesOrder,
        payload(SALES_ORDER, client={"name": "x", "code": ""}),
        ("client", "code"),
    ),
    ("negative quantity", SalesOrder, _row(SALES_ORDER, quantity=-1), ("rows", 0, "quantity")),
    ("zero quantity", PurchaseOrder, _row(PURCHASE_ORDER, quantity=0), ("rows", 0, "quantity")),
    ("negative price", PurchaseOrder, _row(PURCHASE_ORDER, unitPrice=-0.01), ("rows", 0, "unitPrice")),
    ("no product code", SalesOrder, _row(SALES_ORDER, product={"name": "x"}), ("rows", 0, "product", "code")),
    ("bad date", SalesOrder, payload(SALES_ORDER, dueDate="first of May"), ("dueDate",)),
    ("no supplier", PurchaseOrder, payload(PURCHASE_ORDER, supplier=None), ("supplier",)),
    ("receiving without order", Receiving, payload(RECEIVING, purchaseOrder={}), ("purchaseOrder", "code")),
    ("receiving without date", Receiving, {k: v for k, v in RECEIVING.items() if k != "date"}, ("date",)),
    ("shipping negative", Shipping, _row(SHIPPING, quantity=-5), ("rows", 0, "quantity")),
    ("shipping no rows", Shipping, payload(SHIPPING, rows=[]), ("rows",)),
    (
        "end before start",
        ProductionOrder,
        _record(endTime="2026-11-25T07:00:00Z"),
        ("timeRecords", 0, "endTime"),
    ),
    (
        "end equals start",
        ProductionOrder,
        _record(endTime="2026-11-25T08:00:00Z"),
        ("timeRecords", 0, "endTime"),
    ),
    ("no end nor duration", ProductionOrder, _record(endTime=None), ("timeRecords", 0)),
    ("zero duration", ProductionOrder, _record(endTime=None, duration=0), ("timeRecords", 0, "duration")),
    (
        "no worker name",
        ProductionOrder,
        _record(worker={"number": "1"}),
        ("timeRecords", 0, "worker", "name"),
    ),
    ("no time records", ProductionOrder, payload(PRODUCTION_ORDER, timeRecords=[]), ("timeRecords",)),
    ("no products", InventorySend, {"products": []}, ("products",)),
    (
        "negative stock",
        InventorySend,
        {"products": [{"code": "A", "quantity": -1}]},
        ("products", 0, "quantity"),
    ),
]


@pytest.mark.parametrize(("model", "data", "loc"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_payloads_are_refused_with_the_field_path(model, data, loc):
    assert loc in [found for found, _ in _loc(model, data)]


def test_end_before_start_says_why():
    messages = [m for _, m in _loc(ProductionOrder, _record(endTime="2026-11-25T07:00:00Z"))]
    assert any("endTime must be after startTime" in m for m in messages)
