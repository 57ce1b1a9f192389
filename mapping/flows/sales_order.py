"""Sales Order (Fusion Operations) creates Sales Order (QuickBooks)."""

from __future__ import annotations

from mapping.entities import SalesOrder
from mapping.flows.assembly import PlanBuilder
from mapping.flows.context import PlanContext
from mapping.flows.documents import add_document, order_lines
from mapping.flows.naming import (
    customer_name,
    document_date,
    external_guid,
    local_day,
    ref_number,
)
from mapping.flows.reconcile import reconcile_document
from mapping.plan import LinkKey, Plan, PlannedStep
from mapping.settings import Settings
from requests_builder import Ref, SalesOrderAdd, SalesOrderLine

FLOW = "salesOrder"


def plan_sales_order(order: SalesOrder, settings: Settings, ctx: PlanContext) -> Plan:
    customer, customer_path = customer_name(order, settings)
    number = ref_number(settings, order.code, "SalesOrder", "sales order")
    guid = external_guid(ctx.tenant_id, FLOW, order.code)
    # "Empty (=Transfer Date, if end entity in QBD is sales order)"; an order not transferred yet is
    # dated by its creation.
    txn_date = document_date(
        settings,
        ctx,
        default=order.transfer_date or local_day(order.created_at, settings),
        document=order.document_date,
    )
    fields = {"customer": customer_path, "ref_number": "code", "memo": "observations"}
    lines = order_lines(settings, order.rows, SalesOrderLine, fields)
    request = SalesOrderAdd(
        customer=Ref(full_name=customer),
        txn_date=txn_date,
        ref_number=number,
        ship_date=order.due_date if settings.ship_date == "dueDate" else None,
        memo=order.observations or None,
        external_guid=guid,
        lines=lines,
    )
    builder = PlanBuilder(FLOW, LinkKey(FLOW, order.code))
    add_document(
        builder,
        PlannedStep(
            request=request,
            description=f"Create the sales order {order.code} for {customer}",
            reconcile=reconcile_document("SalesOrder", party=customer, guid=guid, ref_number=number),
            creates_link=True,
        ),
        fields,
        settings=settings,
        txn_type="SalesOrder",
        code=order.code,
        custom_fields=order.custom_fields,
        noun="sales order",
    )
    builder.plan.summary = {
        "customer": customer,
        "refNumber": number,
        "txnDate": txn_date.isoformat() if txn_date else None,
        "externalGuid": guid,
    }
    return builder.plan
