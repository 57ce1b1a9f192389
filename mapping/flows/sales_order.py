"""Sales Order (Fusion Operations) creates Sales Order (QuickBooks)."""

from __future__ import annotations

from mapping.entities import SalesOrder
from mapping.flows.assembly import PlanBuilder
from mapping.flows.context import PlanContext
from mapping.flows.documents import DocumentKind, order_request, start_document
from mapping.flows.naming import customer_name, local_day
from mapping.plan import LinkKey, Plan
from mapping.settings import Settings
from requests_builder import SalesOrderAdd, SalesOrderLine

FLOW = "salesOrder"
KIND = DocumentKind(FLOW, "SalesOrder", "sales order", "customer", "sales order")


def plan_sales_order(order: SalesOrder, settings: Settings, ctx: PlanContext) -> Plan:
    customer, customer_path = customer_name(order, settings)
    # "Empty (=Transfer Date, if end entity in QBD is sales order)"; an order not transferred yet is
    # dated by its creation.
    default = order.transfer_date or local_day(order.created_at, settings)
    doc = start_document(KIND, order, customer, ctx, settings, default=default, document=order.document_date)
    fields = doc.fields(customer_path)
    shipped = order.due_date if settings.ship_date == "dueDate" else None
    request = order_request(doc, SalesOrderAdd, SalesOrderLine, order, fields, ship_date=shipped)
    builder = PlanBuilder(FLOW, LinkKey(FLOW, order.code))
    description = f"Create the sales order {order.code} for {customer}"
    return doc.finish(builder, request, fields, description)
