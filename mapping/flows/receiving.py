"""Receiving (Fusion Operations) creates Bill (QuickBooks), linked to the purchase order it receives."""

from __future__ import annotations

from mapping.entities import PurchaseOrder, Receiving
from mapping.flows.assembly import PlanBuilder
from mapping.flows.context import PlanContext
from mapping.flows.documents import add_document
from mapping.flows.movements import linked_order, movement_memo, quantity_warnings
from mapping.flows.naming import document_date, external_guid, ref_number
from mapping.flows.reconcile import reconcile_document
from mapping.plan import Binding, LinkKey, Plan, PlannedStep
from mapping.settings import Settings
from requests_builder import BillAdd, Ref

FLOW = "receiving"


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
    number = ref_number(settings, receiving.code, "Bill", "bill")
    guid = external_guid(ctx.tenant_id, FLOW, receiving.code)
    # "Empty (=Creation Date ... Bill)": the receiving's date is when it was created.
    txn_date = document_date(settings, ctx, default=receiving.date, document=receiving.document_date)
    request = BillAdd(
        vendor=Ref(full_name=vendor),
        txn_date=txn_date,
        ref_number=number,
        memo=movement_memo(settings, receiving.observations, receiving.rows),
        external_guid=guid,
    )
    builder = PlanBuilder(FLOW, LinkKey(FLOW, receiving.code))
    builder.plan.requires = [po_key]
    for warning in quantity_warnings(
        receiving.rows, order.rows, noun="purchase order", code=order.code, document="bill"
    ):
        builder.warn(warning)
    add_document(
        builder,
        PlannedStep(
            request=request,
            description=f"Create the bill of receiving {receiving.code} for purchase order {order.code}",
            bindings=[Binding(path="link_to_txn_ids.0", link=po_key)],
            reconcile=reconcile_document("Bill", party=vendor, guid=guid, ref_number=number, order=po_key),
            creates_link=True,
        ),
        {"vendor": "purchaseOrder.code", "ref_number": "code", "memo": "observations"},
        settings=settings,
        txn_type="Bill",
        code=receiving.code,
        custom_fields=receiving.custom_fields,
        noun="receiving",
    )
    builder.plan.summary = {
        "vendor": vendor,
        "purchaseOrder": order.code,
        "refNumber": number,
        "txnDate": txn_date.isoformat() if txn_date else None,
        "externalGuid": guid,
    }
    return builder.plan
