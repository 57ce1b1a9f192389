"""Purchase Order (Fusion Operations) creates Purchase Order (QuickBooks)."""

from __future__ import annotations

from mapping.entities import PurchaseOrder
from mapping.flows.assembly import PlanBuilder
from mapping.flows.context import PlanContext
from mapping.flows.documents import DocumentKind, order_request, start_document
from mapping.flows.items import add_missing_item_steps
from mapping.flows.naming import local_day
from mapping.plan import LinkKey, Plan
from mapping.settings import Settings
from requests_builder import PurchaseOrderAdd, PurchaseOrderLine

FLOW = "purchaseOrder"
KIND = DocumentKind(FLOW, "PurchaseOrder", "purchase order", "vendor", "purchase order")


def plan_purchase_order(order: PurchaseOrder, settings: Settings, ctx: PlanContext) -> Plan:
    vendor = order.supplier.code
    # Without a creation date QuickBooks dates the order the day it saves it.
    created = local_day(order.created_at, settings) if order.created_at else None
    doc = start_document(KIND, order, vendor, ctx, settings, default=created, document=order.document_date)
    builder = PlanBuilder(FLOW, LinkKey(FLOW, order.code))
    if settings.create_missing_items.enabled:
        add_missing_item_steps(builder, order.rows, settings.create_missing_items)
    fields = doc.fields("supplier.code")
    # A QuickBooks purchase order has no ship date; "Expected" is when the goods should arrive.
    expected = order.due_date if settings.ship_date == "dueDate" else None
    request = order_request(doc, PurchaseOrderAdd, PurchaseOrderLine, order, fields, expected_date=expected)
    description = f"Create the purchase order {order.code} to {vendor}"
    return doc.finish(builder, request, fields, description)
