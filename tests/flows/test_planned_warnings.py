"""A send builds each request once: the planner's build is reused for the send's warnings when the
host's qbXML version is the one the planner built for, and gives what a second build would."""

from __future__ import annotations

from typing import Any

import pytest

import mapping.flows.validate as validate
from mapping.flows import FLOWS, validate_plan
from mapping.flows.context import PlanContext
from mapping.flows.validate import CHECK_VERSION, planned_warnings
from mapping.settings import merge_settings
from tests.flows.conftest import NOW, PRODUCTION_ORDER, PURCHASE_ORDER, RECEIVING, SALES_ORDER, TENANT, Links

SETTINGS = {
    "entityCodeCustomField": "Fusion Code",
    "customFieldsToQuickbooks": [{"quickbooks": "Customer PO", "fusion": "Customer PO"}],
    "createMissingItems": {"enabled": True, "incomeAccountFullName": "Sales"},
    "timesheets": {"createMissingEmployee": True, "createMissingCustomerJob": True},
    "inventory": {"adjustmentAccount": "Inventory Adjustments"},
}
# Text the builder changes (a character outside ISO-8859-1, a memo over 4095) gives warnings to compare.
CHANGED = "Rush ✓ " + "x" * 5000
CASES: dict[str, dict[str, Any]] = {
    "salesOrder": {**SALES_ORDER, "observations": CHANGED},
    "purchaseOrder": {**PURCHASE_ORDER, "observations": CHANGED},
    "receiving": {**RECEIVING, "observations": CHANGED},
    "productionOrder": PRODUCTION_ORDER,
    "inventory": {"products": [{"code": "WIDGET-1", "quantity": 4}], "adjustmentMemo": CHANGED},
}


def _plan(flow: str) -> Any:
    spec = FLOWS[flow]
    links = Links()
    links.add("purchaseOrder", "PO-2001", PURCHASE_ORDER, qb_type="PurchaseOrder", txn_id="10-1")
    return spec.planner(
        spec.model.model_validate(CASES[flow]),
        merge_settings(None, SETTINGS),
        PlanContext(tenant_id=TENANT, now=NOW, link_lookup=links),
    )


@pytest.mark.parametrize("flow", sorted(CASES))
@pytest.mark.parametrize("version", [CHECK_VERSION, "8.0", "6.0"])
def test_the_warnings_are_those_of_a_second_build(flow: str, version: str) -> None:
    assert planned_warnings(_plan(flow), version) == validate_plan(_plan(flow), version)


def test_at_the_planners_version_nothing_is_built_again(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = _plan("salesOrder")
    assert planned_warnings(plan, CHECK_VERSION)  # the changed memo

    def no_build(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("built again")

    monkeypatch.setattr(validate, "build_message_set", no_build)
    assert planned_warnings(plan, CHECK_VERSION)
    with pytest.raises(AssertionError, match="built again"):
        planned_warnings(plan, "8.0")
