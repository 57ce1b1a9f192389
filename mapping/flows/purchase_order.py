"""Purchase Order (Fusion Operations) creates Purchase Order (QuickBooks)."""

from __future__ import annotations

from mapping.entities import PurchaseOrder
from mapping.flows.assembly import PlanBuilder
from mapping.flows.context import PlanContext
from mapping.flows.documents import add_document, order_lines
from mapping.flows.items import add_missing_item_steps
from mapping.flows.naming import (
    document_date,
    external_guid,
    local_day,
    ref_number,
)
from mapping.flows.reconcile import reconcile_document
from mapping.plan import LinkKey, Plan, PlannedStep
from mapping.settings import Settings
from requests_builder import PurchaseOrderAdd, PurchaseOrderLine, Ref

FLOW = "purchaseOrder"


def plan_purchase_order(order: PurchaseOrder, settings: Settings, ctx: PlanContext) -> Plan:
    vendor = order.supplier.code
    number = ref_number(settings, order.code, "PurchaseOrder", "purchase order")
    guid = external_guid(ctx.tenant_id, FLOW, order.code)
    # Without a creation date QuickBooks dates the order the day it saves it.
    created = local_day(order.created_at, settings) if order.created_at else None
    txn_date = document_date(settings, ctx, default=created, document=order.document_date)
    builder = PlanBuilder(FLOW, LinkKey(FLOW, order.code))
    if settings.create_missing_items.enabled:
        add_missing_item_steps(builder, order.rows, settings.create_missing_items)
    fields = {"vendor": "supplier.code", "ref_number": "code", "memo": "observations"}
    lines = order_lines(settings, order.rows, PurchaseOrderLine, fields)
    request = PurchaseOrderAdd(
        vendor=Ref(full_name=vendor),
        txn_date=txn_date,
        ref_number=number,
        # A QuickBooks purchase order has no ship date; "Expected" is when the goods should arrive.
        expected_date=order.due_date if settings.ship_date == "dueDate" else None,
        memo=order.observations or None,
        external_guid=guid,
        lines=lines,
    )
    add_document(
        builder,
        PlannedStep(
            request=request,
            description=f"Create the purchase order {order.code} to {vendor}",
            reconcile=reconcile_document("PurchaseOrder", party=vendor, guid=guid, ref_number=number),
            creates_link=True,
        ),
        fields,
        settings=settings,
        txn_type="PurchaseOrder",
        code=order.code,
        custom_fields=order.custom_fields,
        noun="purchase order",
    )
    builder.plan.summary = {
        "vendor": vendor,
        "refNumber": number,
        "txnDate": txn_date.isoformat() if txn_date else None,
        "externalGuid": guid,
    }
    return builder.plan
