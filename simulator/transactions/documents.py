"""Documents with lines: SalesOrderAdd, InvoiceAdd, EstimateAdd, PurchaseOrderAdd, BillAdd (one
handler, ``document_add``, by kind), their totals and sales tax, and SalesOrderMod."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from simulator import statuses
from simulator.company import Record, full_name, money, quantity
from simulator.records import (
    Context,
    Reply,
    copy_passthrough,
    decimal,
    ref_of,
    require_ref,
    text,
    touch,
)
from simulator.transactions.header import txn_header
from simulator.transactions.lines import (
    GROUP_TAGS,
    LINE_TAGS,
    ZERO,
    build_group,
    build_line,
    entry_amount,
    flat_lines,
    is_taxable,
)
from simulator.transactions.links import finish_links, link_line, pull_linked, refresh_source
from simulator.transactions.stock import adjust_on_hand


def document_add(ctx: Context, rq: etree._Element, kind: str) -> Reply:
    """``{kind}AddRq`` for every kind of document with lines (``LINE_TAGS``)."""
    add = rq[0]
    company = ctx.company
    if kind == "SalesOrder" and ctx.host.edition == "Pro":
        raise statuses.not_available()
    line_add, line_ret = LINE_TAGS[kind]
    group_add, group_ret = GROUP_TAGS[kind]
    record = txn_header(
        ctx, kind, add, {line_add, group_add, "ExpenseLineAdd", "IsManuallyClosed", "ItemSalesTaxRef"}
    )
    lines: list[Record] = []
    links = pull_linked(ctx, record, kind, add, line_ret, lines)
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
            line, item = build_line(ctx, kind, line_el, line_ret, above=above, segment=segment)
            link = link_line(ctx, kind, line_el, line)
            if link is not None:
                links.append(link)
            lines.append(line)
            if "_special" not in line:
                moved.append((item, Decimal(line.get("Quantity", "0"))))
        elif line_el.tag == group_add:
            line, members = build_group(ctx, kind, line_el, line_ret, group_ret)
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
            if is_taxable(ln) and ln.get("_special") in (None, "discount")
        ),
        ZERO,
    )
    _totals(ctx, record, kind, total, taxable, add)
    # Invoices ship goods and bills receive them; orders and estimates leave stock alone.
    sign = {"Invoice": Decimal(-1), "Bill": Decimal(1)}.get(kind)
    if sign is not None:
        for item, qty in moved:
            adjust_on_hand(company, item, sign * qty)
    finish_links(ctx, record, kind, links)
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
                line, _item = build_line(ctx, "SalesOrder", line_el, "SalesOrderLineRet")
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
    refresh_source(record, "SalesOrder")
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
