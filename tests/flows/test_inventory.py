"""Inventory: one adjustment setting new quantities, with every inventory option."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from mapping.entities import InventorySend
from mapping.flows import plan_inventory
from mapping.plan import LineFilter, PlanError, PlannedStep
from requests_builder import InventoryAdjustmentAdd, InventoryAdjustmentQuery, ItemQuery
from tests.flows.conftest import INVENTORY, schema_errors, settings

ACCOUNT = {"adjustmentAccount": "Inventory Adjustments"}
PRODUCTS = {
    "products": [
        {
            "code": "WIDGET-1",
            "quantity": 42,
            "tags": ["quickbooks"],
            "customFields": {"QB Item": "Widgets:Blue"},
        },
        {"code": "BAR-10", "quantity": 0, "tags": []},
        {"code": "ROD-5", "quantity": 7.5, "tags": ["QUICKBOOKS", "metal"], "customFields": {"QB Item": ""}},
    ]
}


def _plan(ctx, data=None, **inventory):
    return plan_inventory(InventorySend.model_validate(data or PRODUCTS), settings(inventory=inventory), ctx)


def test_defaults(ctx, schema13):
    plan = _plan(ctx, **ACCOUNT)
    assert plan.link is None and plan.flow == "inventory"
    [lookup, step] = plan.steps
    # First QuickBooks is asked which items keep a quantity; the adjustment keeps only those.
    assert isinstance(lookup.request, ItemQuery) and lookup.purpose == "lookup" and lookup.safe_to_repeat
    assert lookup.request.full_names == ["WIDGET-1", "BAR-10", "ROD-5"]
    assert lookup.request.include_ret_elements == ["FullName"]
    assert [(i.name, i.field, i.product) for i in lookup.item_check.items] == [
        ("WIDGET-1", "products[0].code", "WIDGET-1"), ("BAR-10", "products[1].code", "BAR-10"),
        ("ROD-5", "products[2].code", "ROD-5"),
    ]  # fmt: skip
    assert step.line_filter == LineFilter(step=0)
    assert PlannedStep.from_intent(step.to_intent()).line_filter == LineFilter(step=0)
    assert PlannedStep.from_intent(lookup.to_intent()).item_check == lookup.item_check
    request = step.request
    assert isinstance(request, InventoryAdjustmentAdd)
    assert request.account.full_name == "Inventory Adjustments"
    assert request.memo is None
    assert request.txn_date == dt.date(2026, 12, 4)
    assert [(line.item.full_name, line.quantity_adjustment.new_quantity) for line in request.lines] == [
        ("WIDGET-1", Decimal(42)), ("BAR-10", Decimal(0)), ("ROD-5", Decimal("7.5"))
    ]  # fmt: skip
    assert isinstance(step.reconcile.lookups[0].query, InventoryAdjustmentQuery)
    assert step.reconcile.lookups[0].match == {"external_guid": request.external_guid}
    assert schema_errors(schema13, plan) == []


def test_memo(ctx):
    assert (
        _plan(ctx, adjustmentMemo="Fusion Operations", **ACCOUNT).steps[-1].request.memo == "Fusion Operations"
    )


def test_no_account_is_refused(ctx):
    with pytest.raises(PlanError) as info:
        _plan(ctx)
    assert info.value.field == "settings.inventory.adjustmentAccount"
    assert "Adjustment Account" in info.value.message


def test_options_given_with_the_send_win(ctx):
    data = PRODUCTS | {"adjustmentAccount": "Shrinkage", "adjustmentMemo": "Count"}
    request = _plan(ctx, data, **ACCOUNT).steps[-1].request
    assert (request.account.full_name, request.memo) == ("Shrinkage", "Count")


def test_only_tagged_products_case_insensitive(ctx):
    plan = _plan(ctx, onlyTaggedProducts=True, **ACCOUNT)
    assert [line.item.full_name for line in plan.steps[-1].request.lines] == ["WIDGET-1", "ROD-5"]
    assert any("BAR-10" in w for w in plan.warnings)


def test_only_tagged_products_with_none_tagged_is_refused(ctx):
    with pytest.raises(PlanError) as info:
        _plan(ctx, onlyTaggedProducts=True, tag="Sync", **ACCOUNT)
    assert info.value.field == "products"


def test_item_match_custom_field_with_code_fallback(ctx, schema13):
    plan = _plan(ctx, itemMatchCustomField="QB Item", **ACCOUNT)
    assert [line.item.full_name for line in plan.steps[-1].request.lines] == [
        "Widgets:Blue",
        "BAR-10",
        "ROD-5",
    ]
    assert sum("its code is used" in w for w in plan.warnings) == 2
    assert schema_errors(schema13, plan) == []


def test_two_products_for_one_item_are_refused(ctx):
    data = {
        "products": [
            {"code": "A", "quantity": 1, "customFields": {"QB Item": "X"}},
            {"code": "X", "quantity": 2},
        ]
    }
    with pytest.raises(PlanError) as info:
        _plan(ctx, data, itemMatchCustomField="QB Item", **ACCOUNT)
    assert info.value.field == "products[1].code"


def test_a_single_product_send(ctx):
    plan = _plan(ctx, INVENTORY["products"][0], **ACCOUNT)
    assert len(plan.steps[-1].request.lines) == 1


def test_each_send_is_its_own_adjustment(ctx):
    from dataclasses import replace

    first = _plan(ctx, **ACCOUNT).steps[-1].request.external_guid
    later = replace(ctx, now=ctx.now + dt.timedelta(minutes=5))
    assert _plan(later, **ACCOUNT).steps[-1].request.external_guid != first
    assert _plan(ctx, **ACCOUNT).steps[-1].request.external_guid == first
