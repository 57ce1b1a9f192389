"""The flow registry, plan storage round trip, and the dry run's validate_plan."""

from __future__ import annotations

import pytest

from mapping.entities import SalesOrder
from mapping.flows import FLOWS, plan_sales_order, validate_plan
from mapping.flows.validate import set_path
from mapping.plan import PlanError, PlannedStep
from mapping.settings import Settings
from tests.flows.conftest import (
    INVENTORY,
    PRODUCTION_ORDER,
    PURCHASE_ORDER,
    RECEIVING,
    SALES_ORDER,
    SHIPPING,
    payload,
)

PAYLOADS = {
    "salesOrder": SALES_ORDER,
    "purchaseOrder": PURCHASE_ORDER,
    "receiving": RECEIVING,
    "shipping": SHIPPING,
    "productionOrder": PRODUCTION_ORDER,
    "inventory": INVENTORY,
}


def test_registry_covers_the_six_flows():
    assert set(FLOWS) == set(PAYLOADS)
    sends = Settings().sends.model_dump(by_alias=True)
    for name, spec in FLOWS.items():
        assert spec.name == name and spec.settings_key in sends


@pytest.mark.parametrize("flow", list(PAYLOADS))
def test_plans_survive_storage_and_validate(flow, ctx):
    spec = FLOWS[flow]
    settings = Settings.model_validate({"inventory": {"adjustmentAccount": "Adjustments"}})
    plan = spec.planner(spec.model.model_validate(PAYLOADS[flow]), settings, ctx)
    stored = [PlannedStep.from_intent(step.to_intent()) for step in plan.steps]
    assert [s.to_intent() for s in stored] == [s.to_intent() for s in plan.steps]
    assert validate_plan(plan) == []


def test_validate_plan_reports_warnings_by_step(ctx):
    plan = plan_sales_order(
        SalesOrder.model_validate(payload(SALES_ORDER, observations="Ł" * 3)), Settings(), ctx
    )
    warnings = validate_plan(plan)
    assert warnings and warnings[0].startswith("step 1 (Create the sales order SO-1001")


def test_validate_plan_for_an_old_host_warns_about_external_guid(ctx):
    plan = plan_sales_order(SalesOrder.model_validate(SALES_ORDER), Settings(), ctx)
    assert any("ExternalGUID" in w for w in validate_plan(plan, version="8.0"))


def test_validate_plan_refuses_what_the_host_cannot_take(ctx):
    spec = FLOWS["shipping"]
    plan = spec.planner(spec.model.model_validate(SHIPPING), Settings(), ctx)
    # Linking an invoice to a sales order needs qbXML 6.0.
    with pytest.raises(PlanError) as info:
        validate_plan(plan, version="5.0")
    assert info.value.field.startswith("steps[0].")


def test_set_path_creates_list_slots_and_objects():
    data: dict = {}
    set_path(data, "link_to_txn_ids.0", "1-1")
    set_path(data, "customer.list_id", "2-2")
    assert data == {"link_to_txn_ids": ["1-1"], "customer": {"list_id": "2-2"}}
