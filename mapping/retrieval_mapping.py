"""QuickBooks documents retrieved for Fusion Operations: what each becomes, or why it is skipped.

Pure: a parsed record and the tenant's settings in, a :class:`MappedDocument` out. No database, no
HTTP; whoever stores the import decides about documents already imported (FAQ 1) before or after.

The produced ``data`` has the shape the send endpoints accept (``mapping.entities.SalesOrder`` /
``PurchaseOrder``), camelCase and JSON-ready. The rules and their reasons are in docs/retrievals.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from mapping.retrieval_lines import NO_FACTS, ListFacts, Row, decimal, read_lines, totals_notes
from mapping.settings import Settings
from responses_parser.records import Transaction, TxnLine

SourceType = Literal["SalesOrder", "PurchaseOrder", "Invoice", "Estimate"]
EntityName = Literal["salesOrder", "purchaseOrder"]

# The article's table: what each QuickBooks document creates in Fusion Operations.
TARGET_ENTITY: dict[str, EntityName] = {
    "SalesOrder": "salesOrder",
    "PurchaseOrder": "purchaseOrder",
    "Invoice": "salesOrder",
    "Estimate": "salesOrder",
}

# Fusion Operations documents product observations as at most 255 characters.
PRODUCT_OBSERVATIONS_MAX = 255

# Which prefix of ``retrievedCodePrefixes`` each QuickBooks document's code takes.
CODE_PREFIX_KEY: dict[str, str] = {
    "SalesOrder": "sales_order",
    "PurchaseOrder": "purchase_order",
    "Invoice": "invoice",
    "Estimate": "estimate",
}

SKIP_VOIDED = "cancelled in QuickBooks (voided)"
SKIP_CLOSED_SALES = "closed in QuickBooks with nothing invoiced"
SKIP_CLOSED_PURCHASE = "closed in QuickBooks with nothing received or billed"
SKIP_OURS = "created by qbbridge from Fusion Operations"
SKIP_NO_ROWS = "has no item lines with a quantity and price that Fusion Operations can order"


def skip_linked_sales_order(ref: str) -> str:
    return (
        f"made from QuickBooks sales order {ref}, which is imported itself (sales order retrieval is on), "
        "so importing this too would order the same goods twice"
    )


@dataclass(frozen=True, slots=True)
class MappedDocument:
    """One QuickBooks document as Fusion Operations should receive it.

    ``skip_reason`` set: nothing is to be created, and ``data``/``products`` may be empty; the reason
    is plain language for the import's record. ``notes`` say, in plain language, what of the document
    is not in the rows as QuickBooks shows it (lines left out, discounts, tax, payments, units
    converted, a foreign currency, rows that do not add up to QuickBooks' subtotal).
    """

    entity: EntityName
    source: dict[str, str | None]
    skip_reason: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    products: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- Cancelled documents -------------------------------------------------------------------------------


_decimal = decimal


def _item_lines(lines: tuple[TxnLine, ...]) -> Iterator[TxnLine]:
    """Lines in order, group lines replaced by their members (a group's own line has no item)."""
    for line in lines:
        if line.lines:
            yield from _item_lines(line.lines)
        elif line.item_group is None:
            yield line


def is_voided(record: Transaction) -> bool:
    """QuickBooks voids by zeroing every amount and prefixing the memo with ``VOID:``; both must hold,
    so an order someone merely titled "void..." with real amounts is not dropped, and a free order
    (zero total) is not taken for a voided one."""
    memo = (record.memo or "").lstrip()
    if not memo.upper().startswith("VOID:"):
        return False
    totals = [_decimal(v) for v in (record.total_amount, record.subtotal) if v is not None]
    if totals:
        return all(total == 0 for total in totals)
    amounts = [_decimal(line.amount) for line in _item_lines(record.lines) if line.amount is not None]
    return all(amount == 0 for amount in amounts)


def _has_linked(record: Transaction, *types: str) -> bool:
    return any(link.txn_type in types for link in record.linked_txns)


def _closed_reason(record: Transaction, source_type: str) -> str | None:
    # Only an explicit, parsed ``true`` counts: a value QuickBooks sent that we cannot read must not
    # make an order disappear.
    if record.is_manually_closed is not True:
        return None
    lines = list(_item_lines(record.lines))
    if source_type == "SalesOrder":
        invoiced = any((_decimal(line.invoiced) or 0) > 0 for line in lines)
        if invoiced or record.is_fully_invoiced is True or _has_linked(record, "Invoice"):
            return None
        return SKIP_CLOSED_SALES
    if source_type == "PurchaseOrder":
        received = any((_decimal(line.received_quantity) or 0) > 0 for line in lines)
        billed = any(line.is_billed is True for line in lines)
        linked = _has_linked(record, "ItemReceipt", "Bill")
        if received or billed or linked or record.is_fully_received is True:
            return None
        return SKIP_CLOSED_PURCHASE
    return None


# --- Values --------------------------------------------------------------------------------------------


def _number(value: Decimal) -> int | float:
    # JSON has no decimals; a float prints back as the same digits for the precision QuickBooks uses.
    normalized = value.normalize()
    if normalized == normalized.to_integral_value():
        return int(normalized)
    return float(normalized)


def _moment(value: Any, settings: Settings) -> str | None:
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is None:
        # QuickBooks writes local times with an offset; one without is the company's own clock.
        value = value.replace(tzinfo=ZoneInfo(settings.timezone))
    return value.isoformat()


def _day(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else None


def product_code(full_name: str, settings: Settings) -> str:
    """The Fusion Operations product code of a QuickBooks item: its full name, or with "Ignore Category
    Names on Products Import" only the last segment (``Parts:Bolts:M8`` → ``M8``)."""
    name = full_name.strip()
    if settings.ignore_category_names:
        return name.rsplit(":", 1)[-1].strip()
    return name


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def _row_data(row: Row) -> dict[str, Any]:
    data: dict[str, Any] = {"product": {"code": row.code}, "quantity": _number(row.quantity)}
    if row.price is not None:
        data["unitPrice"] = _number(row.price)
    if row.observations is not None:
        data["observations"] = row.observations
    return data


def code_of(record: Transaction, source_type: str, settings: Settings) -> str | None:
    """The Fusion Operations code of a retrieved document: the prefix its QuickBooks type takes
    (``retrievedCodePrefixes``), then its number (``RefNumber``, else ``TxnID``)."""
    number = _text(record.ref_number) or record.txn_id
    if number is None:
        return None
    prefix = getattr(settings.retrieved_code_prefixes, CODE_PREFIX_KEY[source_type])
    return f"{prefix}{number}"


def currency_of(record: Transaction) -> tuple[str, Decimal] | None:
    """The document's currency and exchange rate when it is not the home currency: QuickBooks writes
    ``ExchangeRate`` (home currency per unit) on every document once multicurrency is on, 1 for the
    home currency."""
    rate = _decimal(record.exchange_rate)
    if rate is None or rate == 1:
        return None
    name = _text(record.currency.full_name) if record.currency else None
    return name or "a foreign currency", rate


def _currency_note(record: Transaction, currency: tuple[str, Decimal]) -> str:
    name, rate = currency
    home = _decimal(record.total_amount_in_home_currency) or _decimal(
        record.balance_remaining_in_home_currency
    )
    in_home = f"; {_plain(home)} in the home currency" if home is not None else ""
    return (
        f"amounts are in {name}, not the home currency (QuickBooks' exchange rate {_plain(rate)}{in_home}): "
        "prices are imported as QuickBooks shows them, in " + name
    )


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


def _product(code: str, desc: str | None, settings: Settings) -> dict[str, Any]:
    """The product to create for an item, per "Quickbooks Item Line Description" read backwards: the
    option says what the line description was made from, so that is what it gives back."""
    product: dict[str, Any] = {"code": code, "name": code}
    if desc is None:
        return product
    if settings.line_description == "productName":
        product["name"] = desc
    elif settings.line_description == "productObservations":
        product["observations"] = desc[:PRODUCT_OBSERVATIONS_MAX]
    # movementObservations: the description belongs to the row only (it is on the row anyway).
    return product


def _custom_fields(record: Transaction, settings: Settings) -> dict[str, Any]:
    pair = settings.custom_field_from_quickbooks
    if pair is None:
        return {}
    for ext in record.data_ext:
        # OwnerID 0 is the field the QuickBooks user sees; names are compared exactly (case-sensitive).
        if ext.owner_id == "0" and ext.name == pair.quickbooks and ext.value is not None:
            return {pair.fusion: ext.value}
    return {}


# --- The document --------------------------------------------------------------------------------------


def source_of(record: Transaction, source_type: str) -> dict[str, str | None]:
    return {"type": source_type, "txnId": record.txn_id, "refNumber": record.ref_number}


def map_document(
    record: Transaction,
    *,
    source_type: SourceType,
    settings: Settings,
    is_ours: Callable[[Transaction], bool],
    facts: ListFacts = NO_FACTS,
) -> MappedDocument:
    """What ``record`` becomes in Fusion Operations, or why it is skipped (checked in this order:
    created by qbbridge, voided, closed with nothing done, made from an imported sales order, no rows).

    ``facts``: QuickBooks' item types and unit-of-measure sets, which say what each line means."""
    entity = TARGET_ENTITY[source_type]
    source = source_of(record, source_type)

    def skipped(reason: str) -> MappedDocument:
        return MappedDocument(entity=entity, source=source, skip_reason=reason)

    if is_ours(record):
        return skipped(SKIP_OURS)
    if is_voided(record):
        return skipped(SKIP_VOIDED)
    closed = _closed_reason(record, source_type)
    if closed is not None:
        return skipped(closed)
    if source_type in ("Invoice", "Estimate") and settings.retrievals.sales_order.enabled:
        for link in record.linked_txns:
            if link.txn_type == "SalesOrder":
                return skipped(skip_linked_sales_order(link.ref_number or link.txn_id or "?"))

    read = read_lines(record, facts, lambda full_name: product_code(full_name, settings))
    notes = list(read.notes)
    if not read.rows:
        return MappedDocument(entity=entity, source=source, skip_reason=SKIP_NO_ROWS, notes=notes)
    products: dict[str, dict[str, Any]] = {}
    for row in read.rows:
        # The first line of an item names its product; later descriptions stay on their rows.
        products.setdefault(row.code, _product(row.code, row.desc, settings))
    notes += totals_notes(record, read)
    currency = currency_of(record)
    if currency is not None:
        notes.append(_currency_note(record, currency))

    party = record.customer if entity == "salesOrder" else record.vendor
    party_name = _text(party.full_name if party else None)
    if party_name is None:
        who = "customer" if entity == "salesOrder" else "vendor"
        return MappedDocument(entity=entity, source=source, skip_reason=f"has no {who}", notes=notes)
    created = _moment(record.time_created, settings)
    if created is None and isinstance(record.txn_date, dt.date):
        created = _moment(dt.datetime.combine(record.txn_date, dt.time()), settings)
    data: dict[str, Any] = {
        "code": code_of(record, source_type, settings),
        "createdAt": created,
        "documentDate": _day(record.txn_date),
    }
    if entity == "salesOrder":
        data["client"] = {"code": party_name}
        # The delivery date: the ship date, else QuickBooks' due date.
        data["dueDate"] = _day(record.ship_date) or _day(record.due_date)
    else:
        data["supplier"] = {"code": party_name}
        data["dueDate"] = _day(record.expected_date) or _day(record.due_date)
    observations = _text(record.memo)
    if observations is not None:
        data["observations"] = observations
    data["rows"] = [_row_data(row) for row in read.rows]
    data["customFields"] = _custom_fields(record, settings)
    data["quickbooks"] = dict(source)
    if currency is not None:
        data["quickbooks"]["currency"] = currency[0]
        data["quickbooks"]["exchangeRate"] = _number(currency[1])
    data = {key: value for key, value in data.items() if value is not None}
    return MappedDocument(
        entity=entity, source=source, data=data, products=list(products.values()), notes=notes
    )
