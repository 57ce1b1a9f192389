"""Quantities on hand: what invoices and bills move, and InventoryAdjustmentAdd."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from simulator import statuses
from simulator.company import Company, Record, money, quantity
from simulator.records import (
    Context,
    Reply,
    decimal,
    ref_of,
    require_ref,
    text,
)
from simulator.transactions.header import txn_header
from simulator.transactions.lines import (
    ZERO,
)


def adjust_on_hand(company: Company, item: Record | None, delta: Decimal) -> None:
    if item is not None and item.get("_type") == "ItemInventory":
        company.set_quantity_on_hand(item, Decimal(item.get("QuantityOnHand", "0")) + delta)


def inventory_adjustment_add(ctx: Context, rq: etree._Element) -> Reply:
    add = rq[0]
    company = ctx.company
    account = require_ref(company, company.accounts, add.find("AccountRef"), "Account", "InventoryAdjustment")
    record = txn_header(
        ctx, "InventoryAdjustment", add, {"AccountRef", "InventoryAdjustmentLineAdd", "CustomerRef"}
    )
    record["AccountRef"] = ref_of(account) if account else None
    changes: list[tuple[Record, Decimal]] = []
    lines: list[Record] = []
    for line_el in add.findall("InventoryAdjustmentLineAdd"):
        item = require_ref(
            company, company.items, line_el.find("ItemRef"), "Item", "InventoryAdjustment line"
        )
        if item is None or item.get("_type") != "ItemInventory":
            raise statuses.invalid_reference(
                "Item", text(line_el.find("ItemRef"), "FullName") or "", "InventoryAdjustment line"
            )
        adjustment = line_el.find("QuantityAdjustment")
        if adjustment is None:
            raise statuses.not_available()
        on_hand = Decimal(item.get("QuantityOnHand", "0"))
        new_qty = decimal(text(adjustment, "NewQuantity"), "NewQuantity")
        diff = (
            new_qty - on_hand
            if new_qty is not None
            else decimal(text(adjustment, "QuantityDifference"), "QuantityDifference") or ZERO
        )
        lines.append(
            {
                "TxnLineID": company.new_txn_id(),
                "ItemRef": ref_of(item),
                "QuantityDifference": quantity(diff),
                "ValueDifference": money(diff * Decimal(item.get("AverageCost", "0"))),
            }
        )
        changes.append((item, diff))
    record["InventoryAdjustmentLineRet"] = lines
    for item, diff in changes:
        adjust_on_hand(company, item, diff)
    company.inventory_adjustments.append(record)
    return Reply([("InventoryAdjustmentRet", record)])
