"""A document's lines as QuickBooks works them out: an item's price and description, unit-of-measure
ratios, subtotal, discount, sales-tax and payment lines, and group lines."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from simulator import statuses
from simulator.company import Company, Record, money, quantity
from simulator.records import (
    Context,
    copy_passthrough,
    decimal,
    ref_of,
    require_ref,
    text,
)
from simulator.spec import ret_order

ZERO = Decimal(0)
# A document's line and group-line elements (Add, Ret): named after the document, but for a bill's,
# which are named after its items.
_ORDERS_AND_SALES = ("SalesOrder", "Invoice", "Estimate", "PurchaseOrder")
LINE_TAGS = {kind: (f"{kind}LineAdd", f"{kind}LineRet") for kind in _ORDERS_AND_SALES} | {
    "Bill": ("ItemLineAdd", "ItemLineRet")
}
GROUP_TAGS = {kind: (f"{kind}LineGroupAdd", f"{kind}LineGroupRet") for kind in _ORDERS_AND_SALES} | {
    "Bill": ("ItemGroupLineAdd", "ItemGroupLineRet")
}
_LINE_HANDLED = {
    "ItemRef",
    "Desc",
    "Quantity",
    "Rate",
    "RatePercent",
    "Cost",
    "Amount",
    "LinkToTxn",
    "IsManuallyClosed",
    "DataExt",
}
# Items whose lines are not goods; what their line amounts to is worked out as QuickBooks does.
SPECIAL_ITEMS = {
    "ItemSubtotal": "subtotal",
    "ItemDiscount": "discount",
    "ItemSalesTax": "salesTax",
    "ItemPayment": "payment",
}


def _item_price(item: Record, purchase: bool) -> Decimal:
    if item.get("_type") == "ItemInventory":
        value = item.get("PurchaseCost" if purchase else "SalesPrice")
    elif "SalesAndPurchase" in item:
        value = item["SalesAndPurchase"].get("PurchaseCost" if purchase else "SalesPrice")
    else:
        value = item.get("SalesOrPurchase", {}).get("Price")
    return Decimal(value) if value else ZERO


def _item_desc(item: Record, purchase: bool) -> str | None:
    if "ItemDesc" in item:
        return str(item["ItemDesc"])
    if item.get("_type") == "ItemInventory":
        return item.get("PurchaseDesc" if purchase else "SalesDesc")
    if "SalesAndPurchase" in item:
        return item["SalesAndPurchase"].get("PurchaseDesc" if purchase else "SalesDesc")
    return item.get("SalesOrPurchase", {}).get("Desc")


def _unit_ratio(company: Company, item: Record | None, unit: str | None) -> Decimal:
    """Base units in one ``unit`` of the item's unit-of-measure set (1 when the set does not say)."""
    if item is None or not unit:
        return Decimal(1)
    unit_set = company.find_list(
        company.unit_sets, list_id=(item.get("UnitOfMeasureSetRef") or {}).get("ListID")
    )
    if unit_set is None:
        return Decimal(1)
    for related in unit_set.get("RelatedUnit", []):
        if unit.lower() in (
            str(related.get("Name", "")).lower(),
            str(related.get("Abbreviation", "")).lower(),
        ):
            return Decimal(related["ConversionRatio"])
    return Decimal(1)


def _special_amount(
    item: Record, special: str, line_el: etree._Element, line: Record, above: Decimal, segment: Decimal
) -> Decimal:
    """What a subtotal, discount, sales-tax or payment line amounts to: a subtotal sums the lines
    above it up to the previous subtotal; a discount or sales tax applies to the line above it (a
    rate, or a percentage of that line's amount); a payment lowers the total by what was paid."""
    if special == "subtotal":
        return segment
    given_amount = decimal(text(line_el, "Amount"))
    if special == "payment":
        paid = given_amount if given_amount is not None else decimal(text(line_el, "Rate")) or ZERO
        return -abs(paid)
    percent = decimal(text(line_el, "RatePercent"), "RatePercent")
    rate = decimal(text(line_el, "Rate"), "Rate")
    if percent is None and rate is None:
        if special == "salesTax":
            percent = decimal(item.get("TaxRate"), "TaxRate")
        else:
            percent = decimal(item.get("DiscountRatePercent"), "DiscountRatePercent")
            rate = decimal(item.get("DiscountRate"), "DiscountRate") if percent is None else None
    sign = Decimal(-1) if special == "discount" else Decimal(1)
    if percent is not None:
        line["RatePercent"] = quantity(sign * abs(percent))
        return (above * sign * abs(percent) / 100).quantize(Decimal("0.01"))
    if rate is not None:
        line["Rate"] = money(sign * abs(rate))
        return sign * abs(rate)
    return given_amount or ZERO


