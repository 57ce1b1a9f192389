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
from tests.flows.conftest import NOW, TENANT, Links
from tests.support.payloads import PRODUCTION_ORDER, PURCHASE_ORDER, RECEIVING, SALES_ORDER

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
def test_the_warnings_are_those_of_a_second_build(flow: str) -> None:
    # At the planner's version the recorded warnings are used; a fresh build must say the same.
    warnings = planned_warnings(_plan(flow), CHECK_VERSION)
    assert warnings == validate_plan(_plan(flow), CHECK_VERSION)
    if flow != "productionOrder":  # its payload has no text the builder changes
        assert warnings


@pytest.mark.parametrize("flow", sorted(CASES))
@pytest.mark.parametrize("version", ["8.0", "6.0"])
def test_below_the_planners_version_the_warnings_are_that_versions(flow: str, version: str) -> None:
    # The planner's record (made at CHECK_VERSION) would leave out what an older QuickBooks lacks:
    # every flow sends a document with an ExternalGUID, which qbXML before 9.0 cannot carry.
    plan = _plan(flow)
    at_planners = planned_warnings(plan, CHECK_VERSION)
    older = planned_warnings(plan, version)
    assert [w for w in older if w in at_planners] == at_planners
    added = [w for w in older if w not in at_planners]
    assert added and all(w.endswith("external_guid: ExternalGUID left out: it needs qbXML 9.0") for w in added)


def test_at_the_planners_version_nothing_is_built_again(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = _plan("salesOrder")
    assert planned_warnings(plan, CHECK_VERSION)  # the changed memo

    def no_build(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("built again")

    monkeypatch.setattr(validate, "build_message_set", no_build)
    assert planned_warnings(plan, CHECK_VERSION)
    with pytest.raises(AssertionError, match="built again"):
        planned_warnings(plan, "8.0")
