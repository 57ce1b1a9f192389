"""Production Order (Fusion Operations) creates Timesheet Entries (QuickBooks): one per time record."""

from __future__ import annotations

import datetime as dt

from mapping.entities import ProductionOrder, SalesOrder, TimeRecord
from mapping.flows.assembly import PlanBuilder
from mapping.flows.context import PlanContext
from mapping.flows.naming import ancestors, customer_name, external_guid, local_day, split_full_name
from mapping.flows.reconcile import reconcile_time
from mapping.plan import LinkKey, Plan, PlanError, PlannedStep
from mapping.settings import Settings, TimesheetSource
from requests_builder import CustomerAdd, EmployeeAdd, Ref, TimeTrackingAdd
from requests_builder.fields import unstorable

FLOW = "productionOrder"
NAME_IN_USE = 3100
# EmployeeAdd FirstName/LastName hold at most 25 characters each.
PERSON_NAME_MAX = 25


def _source(
    order: ProductionOrder, record: TimeRecord, source: TimesheetSource, index: int
) -> tuple[str, str]:
    """The value of a timesheet option for one record, and its payload path."""
    if source == "orderCode":
        return order.code, "code"
    if source == "orderDescription":
        if not order.description:
            raise PlanError(
                "description",
                f"production order {order.code} has no description, which the timesheet settings use: give "
                "it a description, or choose another source",
            )
        return order.description, "description"
    if source == "operationName":
        return record.operation.name, f"timeRecords[{index}].operation.name"
    return record.section.name, f"timeRecords[{index}].section.name"


def _parent_customer(
    order: ProductionOrder, settings: Settings, ctx: PlanContext, builder: PlanBuilder
) -> str | None:
    """The customer the job belongs to: the order's client, or the customer of its sales order."""
    if order.client is not None:
        return order.client.code
    if order.sales_order is None:
        return None
    link = ctx.link_lookup("salesOrder", order.sales_order.code)
    if link is not None and link.data:
        try:
            return customer_name(SalesOrder.model_validate(link.data), settings)[0]
        except (ValueError, PlanError):
            pass
    builder.warn(
        f"salesOrder.code: sales order {order.sales_order.code} is not in QuickBooks, so the job is not "
        "placed under its customer"
    )
    return None


def _employee(name: str, index: int) -> EmployeeAdd:
    # QuickBooks names an employee "First Last"; the last word is the last name, so the full name it
    # builds is the worker name we refer to.
    first, _, last = name.rpartition(" ")
    for part in (first, last):
        if len(part) > PERSON_NAME_MAX:
            raise PlanError(
                f"timeRecords[{index}].worker.name",
                f"{name!r} cannot be created as a QuickBooks employee: first and last names hold at most "
                f"{PERSON_NAME_MAX} characters; create the employee in QuickBooks, or shorten the name",
            )
    return EmployeeAdd(first_name=first or None, last_name=last)


def _whole_seconds(duration: dt.timedelta) -> dt.timedelta:
    return dt.timedelta(seconds=round(duration.total_seconds()))


def _hours_minutes(duration: dt.timedelta) -> str:
    minutes = round(duration.total_seconds() / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def plan_production_order(order: ProductionOrder, settings: Settings, ctx: PlanContext) -> Plan:
    options = settings.timesheets
    builder = PlanBuilder(FLOW, LinkKey(FLOW, order.code))
    parent = _parent_customer(order, settings, ctx, builder)
    employees: dict[str, int] = {}
    jobs: dict[str, int] = {}
    entries: list[tuple[PlannedStep, dict[str, str]]] = []
    for index, record in enumerate(order.time_records):
        path = f"timeRecords[{index}]"
        job, job_path = _source(order, record, options.customer_job, index)
        service, service_path = _source(order, record, options.service_item, index)
        payroll, payroll_path = _source(order, record, options.payroll_item, index)
        customer = f"{parent}:{job}" if parent else job
        worker = record.worker.name
        if options.create_missing_employee and worker not in employees:
            employees[worker] = index
        if options.create_missing_customer_job:
            for level in ancestors(job):
                jobs.setdefault(f"{parent}:{level}" if parent else level, index)
        guid = external_guid(ctx.tenant_id, FLOW, order.code, str(index))
        request = TimeTrackingAdd(
            txn_date=local_day(record.start_time, settings),
            entity=Ref(full_name=worker),
            customer=Ref(full_name=customer),
            item_service=Ref(full_name=service),
            duration=_whole_seconds(record.worked()),
            payroll_item_wage=Ref(full_name=payroll),
            notes=f"{record.operation.name} / {record.section.name}",
            billable_status="Billable" if options.billable else "NotBillable",
            external_guid=guid,
        )
        step = PlannedStep(
            request=request,
            description=(
                f"Record {_hours_minutes(record.worked())} of {worker} on {order.code} "
                f"({record.operation.name})"
            ),
            reconcile=reconcile_time(
                employee=worker,
                guid=guid,
                look_for=(
                    f"a time entry of {worker} on {request.txn_date}: {_hours_minutes(record.worked())} "
                    f"for {customer}, {service} (notes: {request.notes})"
                ),
            ),
            creates_link=True,
        )
        fields = {
            "entity": f"{path}.worker.name",
            # The Customer:Job name joins two fields: a refusal names the one that holds the problem.
            "customer": job_path
            if not parent or unstorable(job)
            else ("client.code" if order.client else "salesOrder.code"),
            "item_service": service_path,
            "payroll_item_wage": payroll_path,
            "notes": f"{path}.operation.name",
        }
        entries.append((step, fields))
    for worker, index in employees.items():
        builder.add(
            PlannedStep(
                request=_employee(worker, index),
                description=f"Create the employee {worker} unless QuickBooks has it",
                purpose="ensure",
                accept_status=frozenset({NAME_IN_USE}),
            ),
            {
                "first_name": f"timeRecords[{index}].worker.name",
                "last_name": f"timeRecords[{index}].worker.name",
            },
        )
    for full_name, index in jobs.items():
        under, leaf = split_full_name(full_name)
        job_path = _source(order, order.time_records[index], options.customer_job, index)[1]
        builder.add(
            PlannedStep(
                request=CustomerAdd(name=leaf, parent=Ref(full_name=under) if under else None),
                description=f"Create the customer job {full_name} unless QuickBooks has it",
                purpose="ensure",
                accept_status=frozenset({NAME_IN_USE}),
            ),
            {"name": job_path, "parent": "client.code" if order.client else job_path},
        )
    for step, fields in entries:
        builder.add(step, fields)
    builder.plan.summary = {
        "customer": parent,
        "entries": len(entries),
        "employeesEnsured": sorted(employees),
        "jobsEnsured": sorted(jobs),
    }
    return builder.plan
