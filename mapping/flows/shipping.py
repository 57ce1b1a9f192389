"""Shipping (Fusion Operations) creates Invoice (QuickBooks), linked to the sales order it ships."""

from __future__ import annotations

from mapping.entities import SalesOrder, Shipping
from mapping.flows.context import PlanContext
from mapping.flows.documents import DocumentKind, start_document
from mapping.flows.movements import linked_order, movement_builder, movement_memo
from mapping.flows.naming import customer_name
from mapping.plan import LinkKey, Plan, PlanError
from mapping.settings import Settings
from requests_builder import InvoiceAdd

FLOW = "shipping"
KIND = DocumentKind(FLOW, "Invoice", "invoice", "customer", "shipping")


def shipping_blocker_key(shipping: Shipping) -> LinkKey:
    """Reserve this to refuse a second shipping of one sales order (FAQ 2: not supported)."""
    return LinkKey("shippingOfSalesOrder", shipping.sales_order.code)


def plan_shipping(shipping: Shipping, settings: Settings, ctx: PlanContext) -> Plan:
    so_key = LinkKey("salesOrder", shipping.sales_order.code)
    blocker = shipping_blocker_key(shipping)
    reservation = ctx.link_lookup(blocker.entity, blocker.code)
    # The reservation names the shipping holding it ({"shipping": code}); it may be this very shipping,
    # sent again after a failure. Without that name the reservation itself refuses the second job.
    holder = reservation.data.get("shipping") if reservation is not None else None
    if holder is not None and holder != shipping.code:
        raise PlanError(
            "salesOrder.code",
            f"sales order {so_key.code} was already invoiced by shipping {holder}; several shippings for one "
            "sales order are not supported (the invoice carries the whole order)",
        )
    so_link, order = linked_order(
        ctx,
        so_key.entity,
        so_key.code,
        SalesOrder,
        path="salesOrder.code",
        noun="sales order",
        movement="shipping",
        verb="invoice",
    )
    # The same customer as the sales order, or QuickBooks will not link them: the one it was sent to,
    # even if the customer-name setting changed since.
    customer = so_link.sent_as.get("customer") or customer_name(order, settings)[0]
    # "Empty (=Creation Date ... Invoice)": the shipping's date is when it was created.
    doc = start_document(
        KIND, shipping, customer, ctx, settings, default=shipping.date, document=shipping.document_date
    )
    request = doc.request(
        InvoiceAdd,
        ship_date=order.due_date if settings.ship_date == "dueDate" else None,
        memo=movement_memo(settings, shipping.observations, shipping.rows),
    )
    builder = movement_builder(KIND, shipping, so_key, order, noun="sales order")
    fields = doc.fields("salesOrder.code")
    description = f"Create the invoice of shipping {shipping.code} for sales order {order.code}"
    plan = doc.finish(builder, request, fields, description, order=(so_key, order.code))
    plan.summary["blocker"] = {"entity": blocker.entity, "code": blocker.code}
    return plan
