"""Every explanation is true and well written: each entry of the error catalogue, for every flow and
every request type that flow sends, under default and all-on settings, names only settings that exist
(by their name as users see it and their API key), that apply to that flow and that would change its
outcome, and reads as a sentence (capitalised, full stop, no doubled article, no verb used as a noun,
no repeated clause)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest

from mapping.entities import Receiving, Shipping
from mapping.explain import explain_connection_error, explain_hresult, explanation_of
from mapping.flows import FLOWS
from mapping.flows.context import PlanContext
from mapping.plan import Plan, PlanError
from mapping.sending import plan_entity
from mapping.settings import Settings, merge_settings, setting_shown, setting_value
from responses_parser.catalogue import HRESULTS, OBJECT_TYPES, STATUS_CODES, Explanation
from tests.flows.conftest import INVENTORY, NOW, TENANT, Links
from tests.support.payloads import PRODUCTION_ORDER, PURCHASE_ORDER, RECEIVING, SALES_ORDER, SHIPPING
from tests.support.sentences import grammar_problems

# Each with the custom field the settings below copy, so that setting has something to change.
_COPIED = {"customFields": {"Customer PO": "PO-77"}}
PAYLOADS: dict[str, dict[str, Any]] = {
    "salesOrder": SALES_ORDER,
    "purchaseOrder": {**PURCHASE_ORDER, **_COPIED},
    "receiving": {**RECEIVING, **_COPIED},
    "shipping": {**SHIPPING, **_COPIED},
    "productionOrder": PRODUCTION_ORDER,
    "inventory": INVENTORY,
}
BASE = {"inventory": {"adjustmentAccount": "Inventory Adjustments"}}
ALL_ON = {
    **BASE,
    "entityCodeCustomField": "Fusion Code",
    "customFieldsToQuickbooks": [{"quickbooks": "Customer PO", "fusion": "Customer PO"}],
    "createMissingItems": {"enabled": True, "incomeAccountFullName": "Sales"},
    "timesheets": {"createMissingEmployee": True, "createMissingCustomerJob": True},
}
STATES = {"defaults": BASE, "all on": ALL_ON}
# How to give each setting an explanation may name another value than in either state above: the
# flow's plan must then change (the setting changes the outcome of that flow).
OTHER_VALUE: dict[str, dict[str, Any]] = {
    "customerName": {"customerName": "marketplaceName"},
    "createMissingItems.enabled": {"createMissingItems": {"enabled": True, "incomeAccountFullName": "Sales"}},
    "timesheets.createMissingEmployee": {"timesheets": {"createMissingEmployee": True}},
    "timesheets.createMissingCustomerJob": {"timesheets": {"createMissingCustomerJob": True}},
    "timesheets.customerJob": {"timesheets": {"customerJob": "operationName"}},
    "timesheets.serviceItem": {"timesheets": {"serviceItem": "sectionName"}},
    "timesheets.payrollItem": {"timesheets": {"payrollItem": "operationName"}},
    "inventory.adjustmentAccount": {"inventory": {"adjustmentAccount": "Shrinkage"}},
    "entityCodeCustomField": {"entityCodeCustomField": "Other Code"},
    "customFieldsToQuickbooks": {"customFieldsToQuickbooks": [{"quickbooks": "Other", "fusion": "Customer PO"}]},
}


def _links() -> Links:
    links = Links()
    links.add("purchaseOrder", "PO-2001", PURCHASE_ORDER, qb_type="PurchaseOrder", txn_id="10-1")
    links.add("salesOrder", "SO-1001", SALES_ORDER, qb_type="SalesOrder", txn_id="20-1")
    return links


def _merged(*patches: dict[str, Any]) -> Settings:
    settings = merge_settings(None, {})
    for patch in patches:
        settings = merge_settings(settings.model_dump(by_alias=True, mode="json"), patch)
    return settings


def _plan(flow: str, settings: Settings) -> Plan:
    spec = FLOWS[flow]
    context = PlanContext(tenant_id=TENANT, now=NOW, link_lookup=_links())
    return plan_entity(flow, spec.model.model_validate(PAYLOADS[flow]), settings, context)


@cache
def _requests(flow: str, state: str, patch_key: str | None = None) -> tuple[str, ...]:
    settings = _merged(STATES[state], OTHER_VALUE[patch_key]) if patch_key else _merged(STATES[state])
    return tuple(repr(step.to_intent()["request"]) for step in _plan(flow, settings).steps)


def _catalogue_cases(request_type: str) -> list[tuple[int, str, str]]:
    """(code, message, severity) for every entry of the catalogue, with the messages QuickBooks sends."""
    base = re.sub(r"(Add|Mod|Query)$", "", request_type)
    cases: list[tuple[int, str, str]] = []
    for code in (*STATUS_CODES, 2, 499, 502, 999, 1500, 2500, 3050, 3099, 3262, 3500, 9000, 9150):
        severity = "Info" if code < 500 else "Warn" if code < 1000 else "Error"
        for message in ("", 'Something about "X-1" happened.  QuickBooks error message: It failed.'):
            cases.append((code, message, severity))
    for object_type in OBJECT_TYPES:
        for where in (base, f"{base} line"):
            message = f'There is an invalid reference to QuickBooks {object_type} "X-1" in the {where}.'
            cases.append((3140, message + "  QuickBooks error message: Invalid argument.", "Error"))
    for code in (3170, 3180):
        cases += [
            (code, 'There was an error when saving a Customer list, element "Newcastle".  QuickBooks error '
             "message: This list has been modified by another user.", "Error"),
            (code, "There was an error when saving a Invoice.  QuickBooks error message: The period is closed.", "Error"),
        ]  # fmt: skip
    cases.append((3120, 'Object "Fusion Code" specified in the request cannot be found.', "Error"))
    return cases


# --- sentences ------------------------------------------------------------------------------------


def test_the_grammar_check_catches_the_sentences_qbbridge_used_to_write() -> None:
    for bad in (
        'QuickBooks could not save the this sales order because someone else is editing it.',
        "Purchase order PO-1 has not been sent, so there is nothing to receiving to bill against.",
        "The Web Connector could not open QuickBooks: The Web Connector could not start QuickBooks.",
        "QuickBooks has no item, create it",
        "quickBooks has a inventory item.",
    ):
        assert grammar_problems(bad), bad


# --- settings named -------------------------------------------------------------------------------

_OFFER = re.compile(r'(turn on|turn off|choose another|change|set) "([^"]+)"( \(setting ([\w.]+)\))?')


def _check_settings(flow: str, state: str, settings: Settings, explanation: Explanation) -> list[str]:
    problems = []
    text = explanation.text
    named = {m.key for m in explanation.settings}
    for verb, label, with_key, key in _OFFER.findall(text):
        if not with_key:
            problems.append(f'{verb} "{label}" without its API key')
        elif key not in named:
            problems.append(f"{key} named in the text but not in the explanation's settings")
    if text.count("(setting ") != len(explanation.settings):
        problems.append("a setting named in the text that the explanation does not carry")
    for mention in explanation.settings:
        try:
            shown = setting_shown(mention.key)
        except KeyError as exc:
            problems.append(f"no such setting: {exc}")
            continue
        if mention.label != shown["label"] or f'"{mention.label}" (setting {mention.key})' not in text:
            problems.append(f"{mention.key} not named as users see it ({shown['label']!r})")
        if flow not in shown["flows"]:
            problems.append(f"{mention.key} does not apply to {flow}")
        if mention.turn_on and setting_value(settings, mention.key) is not False:
            problems.append(f"{mention.key} offered to turn on but it is on")
        if mention.key not in OTHER_VALUE:
            problems.append(f"{mention.key}: add how to change it to OTHER_VALUE")
        elif _requests(flow, state, mention.key) == _requests(flow, state):
            problems.append(f"{mention.key} changes nothing in the {flow} plan")
    for text_label in re.findall(r"Create missing \w+(?: \w+)?", text):
        if not any(text_label.startswith(m.label) for m in explanation.settings):
            problems.append(f"names {text_label!r} without offering it")
    return problems


@pytest.mark.parametrize("state", sorted(STATES))
@pytest.mark.parametrize("flow", sorted(PAYLOADS))
def test_every_catalogue_entry_for_every_request_of_every_flow(flow: str, state: str) -> None:
    settings = _merged(STATES[state])
    plan = _plan(flow, settings)
    request_types = {type(step.request).__name__: step for step in plan.steps}
    assert request_types, flow
    problems: list[str] = []
    offered: set[str] = set()
    for request_type, step in request_types.items():
        for code, message, severity in _catalogue_cases(request_type):
            explanation = explanation_of(
                code, message, severity=severity, request_type=request_type, remedies=step.remedies
            )
            for problem in grammar_problems(explanation.text) + _check_settings(flow, state, settings, explanation):
                problems.append(f"{request_type} {code} {message[:50]!r}: {problem}: {explanation.text}")
            offered |= {m.key for m in explanation.settings}
    assert problems == []
    if (flow, state) in {("purchaseOrder", "defaults"), ("productionOrder", "defaults")}:
        assert offered, "the ways out the settings give are offered where they exist"


def test_the_ways_out_are_offered_where_the_settings_give_them() -> None:
    message = 'There is an invalid reference to QuickBooks {} "X-1" in the {}.'

    def text(flow: str, state: str, object_type: str, where: str) -> str:
        plan = _plan(flow, _merged(STATES[state]))
        step = next(s for s in plan.steps if type(s.request).__name__ == f"{where}Add")
        return explanation_of(
            3140, message.format(object_type, where), severity="Error", request_type=f"{where}Add", remedies=step.remedies
        ).text

    assert '"Create missing items" (setting createMissingItems.enabled)' in text("purchaseOrder", "defaults", "Item", "PurchaseOrder")
    # A sales order's items are never created: offering "Create missing items" there would be false.
    assert "Create missing" not in text("salesOrder", "defaults", "Item", "SalesOrder")
    assert "Create missing" not in text("salesOrder", "defaults", "Customer", "SalesOrder")
    assert '"Quickbooks Customer Name" (setting customerName)' in text("salesOrder", "defaults", "Customer", "SalesOrder")
    assert '"Create missing employee" (setting timesheets.createMissingEmployee)' in text(
        "productionOrder", "defaults", "Employee", "TimeTracking"
    )
    # Already on: turning it on would change nothing, so it is not offered.
    assert "Create missing employee" not in text("productionOrder", "all on", "Employee", "TimeTracking")


def test_a_custom_field_quickbooks_lacks_is_explained_as_such() -> None:
    plan = _plan("salesOrder", _merged(ALL_ON))
    step = next(s for s in plan.steps if type(s.request).__name__ == "DataExtAdd")
    text = explanation_of(
        3120, 'Object "Fusion Code" specified in the request cannot be found.', severity="Error",
        request_type="DataExtAdd", remedies=step.remedies,
    ).text  # fmt: skip
    assert text.startswith('QuickBooks has no custom field "Fusion Code"'), text
    assert "re-link" not in text.lower() and "Re-link" not in text
    assert '"Save Fusion Operations Entity Code to Quickbooks Custom Field" (setting entityCodeCustomField)' in text


@pytest.mark.parametrize("hresult", [*HRESULTS, "0x80049999", "-2147220472", ""])
@pytest.mark.parametrize("message", ["", "Could not start QuickBooks."])
def test_every_web_connector_error_reads_as_sentences(hresult: str, message: str) -> None:
    for text in (explain_hresult(hresult, message), explain_connection_error(hresult, message)):
        assert grammar_problems(text) == [], text
        assert "(setting " not in text and "in qbbridge" not in text.replace("allow qbbridge", "")


def test_a_connection_error_says_once_what_happened() -> None:
    text = explain_connection_error("0x80040408", "Could not start QuickBooks.")
    assert text.count("could not") == 1 and text.count("QuickBooks:") == 0, text
    assert text.endswith("Web Connector error code: 0x80040408.")


@pytest.mark.parametrize(("model", "payload", "noun", "verb"), [(Receiving, RECEIVING, "purchase order", "bill"), (Shipping, SHIPPING, "sales order", "invoice")])
def test_a_movement_of_an_order_never_sent_is_refused_in_plain_words(model: Any, payload: Any, noun: str, verb: str) -> None:
    flow = "receiving" if model is Receiving else "shipping"
    with pytest.raises(PlanError) as caught:
        plan_entity(flow, model.model_validate(payload), _merged(BASE), PlanContext(tenant_id=TENANT, now=NOW, link_lookup=Links()))
    message = caught.value.message
    assert f"so there is no {noun} there to {verb} this {flow} against" in message, message
    assert grammar_problems(message[0].upper() + message[1:] + ".") == [], message
