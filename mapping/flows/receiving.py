"""Receiving (Fusion Operations) creates Bill (QuickBooks), linked to the purchase order it receives."""

from __future__ import annotations

from mapping.entities import PurchaseOrder, Receiving
from mapping.flows.context import PlanContext
from mapping.flows.documents import DocumentKind, start_document
from mapping.flows.movements import linked_order, movement_builder, movement_memo
from mapping.plan import LinkKey, Plan
from mapping.settings import Settings
from requests_builder import BillAdd

FLOW = "receiving"
KIND = DocumentKind(FLOW, "Bill", "bill", "vendor", "receiving")


def receiving_blocker_key(receiving: Receiving) -> LinkKey:
    """Reserve this to refuse a second receiving of one purchase order: the first bill already carries
    the whole order (FAQ 6), so QuickBooks has nothing left to bill."""
    return LinkKey("receivingOfPurchaseOrder", receiving.purchase_order.code)


def plan_receiving(receiving: Receiving, settings: Settings, ctx: PlanContext) -> Plan:
    po_key = LinkKey("purchaseOrder", receiving.purchase_order.code)
    _, order = linked_order(
        ctx,
        po_key.entity,
        po_key.code,
        PurchaseOrder,
        path="purchaseOrder.code",
        noun="purchase order",
        movement="receiving",
        verb="bill",
    )
    vendor = order.supplier.code
    # "Empty (=Creation Date ... Bill)": the receiving's date is when it was created.
    doc = start_document(
        KIND, receiving, vendor, ctx, settings, default=receiving.date, document=receiving.document_date
    )
    request = doc.request(BillAdd, memo=movement_memo(settings, receiving.observations, receiving.rows))
    builder = movement_builder(KIND, receiving, po_key, order, noun="purchase order")
    fields = doc.fields("purchaseOrder.code")
    description = f"Create the bill of receiving {receiving.code} for purchase order {order.code}"
    return doc.finish(builder, request, fields, description, order=(po_key, order.code))
