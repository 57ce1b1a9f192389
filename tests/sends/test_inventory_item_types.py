"""Inventory sends whose products include items QuickBooks keeps no quantity of, end to end: QuickBooks
is asked for the items' types first; the items it cannot adjust are left out with a warning naming the
item and its QuickBooks type and the others are adjusted; a send where nothing is adjustable fails with
that explanation, and is refused before queueing once qbbridge knows the types from an earlier answer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, create_engine, text

from db.models import UTCDateTime
from tests.sends.conftest import Customer
from tests.sends.test_send_edge_cases import jobs, setup_quickbooks

GLOVES = (
    "<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>GLOVES</Name><SalesOrPurchase><Price>4.00</Price>"
    "<AccountRef><FullName>Sales</FullName></AccountRef></SalesOrPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>"
)


def _products(*codes_and_quantities: tuple[str, Any]) -> dict[str, Any]:
    return {"products": [{"code": code, "quantity": quantity} for code, quantity in codes_and_quantities]}


def _ready(customer: Customer) -> None:
    customer.settings({"inventory": {"adjustmentAccount": "Inventory Adjustments"}})
    setup_quickbooks(customer, GLOVES)


def _adjust(customer: Customer, send: dict[str, Any]) -> dict[str, Any]:
    """The inventory send's job once the Web Connector has run until the queue is idle."""
    job_id = customer.send("/inventory", send)["jobId"]
    customer.sync_until_idle()
    return customer.job(job_id)


def test_items_quickbooks_cannot_adjust_are_left_out_with_a_warning_and_the_others_adjusted(customer: Customer) -> None:
    _ready(customer)
    send = _products(("WIDGET-1", 42), ("GLOVES", 7), ("Welding", 3), ("NO-SUCH-ITEM", 1))
    job = _adjust(customer, send)
    assert job["status"] == "succeeded", job
    expected = [
        "products[1].code: QuickBooks item 'GLOVES' is a non-inventory part (ItemNonInventory), which has no "
        "quantity on hand, so product GLOVES was left out of the inventory adjustment.",
        "products[2].code: QuickBooks item 'Welding' is a service item (ItemService), which has no quantity on "
        "hand, so product Welding was left out of the inventory adjustment.",
        "products[3].code: QuickBooks has no item named 'NO-SUCH-ITEM', so product NO-SUCH-ITEM was left out "
        "of the inventory adjustment.",
    ]
    for warning in expected:
        assert warning in job["warnings"], job["warnings"]
    [adjustment] = customer.qb.company.inventory_adjustments
    assert [line["ItemRef"]["FullName"] for line in adjustment["InventoryAdjustmentLineRet"]] == ["WIDGET-1"]
    assert customer.qb.company.quantity_on_hand("WIDGET-1") == Decimal(42)


def test_item_names_match_as_quickbooks_compares_them_regardless_of_case(customer: Customer) -> None:
    _ready(customer)
    assert _adjust(customer, _products(("widget-1", 5), ("gloves", 1)))["status"] == "succeeded"
    assert customer.qb.company.quantity_on_hand("WIDGET-1") == Decimal(5)


def test_nothing_adjustable_fails_with_the_reasons_then_is_refused_up_front(customer: Customer) -> None:
    _ready(customer)
    send = _products(("GLOVES", 7), ("Welding", 3))
    job = _adjust(customer, send)
    assert job["status"] == "failed", job
    error = job["error"]
    assert "None of the products can be adjusted in QuickBooks" in error, job
    assert "'GLOVES' is a non-inventory part (ItemNonInventory)" in error and "'Welding' is a service item (ItemService)" in error
    assert customer.qb.company.inventory_adjustments == []

    # Now qbbridge knows the types from QuickBooks' answer: the same send is refused before queueing.
    before = len(jobs(customer))
    for url in ("/inventory", "/inventory?dry_run=true"):
        response = customer.api.post(customer.url(url), json=send)
        assert response.status_code == 422, response.text
        [detail] = response.json()["detail"]
        assert detail["loc"] == ["body", "products"]
        assert "'GLOVES' is a non-inventory part (ItemNonInventory)" in detail["msg"], detail
        assert "QuickBooks reported these types on" in detail["msg"], detail
    assert len(jobs(customer)) == before

    # One item whose type is unknown, or one that can be adjusted: QuickBooks' answer decides again.
    assert customer.api.post(customer.url("/inventory?dry_run=true"), json=_products(("GLOVES", 1), ("BAR-10", 2))).status_code == 200
    assert _adjust(customer, _products(("GLOVES", 1), ("WIDGET-1", 2)))["status"] == "succeeded"
    assert customer.qb.company.quantity_on_hand("WIDGET-1") == Decimal(2)


def test_the_dry_run_shows_the_lookup_then_the_adjustment(customer: Customer) -> None:
    _ready(customer)
    preview = customer.send("/inventory?dry_run=true", _products(("WIDGET-1", 1), ("GLOVES", 2)), expect=200)
    assert len(preview["qbxml"]) == 2
    assert "<ItemQueryRq" in preview["qbxml"][0] and "<FullName>GLOVES</FullName>" in preview["qbxml"][0]
    assert "<IncludeRetElement>FullName</IncludeRetElement>" in preview["qbxml"][0]
    assert "<InventoryAdjustmentAddRq" in preview["qbxml"][1]


def test_an_answer_older_than_seven_days_no_longer_refuses_up_front(customer: Customer) -> None:
    # QuickBooks can turn a non-inventory part into an inventory part: an old answer is not trusted.
    _ready(customer)
    send = _products(("GLOVES", 7))
    job = _adjust(customer, send)
    assert job["status"] == "failed"
    job_id = job["id"]
    assert customer.api.post(customer.url("/inventory?dry_run=true"), json=send).status_code == 422
    engine = create_engine(customer.server.database_url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE job_steps SET completed_at = :old WHERE job_id = (SELECT id FROM jobs WHERE public_id = :job)")
            .bindparams(bindparam("old", type_=UTCDateTime())),
            {"old": dt.datetime.now(dt.UTC) - dt.timedelta(days=7, minutes=5), "job": job_id},
        )
    engine.dispose()
    assert customer.api.post(customer.url("/inventory?dry_run=true"), json=send).status_code == 200