def build_line(
    ctx: Context,
    kind: str,
    line_el: etree._Element,
    ret_tag: str,
    *,
    above: Decimal = ZERO,
    segment: Decimal = ZERO,
) -> tuple[Record, Record | None]:
    purchase = kind in ("PurchaseOrder", "Bill")
    line: Record = {"TxnLineID": ctx.company.new_txn_id()}
    item = require_ref(ctx.company, ctx.company.items, line_el.find("ItemRef"), "Item", f"{kind} line")
    if item is not None:
        line["ItemRef"] = ref_of(item)
    desc = text(line_el, "Desc")
    if desc is None and item is not None:
        desc = _item_desc(item, purchase)
    if desc:
        line["Desc"] = desc
    special = SPECIAL_ITEMS.get(str(item.get("_type"))) if item is not None else None
    rate_field = "Cost" if kind == "Bill" else "Rate"
    if special is not None:
        assert item is not None
        line["_special"] = special
        line["Amount"] = money(_special_amount(item, special, line_el, line, above, segment))
    else:
        qty = decimal(text(line_el, "Quantity"), "Quantity")
        rate = decimal(text(line_el, rate_field), rate_field)
        amount = decimal(text(line_el, "Amount"))
        if rate is None and item is not None and amount is None:
            rate = _item_price(item, purchase) * _unit_ratio(
                ctx.company, item, text(line_el, "UnitOfMeasure")
            )
        if amount is None:
            amount = (qty if qty is not None else Decimal(1)) * (rate or ZERO)
        if qty is not None:
            line["Quantity"] = quantity(qty)
        if rate is not None:
            line[rate_field] = money(rate)
        line["Amount"] = money(amount)
    copy_passthrough(line_el, line, ret_tag, _LINE_HANDLED)
    if "SalesTaxCodeRef" not in line and item is not None and "SalesTaxCodeRef" in item and kind != "Bill":
        line["SalesTaxCodeRef"] = item["SalesTaxCodeRef"]
    _line_status(kind, line, line_el)
    return line, item


def _line_status(kind: str, line: Record, line_el: etree._Element | None) -> None:
    if kind == "SalesOrder":
        line["Invoiced"] = "0"
        closed = text(line_el, "IsManuallyClosed") if line_el is not None else None
        line["IsManuallyClosed"] = closed or "false"
    elif kind == "PurchaseOrder":
        line["ReceivedQuantity"] = "0"
        closed = text(line_el, "IsManuallyClosed") if line_el is not None else None
        line["IsManuallyClosed"] = closed or "false"


def build_group(
    ctx: Context, kind: str, group_el: etree._Element, line_ret: str, group_ret: str
) -> tuple[Record, list[tuple[Record | None, Record]]]:
    """A group line: the group item's members, each at its own price, times the group's quantity."""
    company = ctx.company
    purchase = kind in ("PurchaseOrder", "Bill")
    group = require_ref(company, company.items, group_el.find("ItemGroupRef"), "ItemGroup", f"{kind} line")
    if group is None or group.get("_type") != "ItemGroup":
        raise statuses.invalid_reference(
            "ItemGroup", text(group_el.find("ItemGroupRef"), "FullName") or "", f"{kind} line"
        )
    times = decimal(text(group_el, "Quantity"), "Quantity") or Decimal(1)
    rate_field = "Cost" if kind == "Bill" else "Rate"
    members: list[tuple[Record | None, Record]] = []
    for member in group.get("ItemGroupLine", []):
        item = company.find_list(company.items, list_id=(member.get("ItemRef") or {}).get("ListID"))
        qty = Decimal(member.get("Quantity", "1")) * times
        unit = member.get("UnitOfMeasure")
        rate = _item_price(item, purchase) * _unit_ratio(company, item, unit) if item is not None else ZERO
        line: Record = {"TxnLineID": company.new_txn_id()}
        if item is not None:
            line["ItemRef"] = ref_of(item)
            desc = _item_desc(item, purchase)
            if desc:
                line["Desc"] = desc
        line["Quantity"] = quantity(qty)
        if unit:
            line["UnitOfMeasure"] = unit
        line[rate_field] = money(rate)
        line["Amount"] = money(qty * rate)
        if item is not None and "SalesTaxCodeRef" in item and kind != "Bill":
            line["SalesTaxCodeRef"] = item["SalesTaxCodeRef"]
        _line_status(kind, line, None)
        members.append((item, line))
    entry: Record = {"_tag": group_ret, "TxnLineID": company.new_txn_id(), "ItemGroupRef": ref_of(group)}
    desc = text(group_el, "Desc") or group.get("ItemDesc")
    if desc:
        entry["Desc"] = desc
    entry["Quantity"] = quantity(times)
    if "IsPrintItemsInGroup" in (ret_order(group_ret) or []):
        entry["IsPrintItemsInGroup"] = group.get("IsPrintItemsInGroup", "false")
    entry["TotalAmount"] = money(sum((Decimal(line["Amount"]) for _, line in members), ZERO))
    entry[line_ret] = [line for _, line in members]
    return entry, members


def entry_amount(entry: Record) -> Decimal:
    """What a top-level line counts for in the document's subtotal (a subtotal line: nothing)."""
    if entry.get("_special") == "subtotal":
        return ZERO
    if "_tag" in entry:
        return Decimal(entry.get("TotalAmount", "0"))
    return Decimal(entry.get("Amount", "0"))


def flat_lines(entries: list[Record], line_ret: str) -> list[Record]:
    """Every line, a group's members in its place."""
    out: list[Record] = []
    for entry in entries:
        out.extend(entry.get(line_ret, []) if "_tag" in entry else [entry])
    return out


def is_taxable(line: Record) -> bool:
    return str((line.get("SalesTaxCodeRef") or {}).get("FullName", "")).lower() == "tax"
