"""Purchase Order (Fusion Operations) creates Purchase Order (QuickBooks)."""

from __future__ import annotations

from mapping.entities import PurchaseOrder
from mapping.flows.assembly import PlanBuilder
from mapping.flows.context import PlanContext
from mapping.flows.customfields import add_custom_field_steps
from mapping.flows.items import add_missing_item_steps
from mapping.flows.naming import (
    document_date,
    external_guid,
    line_description,
    line_description_path,
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
    lines = []
    for index, row in enumerate(order.rows):
        lines.append(
            PurchaseOrderLine(
                item=Ref(full_name=row.product.code),
                desc=line_description(
                    settings,
                    product_name=row.product.name,
                    product_observations=row.product.observations,
                    row_observations=row.observations,
                ),
                quantity=row.quantity,
                rate=row.unit_price,
            )
        )
        fields[f"lines[{index}].item"] = f"rows[{index}].product.code"
        fields[f"lines[{index}].desc"] = line_description_path(settings, f"rows[{index}]")
        fields[f"lines[{index}].quantity"] = f"rows[{index}].quantity"
        fields[f"lines[{index}].rate"] = f"rows[{index}].unitPrice"
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
    document = builder.add(
        PlannedStep(
            request=request,
            description=f"Create the purchase order {order.code} to {vendor}",
            reconcile=reconcile_document("PurchaseOrder", party=vendor, guid=guid, ref_number=number),
            creates_link=True,
        ),
        fields,
    )
    add_custom_field_steps(
        builder,
        settings=settings,
        txn_type="PurchaseOrder",
        document_step=document,
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
