"""Production orders become one time entry per time record, with every timesheet option."""

from __future__ import annotations

import datetime as dt

import pytest

from mapping.entities import ProductionOrder
from mapping.flows import plan_production_order
from mapping.flows.naming import external_guid
from mapping.plan import LinkKey, PlanError
from requests_builder import CustomerAdd, EmployeeAdd, TimeTrackingAdd, TimeTrackingQuery
from tests.flows.conftest import TENANT, payload, schema_errors, settings
from tests.support.payloads import PRODUCTION_ORDER

SOURCES = ["orderCode", "orderDescription", "operationName", "sectionName"]
VALUES = {
    "orderCode": "MO-301",
    "orderDescription": "Widgets for Acme",
    "operationName": "Welding",
    "sectionName": "Fabrication",
}


def _two_records():
    data = payload(PRODUCTION_ORDER)
    data["timeRecords"].append(
        {"worker": {"number": "18", "name": "Bo Li"}, "operation": {"name": "Paint"}, "section": {"name": "Finish"},
         "startTime": "2026-11-26T03:00:00Z", "duration": 45}
    )  # fmt: skip
    return data


def _plan(ctx, data=None, **timesheets):
    return plan_production_order(
        ProductionOrder.model_validate(data or PRODUCTION_ORDER), settings(timesheets=timesheets), ctx
    )


def test_defaults(ctx, schema13):
    plan = _plan(ctx, _two_records())
    assert plan.link == LinkKey("productionOrder", "MO-301")
    assert [type(s.request) for s in plan.steps] == [TimeTrackingAdd, TimeTrackingAdd]
    first, second = (s.request for s in plan.steps)
    assert first.entity.full_name == "Ana Ruiz"
    assert first.customer.full_name == "ACME:MO-301"
    assert first.item_service.full_name == "Welding"
    assert first.payroll_item_wage.full_name == "Fabrication"
    assert first.duration == dt.timedelta(hours=2, minutes=30)
    assert first.txn_date == dt.date(2026, 11, 25)
    assert first.billable_status == "NotBillable"
    assert first.notes == "Welding / Fabrication"
    assert second.duration == dt.timedelta(minutes=45)
    # 03:00 UTC on Nov 26 is still Nov 25 in the company's time zone.
    assert second.txn_date == dt.date(2026, 11, 25)
    assert first.external_guid == external_guid(TENANT, "productionOrder", "MO-301", "0")
    assert second.external_guid == external_guid(TENANT, "productionOrder", "MO-301", "1")
    for step in plan.steps:
        assert step.creates_link and step.purpose == "document"
        assert isinstance(step.reconcile.lookups[0].query, TimeTrackingQuery)
        assert step.reconcile.lookups[0].match == {"external_guid": step.request.external_guid}
    assert plan.steps[0].reconcile.lookups[0].query.entity_filter.full_names == ["Ana Ruiz"]
    assert schema_errors(schema13, plan) == []


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("option", ["customerJob", "serviceItem", "payrollItem"])
def test_each_source_of_each_option(option, source, ctx, schema13):
    plan = _plan(ctx, **{option: source})
    request = plan.steps[0].request
    value = VALUES[source]
    if option == "customerJob":
        assert request.customer.full_name == f"ACME:{value}"
    elif option == "serviceItem":
        assert request.item_service.full_name == value
    else:
        assert request.payroll_item_wage.full_name == value
    assert schema_errors(schema13, plan) == []


def test_billable(ctx):
    assert _plan(ctx, billable=True).steps[0].request.billable_status == "Billable"


def test_missing_employees_and_jobs_are_created_first(ctx, schema13):
    data = _two_records()
    data["timeRecords"].append(dict(data["timeRecords"][0]))
    plan = _plan(
        ctx, data, createMissingEmployee=True, createMissingCustomerJob=True, customerJob="sectionName"
    )
    kinds = [type(s.request) for s in plan.steps]
    assert kinds == [
        EmployeeAdd,
        EmployeeAdd,
        CustomerAdd,
        CustomerAdd,
        TimeTrackingAdd,
        TimeTrackingAdd,
        TimeTrackingAdd,
    ]
    ana, bo = plan.steps[0].request, plan.steps[1].request
    assert (ana.first_name, ana.last_name) == ("Ana", "Ruiz")
    assert (bo.first_name, bo.last_name) == ("Bo", "Li")
    jobs = [s.request for s in plan.steps[2:4]]
    assert [(j.name, j.parent.full_name) for j in jobs] == [("Fabrication", "ACME"), ("Finish", "ACME")]
    for step in plan.steps[:4]:
        assert step.purpose == "ensure" and step.accept_status == frozenset({3100})
        assert not step.creates_link
    assert schema_errors(schema13, plan) == []


def test_nothing_extra_when_creation_is_off(ctx):
    assert [type(s.request) for s in _plan(ctx).steps] == [TimeTrackingAdd]


def test_a_one_word_worker_is_a_last_name(ctx):
    data = payload(PRODUCTION_ORDER)
    data["timeRecords"][0]["worker"]["name"] = "Madonna"
    employee = _plan(ctx, data, createMissingEmployee=True).steps[0].request
    assert (employee.first_name, employee.last_name) == (None, "Madonna")


def test_a_worker_name_too_long_for_an_employee_is_refused(ctx):
    data = payload(PRODUCTION_ORDER)
    data["timeRecords"][0]["worker"]["name"] = "Ana " + "R" * 26
    with pytest.raises(PlanError) as info:
        _plan(ctx, data, createMissingEmployee=True)
    assert info.value.field == "timeRecords[0].worker.name"


def test_job_under_the_customer_of_its_sales_order(ctx):
    data = {k: v for k, v in PRODUCTION_ORDER.items() if k != "client"} | {"salesOrder": {"code": "SO-1001"}}
    assert _plan(ctx, data).steps[0].request.customer.full_name == "ACME:MO-301"


def test_job_without_client_nor_linked_order_is_a_customer_of_its_own(ctx, links):
    links.links.clear()
    data = {k: v for k, v in PRODUCTION_ORDER.items() if k != "client"} | {"salesOrder": {"code": "SO-9"}}
    plan = _plan(ctx, data, createMissingCustomerJob=True)
    assert plan.steps[-1].request.customer.full_name == "MO-301"
    assert plan.steps[0].request.parent is None
    assert any("SO-9" in w for w in plan.warnings)


def test_description_source_without_description_is_refused(ctx):
    with pytest.raises(PlanError) as info:
        _plan(ctx, payload(PRODUCTION_ORDER, description=None), serviceItem="orderDescription")
    assert info.value.field == "description"


def test_durations_are_whole_seconds(ctx):
    data = payload(PRODUCTION_ORDER)
    data["timeRecords"][0]["endTime"] = "2026-11-25T08:00:10.600Z"
    assert _plan(ctx, data).steps[0].request.duration == dt.timedelta(seconds=11)
