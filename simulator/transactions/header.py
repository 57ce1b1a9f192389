"""What every transaction Add starts with: its TxnID, customer or vendor (and their currency), date
and reference number."""

from __future__ import annotations

import re
from datetime import date

from lxml import etree

from simulator.company import Record
from simulator.records import (
    Context,
    copy_passthrough,
    ref_of,
    require_ref,
    stamp_new_txn,
    text,
)


def _next_ref_number(records: list[Record]) -> str:
    numbers = [int(r["RefNumber"]) for r in records if re.fullmatch(r"\d{1,11}", str(r.get("RefNumber", "")))]
    return str(max(numbers, default=0) + 1)


def txn_header(ctx: Context, kind: str, add: etree._Element, handled: set[str]) -> Record:
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
