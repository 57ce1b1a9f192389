"""Transaction Adds and Mods: sales orders, estimates, invoices, purchase orders, bills, time tracking,
inventory adjustments, plus TxnVoid/TxnDel, with the links QuickBooks keeps between them."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from lxml import etree

from simulator import statuses
from simulator.company import Company, Record, full_name, money, quantity
from simulator.records import (
    Context,
    Reply,
    copy_passthrough,
    decimal,
    ref_of,
    require_ref,
    stamp_new_txn,
    text,
    texts,
    touch,
)
from simulator.spec import ret_order

ZERO = Decimal(0)
_LINE_TAGS = {
    "SalesOrder": ("SalesOrderLineAdd", "SalesOrderLineRet"),
    "Invoice": ("InvoiceLineAdd", "InvoiceLineRet"),
    "Estimate": ("EstimateLineAdd", "EstimateLineRet"),
    "PurchaseOrder": ("PurchaseOrderLineAdd", "PurchaseOrderLineRet"),
    "Bill": ("ItemLineAdd", "ItemLineRet"),
}
_GROUP_TAGS = {
    "SalesOrder": ("SalesOrderLineGroupAdd", "SalesOrderLineGroupRet"),
    "Invoice": ("InvoiceLineGroupAdd", "InvoiceLineGroupRet"),
    "Estimate": ("EstimateLineGroupAdd", "EstimateLineGroupRet"),
    "PurchaseOrder": ("PurchaseOrderLineGroupAdd", "PurchaseOrderLineGroupRet"),
    "Bill": ("ItemGroupLineAdd", "ItemGroupLineRet"),
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


def _build_line(
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


def _build_group(
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


def _taxable(line: Record) -> bool:
    return str((line.get("SalesTaxCodeRef") or {}).get("FullName", "")).lower() == "tax"


def _next_ref_number(records: list[Record]) -> str:
    numbers = [int(r["RefNumber"]) for r in records if re.fullmatch(r"\d{1,11}", str(r.get("RefNumber", "")))]
    return str(max(numbers, default=0) + 1)


def _header(ctx: Context, kind: str, add: etree._Element, handled: set[str]) -> Record:
    company = ctx.company
    record = stamp_new_txn(company)
    record["_type"] = kind
    if kind in ("SalesOrder", "Invoice", "Estimate"):
        customer = require_ref(company, company.customers, add.find("CustomerRef"), "Customer", kind)
        record["CustomerRef"] = ref_of(customer) if customer else None
    elif kind in ("PurchaseOrder", "Bill"):
        vendor = require_ref(company, company.vendors, add.find("VendorRef"), "Vendor", kind)
        if vendor is not None:
            record["VendorRef"] = ref_of(vendor)
    party_ref = record.get("CustomerRef") or record.get("VendorRef")
    if party_ref:
        party = company.find_list(company.entities(), list_id=party_ref.get("ListID"))
        if party is not None and "CurrencyRef" in party:
            # A customer or vendor in a foreign currency: its documents are in that currency.
            record["CurrencyRef"] = party["CurrencyRef"]
            record["ExchangeRate"] = text(add, "ExchangeRate") or "1"
    record["TxnDate"] = text(add, "TxnDate") or date.today().isoformat()
    if kind != "TimeTracking":
        record["RefNumber"] = text(add, "RefNumber") or _next_ref_number(company.collection(kind))
    copy_passthrough(
        add,
        record,
        f"{kind}Ret",
        handled | {"CustomerRef", "VendorRef", "TxnDate", "RefNumber", "LinkToTxnID"},
    )
    return record


def _linked(record: Record, kind: str, amount: Decimal) -> Record:
    return {
        "TxnID": record["TxnID"],
        "TxnType": kind,
        "TxnDate": record["TxnDate"],
        "RefNumber": record.get("RefNumber"),
        "LinkType": "QUANTYPE",
        "Amount": money(amount),
    }


def _adjust_on_hand(company: Company, item: Record | None, delta: Decimal) -> None:
    if item is not None and item.get("_type") == "ItemInventory":
        company.set_quantity_on_hand(item, Decimal(item.get("QuantityOnHand", "0")) + delta)


def _source_lines(source: Record, kind: str) -> list[Record]:
    """The goods lines of a document, group members included: what an invoice or a bill can take."""
    key = "ItemLineRet" if kind == "Bill" else f"{kind}LineRet"
    return [line for line in flat_lines(source.get(key, []), key) if "_special" not in line]


def _open_quantity(line: Record, done_key: str) -> Decimal:
    if line.get("IsManuallyClosed") == "true":
        return ZERO
    return Decimal(line.get("Quantity", "1")) - Decimal(line.get(done_key, "0"))


def _refresh_source(source: Record, kind: str) -> None:
    done_key = "Invoiced" if kind == "SalesOrder" else "ReceivedQuantity"
    flag = "IsFullyInvoiced" if kind == "SalesOrder" else "IsFullyReceived"
    lines = _source_lines(source, kind)
    if kind in ("SalesOrder", "PurchaseOrder"):
        source[flag] = "true" if all(_open_quantity(ln, done_key) <= 0 for ln in lines) else "false"


def _pull_linked(
    ctx: Context, record: Record, kind: str, add: etree._Element, ret_tag: str, lines: list[Record]
) -> list[tuple[Record, str, Decimal]]:
    """LinkToTxnID: copy every open line of the linked order into this transaction."""
    links: list[tuple[Record, str, Decimal]] = []
    allowed = ("SalesOrder", "Estimate") if kind == "Invoice" else ("PurchaseOrder",)
    party = "CustomerRef" if kind == "Invoice" else "VendorRef"
    for txn_id in texts(add, "LinkToTxnID"):
        found = ctx.company.find_txn(txn_id)
        if found is None or found[0] not in allowed:
            raise statuses.not_found(txn_id)
        source_kind, source = found
        if source.get(party, {}).get("ListID") != record.get(party, {}).get("ListID"):
            raise statuses.save_error(kind, f'The transaction "{txn_id}" belongs to another name.')
        if source.get("IsManuallyClosed") == "true":
            raise statuses.save_error(kind, "Cannot link to a closed transaction.")
        done_key = "Invoiced" if source_kind == "SalesOrder" else "ReceivedQuantity"
        total = ZERO
        for src_line in _source_lines(source, source_kind):
            open_qty = _open_quantity(src_line, done_key)
            if source_kind == "Estimate":
                open_qty = Decimal(src_line.get("Quantity", "1"))
            if open_qty <= 0:
                continue
            rate_key = "Cost" if kind == "Bill" else "Rate"
            rate = Decimal(src_line.get("Rate", "0"))
            line: Record = {"TxnLineID": ctx.company.new_txn_id()}
            for key in ("ItemRef", "Desc"):
                if key in src_line:
                    line[key] = src_line[key]
            line["Quantity"] = quantity(open_qty)
            line[rate_key] = money(rate)
            line["Amount"] = money(
                open_qty * rate if src_line.get("Quantity") else Decimal(src_line["Amount"])
            )
            total += Decimal(line["Amount"])
            if source_kind != "Estimate":
                src_line[done_key] = quantity(Decimal(src_line.get(done_key, "0")) + open_qty)
            lines.append(line)
        if total == 0 and source_kind != "Estimate":
            raise statuses.save_error(kind, "Cannot link to a closed transaction.")
        links.append((source, source_kind, total))
    return links


def _link_line(
    ctx: Context, kind: str, line_el: etree._Element, line: Record
) -> tuple[Record, str, Decimal] | None:
    link = line_el.find("LinkToTxn")
    if link is None:
        return None
    txn_id, line_id = text(link, "TxnID") or "", text(link, "TxnLineID") or ""
    found = ctx.company.find_txn(txn_id)
    if found is None:
        raise statuses.not_found(txn_id)
    source_kind, source = found
    src_line = next((ln for ln in _source_lines(source, source_kind) if ln.get("TxnLineID") == line_id), None)
    if src_line is None:
        raise statuses.not_found(line_id)
    if source_kind in ("SalesOrder", "PurchaseOrder"):
        done_key = "Invoiced" if source_kind == "SalesOrder" else "ReceivedQuantity"
        qty = Decimal(line.get("Quantity") or _open_quantity(src_line, done_key))
        src_line[done_key] = quantity(Decimal(src_line.get(done_key, "0")) + qty)
    return source, source_kind, Decimal(line["Amount"])


def _finish_links(ctx: Context, record: Record, kind: str, links: list[tuple[Record, str, Decimal]]) -> None:
    merged: dict[str, tuple[Record, str, Decimal]] = {}
    for source, source_kind, amount in links:
        prev = merged.get(source["TxnID"])
        merged[source["TxnID"]] = (source, source_kind, amount + (prev[2] if prev else ZERO))
    for source, source_kind, amount in merged.values():
        record.setdefault("LinkedTxn", []).append(_linked(source, source_kind, amount))
        source.setdefault("LinkedTxn", []).append(_linked(record, kind, amount))
        _refresh_source(source, source_kind)
        touch(ctx.company, source)


def _document_add(ctx: Context, rq: etree._Element, kind: str) -> Reply:
    add = rq[0]
    company = ctx.company
    if kind == "SalesOrder" and ctx.host.edition == "Pro":
        raise statuses.not_available()
    line_add, line_ret = _LINE_TAGS[kind]
    group_add, group_ret = _GROUP_TAGS[kind]
    record = _header(
        ctx, kind, add, {line_add, group_add, "ExpenseLineAdd", "IsManuallyClosed", "ItemSalesTaxRef"}
    )
    lines: list[Record] = []
    links = _pull_linked(ctx, record, kind, add, line_ret, lines)
    for expense in add.findall("ExpenseLineAdd"):
        exp: Record = {"TxnLineID": company.new_txn_id()}
        account = require_ref(company, company.accounts, expense.find("AccountRef"), "Account", "Bill line")
        if account is not None:
            exp["AccountRef"] = ref_of(account)
        exp["Amount"] = money(decimal(text(expense, "Amount")) or ZERO)
        copy_passthrough(expense, exp, "ExpenseLineRet", {"AccountRef", "Amount", "DataExt"})
        record.setdefault("ExpenseLineRet", []).append(exp)
    moved: list[tuple[Record | None, Decimal]] = []
    for line in lines:
        item = company.find_list(company.items, list_id=line.get("ItemRef", {}).get("ListID"))
        moved.append((item, Decimal(line.get("Quantity", "0"))))
    above, segment = ZERO, ZERO
    for line_el in add:
        if line_el.tag == line_add:
            line, item = _build_line(ctx, kind, line_el, line_ret, above=above, segment=segment)
            link = _link_line(ctx, kind, line_el, line)
            if link is not None:
                links.append(link)
            lines.append(line)
            if "_special" not in line:
                moved.append((item, Decimal(line.get("Quantity", "0"))))
        elif line_el.tag == group_add:
            line, members = _build_group(ctx, kind, line_el, line_ret, group_ret)
            lines.append(line)
            moved += [(item, Decimal(member.get("Quantity", "0"))) for item, member in members]
        else:
            continue
        above = Decimal(line.get("TotalAmount") or line.get("Amount") or "0")
        segment = ZERO if line.get("_special") == "subtotal" else segment + above
    if kind == "SalesOrder" and not lines:
        raise statuses.QBStatus(3150, 'There is a missing element: "SalesOrderLineAdd" in the SalesOrder.')
    if lines:
        record[line_ret] = lines
    total = sum((entry_amount(ln) for ln in lines), ZERO) + sum(
        (Decimal(e["Amount"]) for e in record.get("ExpenseLineRet", [])), ZERO
    )
    # Goods and discounts marked taxable ("Tax") carry the document's sales tax.
    taxable = sum(
        (
            Decimal(ln["Amount"])
            for ln in flat_lines(lines, line_ret)
            if _taxable(ln) and ln.get("_special") in (None, "discount")
        ),
        ZERO,
    )
    _totals(ctx, record, kind, total, taxable, add)
    # Invoices ship goods and bills receive them; orders and estimates leave stock alone.
    sign = {"Invoice": Decimal(-1), "Bill": Decimal(1)}.get(kind)
    if sign is not None:
        for item, qty in moved:
            _adjust_on_hand(company, item, sign * qty)
    _finish_links(ctx, record, kind, links)
    company.collection(kind).append(record)
    return Reply([(f"{kind}Ret", record)])


def _sales_tax(ctx: Context, record: Record, kind: str, add: etree._Element) -> Record | None:
    """The document's sales tax item: the one the request names, else the customer's."""
    company = ctx.company
    ref = add.find("ItemSalesTaxRef")
    if ref is not None:
        item = require_ref(company, company.items, ref, "ItemSalesTax", kind)
    else:
        customer = company.find_list(
            company.customers, list_id=(record.get("CustomerRef") or {}).get("ListID")
        )
        default = (customer or {}).get("ItemSalesTaxRef") or {}
        item = company.find_list(company.items, name=default.get("FullName")) if default else None
    if item is not None and item.get("_type") != "ItemSalesTax":
        raise statuses.invalid_reference("ItemSalesTax", full_name(item), kind)
    return item


def _totals(
    ctx: Context, record: Record, kind: str, total: Decimal, taxable: Decimal, add: etree._Element
) -> None:
    """Subtotal (every line but subtotal lines), the document's sales tax on its taxable lines, the
    total, and for a document in a foreign currency the total in the home currency."""
    tax = ZERO
    if kind in ("SalesOrder", "Invoice", "Estimate"):
        record["Subtotal"] = money(total)
        tax_item = _sales_tax(ctx, record, kind, add)
        percent = decimal(tax_item.get("TaxRate"), "TaxRate") if tax_item is not None else None
        if tax_item is not None:
            record["ItemSalesTaxRef"] = ref_of(tax_item)
        tax = (taxable * (percent or ZERO) / 100).quantize(Decimal("0.01"))
        record["SalesTaxPercentage"] = money(percent or ZERO)
        record["SalesTaxTotal"] = money(tax)
    rate = decimal(record.get("ExchangeRate"), "ExchangeRate") if "CurrencyRef" in record else None
    if kind == "Invoice":
        record["AppliedAmount"] = "0.00"
        record["BalanceRemaining"] = money(total + tax)
        if rate is not None:
            record["BalanceRemainingInHomeCurrency"] = money((total + tax) * rate)
        record["IsPaid"] = "false"
    elif kind == "Bill":
        record["AmountDue"] = money(total)
        record["OpenAmount"] = money(total)
        if rate is not None:
            record["AmountDueInHomeCurrency"] = money(total * rate)
        record["IsPaid"] = "false"
    else:
        record["TotalAmount"] = money(total + tax)
        if rate is not None:
            record["TotalAmountInHomeCurrency"] = money((total + tax) * rate)
    if kind == "SalesOrder":
        record["IsManuallyClosed"] = text(add, "IsManuallyClosed") or "false"
        record["IsFullyInvoiced"] = "false"
    if kind == "PurchaseOrder":
        record["IsManuallyClosed"] = "false"
        record["IsFullyReceived"] = "false"


def sales_order_add(ctx: Context, rq: etree._Element) -> Reply:
    return _document_add(ctx, rq, "SalesOrder")


def invoice_add(ctx: Context, rq: etree._Element) -> Reply:
    return _document_add(ctx, rq, "Invoice")


def estimate_add(ctx: Context, rq: etree._Element) -> Reply:
    return _document_add(ctx, rq, "Estimate")


def purchase_order_add(ctx: Context, rq: etree._Element) -> Reply:
    return _document_add(ctx, rq, "PurchaseOrder")


def bill_add(ctx: Context, rq: etree._Element) -> Reply:
    return _document_add(ctx, rq, "Bill")


def sales_order_mod(ctx: Context, rq: etree._Element) -> Reply:
    mod = rq[0]
    company = ctx.company
    txn_id = text(mod, "TxnID") or ""
    record = next((r for r in company.sales_orders if r["TxnID"] == txn_id), None)
    if record is None:
        raise statuses.not_found(txn_id)
    edit_sequence = text(mod, "EditSequence") or ""
    if edit_sequence != record["EditSequence"]:
        raise statuses.stale_edit_sequence(edit_sequence)
    if mod.find("CustomerRef") is not None:
        customer = require_ref(company, company.customers, mod.find("CustomerRef"), "Customer", "SalesOrder")
        record["CustomerRef"] = ref_of(customer) if customer else record["CustomerRef"]
    copy_passthrough(
        mod,
        record,
        "SalesOrderRet",
        {"TxnID", "EditSequence", "CustomerRef", "SalesOrderLineMod", "SalesOrderLineGroupMod"},
    )
    line_mods = mod.findall("SalesOrderLineMod")
    if line_mods:
        # As in QuickBooks, a Mod that lists lines replaces the set: omitted existing lines are deleted.
        existing = {ln["TxnLineID"]: ln for ln in record.get("SalesOrderLineRet", [])}
        new_lines: list[Record] = []
        for line_el in line_mods:
            line_id = text(line_el, "TxnLineID") or ""
            if line_id == "-1":
                line, _item = _build_line(ctx, "SalesOrder", line_el, "SalesOrderLineRet")
            else:
                if line_id not in existing:
                    raise statuses.not_found(line_id)
                line = existing[line_id]
                _mod_line(ctx, line, line_el)
            new_lines.append(line)
        record["SalesOrderLineRet"] = new_lines
        total = sum((entry_amount(ln) for ln in new_lines), ZERO)
        record["Subtotal"] = money(total)
        record["TotalAmount"] = money(total)
    if text(mod, "IsManuallyClosed") == "true":
        for line in record.get("SalesOrderLineRet", []):
            line["IsManuallyClosed"] = "true"
    _refresh_source(record, "SalesOrder")
    touch(company, record)
    return Reply([("SalesOrderRet", record)])


def _mod_line(ctx: Context, line: Record, line_el: etree._Element) -> None:
    item = require_ref(ctx.company, ctx.company.items, line_el.find("ItemRef"), "Item", "SalesOrder line")
    if item is not None:
        line["ItemRef"] = ref_of(item)
    for key in ("Desc", "IsManuallyClosed"):
        if text(line_el, key) is not None:
            line[key] = text(line_el, key)
    qty = decimal(text(line_el, "Quantity"), "Quantity")
    rate = decimal(text(line_el, "Rate"), "Rate")
    if qty is not None:
        line["Quantity"] = quantity(qty)
    if rate is not None:
        line["Rate"] = money(rate)
    amount = decimal(text(line_el, "Amount"))
    if amount is None and (qty is not None or rate is not None):
        amount = Decimal(line.get("Quantity", "1")) * Decimal(line.get("Rate", "0"))
    if amount is not None:
        line["Amount"] = money(amount)


def time_tracking_add(ctx: Context, rq: etree._Element) -> Reply:
    add = rq[0]
    company = ctx.company
    entity = require_ref(company, company.entities(), add.find("EntityRef"), "Entity", "TimeTracking")
    duration = text(add, "Duration") or ""
    if not re.fullmatch(r"-?PT(\d+H)?(\d+M)?(\d+S)?", duration) or duration in ("PT", "-PT"):
        raise statuses.invalid_value("Duration", duration, "The duration is not valid.")
    record = _header(
        ctx, "TimeTracking", add, {"EntityRef", "CustomerRef", "ItemServiceRef", "PayrollItemWageRef"}
    )
    record["EntityRef"] = ref_of(entity) if entity else None
    customer = require_ref(company, company.customers, add.find("CustomerRef"), "Customer", "TimeTracking")
    if customer is not None:
        record["CustomerRef"] = ref_of(customer)
    item = require_ref(company, company.items, add.find("ItemServiceRef"), "ItemService", "TimeTracking")
    if item is not None:
        record["ItemServiceRef"] = ref_of(item)
    wage = require_ref(
        company, company.payroll_wage_items, add.find("PayrollItemWageRef"), "PayrollItemWage", "TimeTracking"
    )
    if wage is not None:
        record["PayrollItemWageRef"] = ref_of(wage)
    record.setdefault("BillableStatus", "NotBillable" if customer is None else "Billable")
    company.time_tracking.append(record)
    return Reply([("TimeTrackingRet", record)])


def inventory_adjustment_add(ctx: Context, rq: etree._Element) -> Reply:
    add = rq[0]
    company = ctx.company
    account = require_ref(company, company.accounts, add.find("AccountRef"), "Account", "InventoryAdjustment")
    record = _header(
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
        _adjust_on_hand(company, item, diff)
    company.inventory_adjustments.append(record)
    return Reply([("InventoryAdjustmentRet", record)])


def txn_void(ctx: Context, rq: etree._Element) -> Reply:
    kind = text(rq, "TxnVoidType") or ""
    txn_id = text(rq, "TxnID") or ""
    found = ctx.company.find_txn(txn_id)
    if found is None or found[0] != kind:
        raise statuses.not_found(txn_id)
    record = found[1]
    record["_voided"] = True
    memo = record.get("Memo", "")
    record["Memo"] = memo if str(memo).startswith("VOID:") else f"VOID: {memo}".strip()
    for key in [k for k in record if k.endswith("LineRet")]:
        for entry in record[key]:
            for line in [entry, *entry.get(key, [])]:
                for amount in ("Amount", "TotalAmount"):
                    if amount in line:
                        line[amount] = "0.00"
    for key in (
        "Subtotal",
        "SalesTaxTotal",
        "TotalAmount",
        "TotalAmountInHomeCurrency",
        "AmountDue",
        "AmountDueInHomeCurrency",
        "OpenAmount",
        "BalanceRemaining",
        "BalanceRemainingInHomeCurrency",
    ):
        if key in record:
            record[key] = "0.00"
    touch(ctx.company, record)
    return Reply(
        [
            (
                "",
                {
                    "TxnVoidType": kind,
                    "TxnID": txn_id,
                    "TimeCreated": record["TimeCreated"],
                    "TimeModified": record["TimeModified"],
                    "RefNumber": record.get("RefNumber"),
                },
            )
        ]
    )


def txn_del(ctx: Context, rq: etree._Element) -> Reply:
    kind = text(rq, "TxnDelType") or ""
    txn_id = text(rq, "TxnID") or ""
    found = ctx.company.find_txn(txn_id)
    if found is None or found[0] != kind:
        raise statuses.not_found(txn_id)
    records = ctx.company.collection(kind)
    records.remove(found[1])
    from simulator.company import now_stamp

    deleted = {
        "TxnDelType": kind,
        "TxnID": txn_id,
        "TimeDeleted": now_stamp(),
        "RefNumber": found[1].get("RefNumber"),
    }
    ctx.company.deleted_txns.append(deleted)
    return Reply([("", deleted)])
