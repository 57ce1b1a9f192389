"""The simulated company file: plain lists of Ret-shaped records, saved to and loaded from JSON.

Records are dicts keyed by qbXML element names, shaped like the *Ret aggregates QuickBooks returns, so
tests can inspect them directly and responses are written from them as they are.  Keys starting with
an underscore are the simulator's own bookkeeping and never leave it.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

Record = dict[str, Any]

LIST_COLLECTIONS = {
    "Account": "accounts",
    "Customer": "customers",
    "Vendor": "vendors",
    "Employee": "employees",
    "Item": "items",
    "PayrollItemWage": "payroll_wage_items",
    "UnitOfMeasureSet": "unit_sets",
}
TXN_COLLECTIONS = {
    "SalesOrder": "sales_orders",
    "PurchaseOrder": "purchase_orders",
    "Bill": "bills",
    "Invoice": "invoices",
    "Estimate": "estimates",
    "TimeTracking": "time_tracking",
    "InventoryAdjustment": "inventory_adjustments",
}

DEFAULT_ACCOUNTS = [
    ("Accounts Receivable", "AccountsReceivable"),
    ("Accounts Payable", "AccountsPayable"),
    ("Inventory Asset", "OtherCurrentAsset"),
    ("Sales", "Income"),
    ("Services", "Income"),
    ("Cost of Goods Sold", "CostOfGoodsSold"),
    ("Inventory Adjustments", "CostOfGoodsSold"),
    ("Payroll Expenses", "Expense"),
    ("Job Materials", "Expense"),
]


def now_stamp() -> str:
    return datetime.now(UTC).astimezone().replace(microsecond=0).isoformat()


def full_name(record: Record) -> str:
    return str(record.get("FullName") or record.get("Name") or "")


def money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def quantity(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


@dataclass
class Company:
    company_name: str = "Simulated Company"
    accounts: list[Record] = field(default_factory=list)
    customers: list[Record] = field(default_factory=list)
    vendors: list[Record] = field(default_factory=list)
    employees: list[Record] = field(default_factory=list)
    items: list[Record] = field(default_factory=list)
    payroll_wage_items: list[Record] = field(default_factory=list)
    unit_sets: list[Record] = field(default_factory=list)
    dataext_defs: list[Record] = field(default_factory=list)
    company_dataext: list[Record] = field(default_factory=list)
    sales_orders: list[Record] = field(default_factory=list)
    purchase_orders: list[Record] = field(default_factory=list)
    bills: list[Record] = field(default_factory=list)
    invoices: list[Record] = field(default_factory=list)
    estimates: list[Record] = field(default_factory=list)
    time_tracking: list[Record] = field(default_factory=list)
    inventory_adjustments: list[Record] = field(default_factory=list)
    deleted_txns: list[Record] = field(default_factory=list)
    next_id: int = 1
    last_edit_sequence: int = 0
    txn_number: int = 0

    # --- construction and persistence -------------------------------------------------------------
    @classmethod
    def new(cls, company_name: str = "Simulated Company") -> Company:
        company = cls(company_name=company_name)
        for name, account_type in DEFAULT_ACCOUNTS:
            stamp = now_stamp()
            company.accounts.append(
                {
                    "ListID": company.new_list_id(),
                    "TimeCreated": stamp,
                    "TimeModified": stamp,
                    "EditSequence": company.new_edit_sequence(),
                    "Name": name,
                    "FullName": name,
                    "IsActive": "true",
                    "Sublevel": "0",
                    "AccountType": account_type,
                    "Balance": "0.00",
                    "TotalBalance": "0.00",
                }
            )
        return company

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Company:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def load(cls, path: str | Path) -> Company:
        """Load a company file; a missing file gives a new company with the default accounts."""
        path = Path(path)
        if not path.exists():
            return cls.new()
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=False), encoding="utf-8")
        tmp.replace(path)

    # --- identifiers ------------------------------------------------------------------------------
    def new_list_id(self) -> str:
        self.next_id += 1
        return f"{0x80000000 + self.next_id:X}-{int(time.time())}"

    def new_txn_id(self) -> str:
        self.next_id += 1
        return f"{self.next_id:X}-{int(time.time())}"

    def new_edit_sequence(self) -> str:
        # QuickBooks uses a timestamp; it must still change on two edits within one second.
        self.last_edit_sequence = max(int(time.time()), self.last_edit_sequence + 1)
        return str(self.last_edit_sequence)

    def new_txn_number(self) -> str:
        self.txn_number += 1
        return str(self.txn_number)

    # --- lookups ----------------------------------------------------------------------------------
    def collection(self, kind: str) -> list[Record]:
        name = LIST_COLLECTIONS.get(kind) or TXN_COLLECTIONS.get(kind)
        if name is None:
            raise KeyError(kind)
        records: list[Record] = getattr(self, name)
        return records

    def entities(self) -> list[Record]:
        return [*self.customers, *self.vendors, *self.employees]

    def find_list(
        self, records: list[Record], *, list_id: str | None = None, name: str | None = None
    ) -> Record | None:
        for record in records:
            if list_id is not None:
                if record.get("ListID") == list_id:
                    return record
            elif name is not None and full_name(record).lower() == name.lower():
                return record
        return None

    def find_txn(self, txn_id: str) -> tuple[str, Record] | None:
        for kind in TXN_COLLECTIONS:
            for record in self.collection(kind):
                if record.get("TxnID") == txn_id:
                    return kind, record
        return None

    def item(self, name: str) -> Record | None:
        return self.find_list(self.items, name=name)

    def quantity_on_hand(self, item_name: str) -> Decimal:
        record = self.item(item_name)
        if record is None or record.get("_type") != "ItemInventory":
            raise KeyError(item_name)
        return Decimal(record.get("QuantityOnHand", "0"))

    def set_quantity_on_hand(self, record: Record, value: Decimal) -> None:
        record["QuantityOnHand"] = quantity(value)

    def customer(self, full: str) -> Record | None:
        return self.find_list(self.customers, name=full)

    def sales_order(self, ref_number: str) -> Record | None:
        return next((r for r in self.sales_orders if r.get("RefNumber") == ref_number), None)

    def custom_field(self, record: Record, name: str, owner_id: str = "0") -> str | None:
        for ext in record.get("DataExtRet", []):
            if ext.get("OwnerID") == owner_id and ext.get("DataExtName") == name:
                return str(ext.get("DataExtValue"))
        return None
