"""TimeTrackingAdd: a worker's time, for a customer and service item, with its payroll wage item."""

from __future__ import annotations

import re

from lxml import etree

from simulator import statuses
from simulator.records import (
    Context,
    Reply,
    ref_of,
    require_ref,
    text,
)
from simulator.transactions.header import txn_header


def time_tracking_add(ctx: Context, rq: etree._Element) -> Reply:
    add = rq[0]
    company = ctx.company
    entity = require_ref(company, company.entities(), add.find("EntityRef"), "Entity", "TimeTracking")
    duration = text(add, "Duration") or ""
    if not re.fullmatch(r"-?PT(\d+H)?(\d+M)?(\d+S)?", duration) or duration in ("PT", "-PT"):
        raise statuses.invalid_value("Duration", duration, "The duration is not valid.")
    record = txn_header(
        ctx, "TimeTracking", add, {"EntityRef", "CustomerRef", "ItemServiceRef", "PayrollItemWageRef"}
    )
    record["EntityRef"] = ref_of(entity) if entity else None
    customer = require_ref(company, company.customers, add.find("CustomerRef"), "Customer", "TimeTracking")
    if customer is not None:
        record["CustomerRef"] = ref_of(customer)
    item = require_ref(company, company.items, add.find("ItemServiceRef"), "ItemService", "TimeTracking")
    if item is not None:
        record["ItemServiceRef"] = ref_of(item)
    wage = require_ref(
        company, company.payroll_wage_items, add.find("PayrollItemWageRef"), "PayrollItemWage", "TimeTracking"
    )
    if wage is not None:
        record["PayrollItemWageRef"] = ref_of(wage)
    record.setdefault("BillableStatus", "NotBillable" if customer is None else "Billable")
    company.time_tracking.append(record)
    return Reply([("TimeTrackingRet", record)])
