"""Text and numbers QuickBooks would change, end to end: names it cannot store are refused before
anything is queued (never replaced by `?` or a look-alike), free text is made to fit with a warning on
the job, numbers with more decimal places than QuickBooks keeps are rounded with a warning or refused,
and hostile numbers are a 422 with the field path, never a 500. The send button, its dry run and the
events endpoint behave the same."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest

from tests.sends.conftest import INVENTORY, Customer
from tests.sends.test_send_edge_cases import counts, jobs, setup_quickbooks
from tests.support.payloads import PRODUCTION_ORDER, PURCHASE_ORDER, SALES_ORDER


def _with(payload: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``payload`` with ``path`` (dots, list indexes as numbers) set to ``value``."""
    changed = copy.deepcopy(payload)
    node: Any = changed
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(parts[-1]) if parts[-1].isdigit() else parts[-1]] = value
    return changed


def _three_ways(customer: Customer, path: str, entity: str, payload: dict[str, Any] | str) -> list[Any]:
    """The send button, its dry run and the event (not for inventory, which events never send): each
    answer's status and body. ``payload`` may be JSON text, to send numbers exactly as written."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    json_type = {"content-type": "application/json"}
    answers = []
    for url in (path, path + "?dry_run=true"):
        response = customer.api.post(customer.url(url), content=body, headers=json_type)
        answers.append((response.status_code, response.json()))
    if entity != "inventory":
        event = f'{{"entity": "{entity}", "action": "created", "data": {body}}}'
        response = customer.api.post(customer.url("/events"), content=event, headers=json_type)
        answers.append((response.status_code, response.json()))
    return answers


def _automatic(customer: Customer) -> None:
    customer.settings(
        {
            "sends": {flow: {"automatic": True} for flow in ("salesOrder", "purchaseOrder", "productionOrder")},
            "inventory": {"adjustmentAccount": "Inventory Adjustments"},
        }
    )


def _assert_refused(answers: list[Any], loc: list[Any], *phrases: str) -> None:
    for index, (status, body) in enumerate(answers):
        assert status == 422, (index, body)
        [detail] = body["detail"]
        where = ["body", "data", *loc] if index == 2 else ["body", *loc]
        assert detail["loc"] == where, (index, detail)
        for phrase in phrases:
            assert phrase in detail["msg"], (index, phrase, detail["msg"])


# --- names --------------------------------------------------------------------------------------

NAMES = [
    # (flow, endpoint, payload, field path, settings making that field a QuickBooks name)
    ("salesOrder", "/sales-orders", SALES_ORDER, "client.code", {}),
    ("salesOrder", "/sales-orders", SALES_ORDER, "rows.0.product.code", {}),
    ("salesOrder", "/sales-orders", SALES_ORDER, "marketplace.name", {"customerName": "marketplaceName"}),
    ("purchaseOrder", "/purchase-orders", PURCHASE_ORDER, "supplier.code", {}),
    ("productionOrder", "/production-orders", PRODUCTION_ORDER, "timeRecords.0.worker.name", {}),
    ("productionOrder", "/production-orders", PRODUCTION_ORDER, "timeRecords.0.operation.name", {}),
    ("productionOrder", "/production-orders", PRODUCTION_ORDER, "timeRecords.0.section.name", {}),
    ("productionOrder", "/production-orders", PRODUCTION_ORDER, "code", {}),
    ("inventory", "/inventory", INVENTORY, "products.0.customFields.QB Item", {"inventory": {"itemMatchCustomField": "QB Item"}}),
]


@pytest.mark.parametrize(("flow", "path", "payload", "field", "settings"), NAMES, ids=[f"{n[0]}:{n[3]}" for n in NAMES])
def test_a_name_quickbooks_cannot_store_is_refused_before_queueing(
    customer: Customer, flow: str, path: str, payload: dict[str, Any], field: str, settings: dict[str, Any]
) -> None:
    _automatic(customer)
    if settings:
        customer.settings(settings)
    before = counts(customer)
    answers = _three_ways(customer, path, flow, _with(payload, field, "Łódź 😀"))
    loc = [int(p) if p.isdigit() else p for p in field.split(".")]
    _assert_refused(answers, loc, "'Ł' (U+0141)", "U+1F600", "cannot store")
    assert jobs(customer) == []
    customer.sync()
    assert counts(customer) == before


def test_a_name_in_windows_1252_reaches_quickbooks_unchanged(customer: Customer) -> None:
    setup_quickbooks(customer, "<CustomerAddRq><CustomerAdd><Name>O’Brien – Café</Name></CustomerAdd></CustomerAddRq>")
    order = _with(SALES_ORDER, "client.code", "O’Brien – Café")
    job = customer.send("/sales-orders", order)
    assert not [w for w in job["warnings"] if "client.code" in w], job["warnings"]
    customer.sync_until_idle()
    assert customer.job(job["jobId"])["status"] == "succeeded"
    [sent] = customer.qb.company.sales_orders
    assert sent["CustomerRef"]["FullName"] == "O’Brien – Café"


def test_free_text_is_made_to_fit_with_a_warning_naming_the_field_and_the_change(customer: Customer) -> None:
    order = _with(SALES_ORDER, "observations", "Łódź – rush")
    answers = _three_ways(customer, "/sales-orders", "salesOrder", order)
    assert [status for status, _ in answers] == [202, 200, 200]  # the event: the flow is manual
    job = answers[0][1]
    expected = "observations: Memo: characters QuickBooks cannot store were changed: 'Ł' (U+0141) -> '?', 'ź' (U+017A) -> 'z', '–' (U+2013) -> '-'"
    assert expected in answers[1][1]["warnings"]
    customer.sync_until_idle()
    shown = customer.job(job["jobId"])
    assert shown["status"] == "succeeded" and expected in shown["warnings"], shown["warnings"]
    assert customer.qb.company.sales_orders[0]["Memo"] == "?ódz - rush"


# --- precision ----------------------------------------------------------------------------------


def test_a_number_rounded_without_material_change_is_sent_rounded_with_both_values(customer: Customer) -> None:
    order = _with(_with(SALES_ORDER, "rows.0.quantity", 1.234567), "rows.0.unitPrice", "12.4999999")
    job = customer.send("/sales-orders", order)
    expected = [
        "rows[0].quantity: Quantity was rounded from 1.234567 to 1.23457: QuickBooks keeps 5 decimal places",
        "rows[0].unitPrice: Rate was rounded from 12.4999999 to 12.5: QuickBooks keeps 5 decimal places",
    ]
    customer.sync_until_idle()
    shown = customer.job(job["jobId"])
    assert shown["status"] == "succeeded"
    for warning in expected:
        assert warning in shown["warnings"], shown["warnings"]
    [line] = customer.qb.company.sales_orders[0]["SalesOrderLineRet"]
    assert Decimal(line["Quantity"]) == Decimal("1.23457") and Decimal(line["Rate"]) == Decimal("12.5")


PRECISION = [
    ("salesOrder", "/sales-orders", SALES_ORDER, "rows.0.quantity", 0.000016, ["0.000016", "0.00002", "5 decimal places", "0.01 %"]),
    ("salesOrder", "/sales-orders", SALES_ORDER, "rows.0.quantity", 0.000004, ["0.000004", "would become 0", "5 decimal places"]),
    ("salesOrder", "/sales-orders", SALES_ORDER, "rows.0.unitPrice", 0.123456789 / 1000, ["0.000123456789", "0.00012", "0.01 %"]),
    ("purchaseOrder", "/purchase-orders", PURCHASE_ORDER, "rows.0.quantity", "0.0000049", ["0.0000049", "would become 0"]),
    ("inventory", "/inventory", INVENTORY, "products.0.quantity", 0.000001, ["0.000001", "would become 0", "5 decimal places"]),
]


@pytest.mark.parametrize(("flow", "path", "payload", "field", "value", "phrases"), PRECISION, ids=[f"{p[0]}:{p[3]}:{p[4]}" for p in PRECISION])
def test_a_material_rounding_is_refused_with_both_values(
    customer: Customer, flow: str, path: str, payload: dict[str, Any], field: str, value: Any, phrases: list[str]
) -> None:
    _automatic(customer)
    answers = _three_ways(customer, path, flow, _with(payload, field, value))
    _assert_refused(answers, [int(p) if p.isdigit() else p for p in field.split(".")], *phrases)
    assert jobs(customer) == []


# --- hostile numbers ----------------------------------------------------------------------------

HOSTILE = [
    ("salesOrder", "/sales-orders", SALES_ORDER, "rows.0.quantity", ["NaN", "Infinity", "-Infinity", "1e400", '"NaN"', "-0.0", '"-0"', "1e10", '"1e400"', "99999999999"]),
    ("salesOrder", "/sales-orders", SALES_ORDER, "rows.0.unitPrice", ["NaN", "1e400", "-0.0", '"-0"', "1e10", '"9e999999"']),
    ("salesOrder", "/sales-orders", SALES_ORDER, "client.code", ["NaN", "Infinity"]),
    ("salesOrder", "/sales-orders", SALES_ORDER, "customFields.Customer PO", ["NaN", "1e400"]),
    ("purchaseOrder", "/purchase-orders", PURCHASE_ORDER, "rows.0.unitPrice", ["Infinity", "-0.0", "12345678901.5"]),
    ("productionOrder", "/production-orders", PRODUCTION_ORDER, "timeRecords.0.duration", ["NaN", "1e400", "1e20", "-0.0"]),
    ("inventory", "/inventory", INVENTORY, "products.0.quantity", ["NaN", "1e400", "-0.0", '"-0"', "1e10"]),
]


@pytest.mark.parametrize(("flow", "path", "payload", "field", "values"), HOSTILE, ids=[f"{h[0]}:{h[3]}" for h in HOSTILE])
def test_hostile_numbers_are_a_422_with_the_field_path(
    customer: Customer, flow: str, path: str, payload: dict[str, Any], field: str, values: list[str]
) -> None:
    _automatic(customer)
    if field == "timeRecords.0.duration":
        payload = copy.deepcopy(payload)
        del payload["timeRecords"][0]["endTime"]
    marker = "\"@@HOSTILE@@\""
    template = json.dumps(_with(payload, field, "@@HOSTILE@@"))
    loc = [int(p) if p.isdigit() else p for p in field.split(".")]
    for value in values:
        answers = _three_ways(customer, path, flow, template.replace(marker, value))
        for index, (status, body) in enumerate(answers):
            assert status == 422, (value, index, body)
            where = ["body", "data", *loc] if index == 2 else ["body", *loc]
            assert [d["loc"] for d in body["detail"]] == [where], (value, index, body)
    assert jobs(customer) == []
