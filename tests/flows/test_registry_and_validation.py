"""The flow registry, plan storage round trip, and the dry run's validate_plan."""

from __future__ import annotations

from typing import get_args

import pytest

from api.sends import EventIn
from mapping.entities import SalesOrder
from mapping.flows import FLOWS, plan_sales_order, validate_plan
from mapping.flows.validate import set_path
from mapping.plan import PlanError, PlannedStep
from mapping.settings import Settings
from tests.flows.conftest import PAYLOADS, payload
from tests.support.payloads import SALES_ORDER, SHIPPING

# The request that creates each flow's document (FlowSpec.qb_document names it for people).
DOCUMENT_REQUESTS = {
    "salesOrder": "SalesOrderAdd",
    "purchaseOrder": "PurchaseOrderAdd",
    "receiving": "BillAdd",
    "shipping": "InvoiceAdd",
    "productionOrder": "TimeTrackingAdd",
    "inventory": "InventoryAdjustmentAdd",
}


def test_registry_covers_the_six_flows():
    assert set(FLOWS) == set(PAYLOADS)
    # The admin API's event route accepts exactly the registered flows.
    assert set(get_args(EventIn.model_fields["entity"].annotation)) == set(FLOWS)
    # Each flow has its own settings, payload model and planner: a copied entry would share one.
    sends = Settings().sends.model_dump(by_alias=True)
    assert {spec.settings_key for spec in FLOWS.values()} == set(sends)
    assert len({spec.model for spec in FLOWS.values()}) == len(FLOWS)
    assert len({spec.planner for spec in FLOWS.values()}) == len(FLOWS)


@pytest.mark.parametrize("flow", list(PAYLOADS))
def test_each_flow_plans_its_own_payload(flow, ctx):
    spec = FLOWS[flow]
    settings = Settings.model_validate({"inventory": {"adjustmentAccount": "Adjustments"}})
    plan = spec.planner(spec.model.model_validate(PAYLOADS[flow]), settings, ctx)
    requests = [type(step.request).__name__ for step in plan.steps]
    # The document the flow exists for is among what it sends (what messages call qb_document).
    assert DOCUMENT_REQUESTS[flow] in requests, requests


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
