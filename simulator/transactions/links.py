"""The links QuickBooks keeps between transactions: an invoice or bill that takes the open lines of an
order (LinkToTxnID, or LinkToTxn on a line), the quantities invoiced or received on the order, and the
LinkedTxn each side lists."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from simulator import statuses
from simulator.company import Record, money, quantity
from simulator.records import (
    Context,
    text,
    texts,
    touch,
)
from simulator.transactions.lines import (
    ZERO,
    flat_lines,
)


def _linked(record: Record, kind: str, amount: Decimal) -> Record:
    return {
        "TxnID": record["TxnID"],
        "TxnType": kind,
        "TxnDate": record["TxnDate"],
        "RefNumber": record.get("RefNumber"),
        "LinkType": "QUANTYPE",
        "Amount": money(amount),
    }


def source_lines(source: Record, kind: str) -> list[Record]:
    """The goods lines of a document, group members included: what an invoice or a bill can take."""
    key = "ItemLineRet" if kind == "Bill" else f"{kind}LineRet"
    return [line for line in flat_lines(source.get(key, []), key) if "_special" not in line]


def open_quantity(line: Record, done_key: str) -> Decimal:
    if line.get("IsManuallyClosed") == "true":
        return ZERO
    return Decimal(line.get("Quantity", "1")) - Decimal(line.get(done_key, "0"))


def refresh_source(source: Record, kind: str) -> None:
    done_key = "Invoiced" if kind == "SalesOrder" else "ReceivedQuantity"
    flag = "IsFullyInvoiced" if kind == "SalesOrder" else "IsFullyReceived"
    lines = source_lines(source, kind)
    if kind in ("SalesOrder", "PurchaseOrder"):
        source[flag] = "true" if all(open_quantity(ln, done_key) <= 0 for ln in lines) else "false"


def pull_linked(
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
        for src_line in source_lines(source, source_kind):
            open_qty = open_quantity(src_line, done_key)
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


def link_line(
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
    src_line = next((ln for ln in source_lines(source, source_kind) if ln.get("TxnLineID") == line_id), None)
    if src_line is None:
        raise statuses.not_found(line_id)
    if source_kind in ("SalesOrder", "PurchaseOrder"):
        done_key = "Invoiced" if source_kind == "SalesOrder" else "ReceivedQuantity"
        qty = Decimal(line.get("Quantity") or open_quantity(src_line, done_key))
        src_line[done_key] = quantity(Decimal(src_line.get(done_key, "0")) + qty)
    return source, source_kind, Decimal(line["Amount"])


def finish_links(ctx: Context, record: Record, kind: str, links: list[tuple[Record, str, Decimal]]) -> None:
    merged: dict[str, tuple[Record, str, Decimal]] = {}
    for source, source_kind, amount in links:
        prev = merged.get(source["TxnID"])
        merged[source["TxnID"]] = (source, source_kind, amount + (prev[2] if prev else ZERO))
    for source, source_kind, amount in merged.values():
        record.setdefault("LinkedTxn", []).append(_linked(source, source_kind, amount))
        source.setdefault("LinkedTxn", []).append(_linked(record, kind, amount))
        refresh_source(source, source_kind)
        touch(ctx.company, source)
