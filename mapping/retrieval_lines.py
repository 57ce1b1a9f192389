"""The lines of a retrieved QuickBooks document, read by what QuickBooks means by them.

A QuickBooks line names an item, and the item's type decides what the line is: goods or services to
order (a Fusion Operations row), a subtotal (QuickBooks' own sum of the lines above it), a discount (it
lowers the line above it, or everything a subtotal above it sums), sales tax, or a payment received.
A group line carries its member lines, which are the goods. A line's quantity is in the unit of
measure it names, which may be a multiple of the item's base unit.

The answer to a document query gives none of this: item types and unit-of-measure sets are QuickBooks
lists, read by the retrieval before its documents and handed in as :class:`ListFacts`. An item the
facts do not know is read as goods, as it always was; the totals check then says when the rows do not
add up to QuickBooks' own figure.

Pure: no database, no HTTP. The rules and their reasons are in docs/retrievals.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, NamedTuple, TypeVar

from responses_parser.records import RefValue, Transaction, TxnLine, UnitOfMeasureSet

LineKind = Literal["goods", "subtotal", "discount", "salesTax", "payment", "group", "text"]

# Item types (the element QuickBooks returns an item in, without "Ret") that are not goods.
KIND_OF_ITEM_TYPE: dict[str, LineKind] = {
    "ItemSubtotal": "subtotal",
    "ItemDiscount": "discount",
    "ItemSalesTax": "salesTax",
    "ItemSalesTaxGroup": "salesTax",
    "ItemPayment": "payment",
}

# QuickBooks keeps rates to 5 decimals; a price worked out here is rounded to the same.
PRICE_PLACES = Decimal("0.00001")
CENT = Decimal("0.01")


def decimal(value: Any) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def money(value: Decimal) -> str:
    return f"{value.quantize(CENT)}"


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


# --- What the retrieval knows of QuickBooks' lists -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitSet:
    """A unit-of-measure set: the base unit, and each related unit as a number of base units."""

    name: str
    base: str
    base_abbreviation: str | None = None
    related: tuple[tuple[str, str | None, Decimal], ...] = ()

    def base_units_per(self, unit: str) -> Decimal | None:
        """How many base units one ``unit`` is (by name or abbreviation, case ignored), or None."""
        wanted = unit.strip().casefold()
        if wanted in (self.base.casefold(), (self.base_abbreviation or "").casefold()):
            return Decimal(1)
        for name, abbreviation, ratio in self.related:
            if wanted in (name.casefold(), (abbreviation or "").casefold()):
                return ratio
        return None

    def to_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "base": self.base,
            "baseAbbreviation": self.base_abbreviation,
            "related": [
                {"name": name, "abbreviation": abbreviation, "ratio": str(ratio)}
                for name, abbreviation, ratio in self.related
            ],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> UnitSet:
        return cls(
            name=str(data.get("name") or ""),
            base=str(data.get("base") or ""),
            base_abbreviation=data.get("baseAbbreviation"),
            related=tuple(
                (str(unit["name"]), unit.get("abbreviation"), Decimal(str(unit["ratio"])))
                for unit in data.get("related") or ()
            ),
        )

    @classmethod
    def from_record(cls, record: UnitOfMeasureSet) -> UnitSet | None:
        """The set as QuickBooks returned it; None when it has no readable base unit."""
        base = record.base_unit
        if base is None or not (base.name or "").strip():
            return None
        related = []
        for unit in record.related_units:
            ratio = decimal(unit.conversion_ratio)
            if (unit.name or "").strip() and ratio is not None and ratio > 0:
                related.append((unit.name or "", unit.abbreviation, ratio))
        return cls(
            name=record.name or "",
            base=base.name or "",
            base_abbreviation=base.abbreviation,
            related=tuple(related),
        )


@dataclass(frozen=True, slots=True)
class KnownItem:
    """An item as the item list gives it: its type (``ItemInventory``, ``ItemDiscount``...) and the
    ListID of its unit-of-measure set, if it has one."""

    type: str
    unit_set_id: str | None = None


@dataclass(frozen=True, slots=True)
class ListFacts:
    """Items by ListID (and by full name, case ignored), unit-of-measure sets by ListID (and name).

    ``units_read``: whether QuickBooks' unit-of-measure sets were read (qbXML 7.0 and later); without
    them a line in a unit of measure cannot be converted."""

    items: Mapping[str, KnownItem] = field(default_factory=dict)
    items_by_name: Mapping[str, KnownItem] = field(default_factory=dict)
    unit_sets: Mapping[str, UnitSet] = field(default_factory=dict)
    unit_sets_by_name: Mapping[str, UnitSet] = field(default_factory=dict)
    units_read: bool = False

    def item(self, ref: RefValue | None) -> KnownItem | None:
        return _named(ref, self.items, self.items_by_name)

    def unit_set(self, ref: RefValue | None) -> UnitSet | None:
        return _named(ref, self.unit_sets, self.unit_sets_by_name)


Known = TypeVar("Known")


def _named(ref: RefValue | None, by_id: Mapping[str, Known], by_name: Mapping[str, Known]) -> Known | None:
    """What ``ref`` names: by its ListID when that is known, else by its full name (case-folded)."""
    if ref is None:
        return None
    if ref.list_id and ref.list_id in by_id:
        return by_id[ref.list_id]
    return by_name.get((ref.full_name or "").strip().casefold())


NO_FACTS = ListFacts()


# --- Reading the lines ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Row:
    """A line that becomes a Fusion Operations row: quantity in base units, price per base unit, and
    ``amount``, what QuickBooks charges for it once the discounts that apply to it are spread."""

    code: str
    quantity: Decimal
    price: Decimal | None
    amount: Decimal
    desc: str | None
    observations: str | None


class Outside(NamedTuple):
    """An amount QuickBooks counts in the document's subtotal that no row holds, and what it is."""

    what: str
    amount: Decimal


@dataclass(slots=True)
class ReadLines:
    """What a transaction's lines came to: its rows, the notes the import carries about lines that did
    not become rows, and the amounts counted outside the rows (for the totals' check)."""

    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    outside: list[Outside] = field(default_factory=list)


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def _name(line: TxnLine) -> str:
    ref = line.item or line.item_group
    return _text(ref.full_name if ref else None) or _text(line.desc) or "a line"


def line_kind(line: TxnLine, facts: ListFacts) -> LineKind:
    if line.lines or line.item_group is not None:
        return "group"
    if line.item is None or not _text(line.item.full_name):
        return "text"
    known = facts.item(line.item)
    return KIND_OF_ITEM_TYPE.get(known.type, "goods") if known is not None else "goods"


# Lines QuickBooks counts that stand for no product: (what the line is called, what it is instead).
_NOT_PRODUCTS = {"salesTax": ("sales tax", "tax"), "payment": ("payment", "a payment received")}


class _Reader:
    def __init__(self, facts: ListFacts, code_of: Callable[[str], str]) -> None:
        self.facts = facts
        self.code_of = code_of
        self.result = ReadLines()

    @property
    def rows(self) -> list[Row]:
        return self.result.rows

    def note(self, text: str) -> None:
        self.result.notes.append(text)

    def set_aside(self, what: str, amount: Decimal | None, why: str) -> None:
        """A line that is not a row: ``why`` is noted, and its amount is counted outside the rows as
        ``what``."""
        self.note(why)
        if amount is not None and amount != 0:
            self.result.outside.append(Outside(what, amount))

    def read(self, lines: tuple[TxnLine, ...]) -> None:
        """Read ``lines`` in order. ``above``: the rows the previous line stands for (what a discount
        there applies to); ``segment``: where the rows a subtotal sums begin (after the previous one)."""
        segment = len(self.rows)
        above: list[int] = []
        for line in lines:
            kind = line_kind(line, self.facts)
            amount = decimal(line.amount)
            name = _name(line)
            if kind == "group":
                start = len(self.rows)
                if not line.lines:
                    total = decimal(line.total_amount)
                    why = f'group "{name}" came without its lines, so none of them is a row'
                    self.set_aside(f'group "{name}" without its lines', total, why)
                self.read(line.lines)
                above = list(range(start, len(self.rows)))
            elif kind == "subtotal":
                # QuickBooks' own sum of the lines above it: never a row, never a product.
                above = list(range(segment, len(self.rows)))
                segment = len(self.rows)
            elif kind == "discount":
                self.discount(line, name, amount, above)
                above = []
            elif kind in ("salesTax", "payment"):
                # Sales tax shows its rate; both are money QuickBooks counts that no product stands for.
                rate = decimal(line.rate_percent) if kind == "salesTax" else None
                shown = f"{_plain(rate)}%, " if rate is not None else ""
                what, is_what = _NOT_PRODUCTS[kind]
                label = f'{what} line "{name}"'
                shown += money(amount or Decimal(0))
                self.set_aside(label, amount, f"{label} ({shown}) is {is_what}, not a product: not a row")
                above = []
            elif kind == "text":
                if amount:
                    why = f'line "{name}" has an amount ({money(amount)}) but no item: not a row'
                    self.set_aside(f'line "{name}" without an item', amount, why)
                above = []
            else:
                row, problem = self.goods(line, name, amount)
                if row is None:
                    self.set_aside(f'line for "{name}" (left out)', amount, problem or "")
                    above = []
                else:
                    self.rows.append(row)
                    above = [len(self.rows) - 1]

    def discount(self, line: TxnLine, name: str, amount: Decimal | None, above: list[int]) -> None:
        """A discount lowers what the line above it charges: the prices of the rows that line stands
        for are lowered in proportion to their amounts, so the rows add up to the discounted total."""
        targets = [index for index in above if self.rows[index].price is not None]
        base = sum((self.rows[index].amount for index in targets), Decimal(0))
        if amount is None:
            rate = decimal(line.rate_percent)
            amount = (base * rate / 100).quantize(CENT) if rate is not None else None
        if not amount:
            return
        shown = money(amount)
        if base <= 0 or base + amount < 0:
            why = (
                f'discount line "{name}" ({shown}) follows a line that is not a product row, so it '
                "could not be taken off any row's price: not in the rows"
            )
            self.set_aside(f'discount line "{name}"', amount, why)
            return
        factor = (base + amount) / base
        for index in targets:
            row = self.rows[index]
            row.amount = row.amount * factor
            row.price = (row.amount / row.quantity).quantize(PRICE_PLACES)
        codes = ", ".join(dict.fromkeys(self.rows[index].code for index in targets))
        self.note(
            f'discount line "{name}" ({shown}) is taken off the prices of the rows it applies to ({codes})'
        )

    def goods(self, line: TxnLine, name: str, amount: Decimal | None) -> tuple[Row | None, str | None]:
        label = f'line for "{name}"'
        quantity = decimal(line.quantity)
        rate = decimal(line.rate)
        price: Decimal | None
        if line.quantity is None:
            # Service and charge lines often carry only an amount: one unit at that amount.
            if amount is None:
                return None, f"{label} has neither quantity nor amount; left out"
            quantity = Decimal(1)
            price = rate if rate is not None else amount
        else:
            if quantity is None or quantity <= 0:
                return None, f"{label} has quantity {line.quantity}; Fusion Operations rows need more than 0"
            if rate is not None:
                price = rate
            elif amount is not None:
                price = (amount / quantity).quantize(PRICE_PLACES)
            else:
                price = None
        if price is not None and price < 0:
            return None, f"{label} has a negative price ({_plain(price)}), a discount or credit; left out"
        desc = _text(line.desc)
        observations = desc
        charged = amount if amount is not None else quantity * (price or Decimal(0))
        unit = _text(line.unit_of_measure)
        if unit is not None:
            converted, problem = self.in_base_units(line, label, unit, quantity, price)
            if converted is None:
                return None, problem
            base_quantity, base_price, shown = converted
            if base_quantity != quantity:
                observations = f"{desc} ({shown})" if desc else shown
            quantity, price = base_quantity, base_price
        assert line.item is not None
        code = self.code_of(line.item.full_name or "")
        return Row(code, quantity, price, charged, desc, observations), None

    def in_base_units(
        self, line: TxnLine, label: str, unit: str, quantity: Decimal, price: Decimal | None
    ) -> tuple[tuple[Decimal, Decimal | None, str] | None, str | None]:
        """The quantity and price in the item's base unit, and how the unit was converted; or why the
        line cannot be converted (it is then left out rather than read as base units)."""
        why = f'{label} is in "{unit}", and '
        cannot = "; left out, add it by hand in base units"
        if not self.facts.units_read:
            return None, why + "QuickBooks' unit-of-measure sets could not be read" + cannot
        if line.override_uom_set is not None:
            unit_set = self.facts.unit_set(line.override_uom_set)
            set_name = _text(line.override_uom_set.full_name) or line.override_uom_set.list_id or "?"
        else:
            known = self.facts.item(line.item)
            unit_set = self.facts.unit_sets.get(known.unit_set_id) if known and known.unit_set_id else None
            set_name = None
        if unit_set is None:
            missing = (
                f'its unit-of-measure set "{set_name}" is unknown'
                if set_name
                else ("the item has no unit-of-measure set qbbridge knows")
            )
            return None, why + missing + cannot
        ratio = unit_set.base_units_per(unit)
        if ratio is None:
            return None, why + f'"{unit}" is not a unit of the set "{unit_set.name}"' + cannot
        if ratio == 1:
            return (quantity, price, unit), None
        base_quantity = quantity * ratio
        base_price = (price / ratio).quantize(PRICE_PLACES) if price is not None else None
        shown = f"{_plain(quantity)} {unit} = {_plain(base_quantity)} {unit_set.base}"
        self.note(f"{label} is in {unit}: converted to {shown}")
        return (base_quantity, base_price, shown), None


def read_lines(record: Transaction, facts: ListFacts, code_of: Callable[[str], str]) -> ReadLines:
    """The rows of ``record`` and what its other lines mean (``code_of``: item full name → product code)."""
    reader = _Reader(facts, code_of)
    reader.read(record.lines)
    return reader.result


# --- Do the rows add up? -------------------------------------------------------------------------------


def rows_total(rows: list[Row]) -> Decimal:
    """What the imported rows add up to: quantity × price, as Fusion Operations will count them."""
    return sum((row.quantity * row.price for row in rows if row.price is not None), Decimal(0))


def _tolerance(rows: list[Row]) -> Decimal:
    # Prices are kept to 5 decimals and QuickBooks rounds each line's amount to the cent.
    return Decimal("0.005") * max(1, len(rows)) + sum((row.quantity for row in rows), Decimal(0)) * Decimal(
        "0.000005"
    )


def quickbooks_subtotal(record: Transaction) -> tuple[Decimal, str] | None:
    """What QuickBooks shows the lines add up to, and what it calls it: the ``Subtotal`` (sales
    documents: before the document's sales tax), else ``TotalAmount`` less any sales tax."""
    subtotal = decimal(record.subtotal)
    if subtotal is not None:
        return subtotal, "subtotal"
    total = decimal(record.total_amount)
    if total is None:
        return None
    tax = decimal(record.sales_tax_total) or Decimal(0)
    return total - tax, "total" if not tax else "total before tax"


def totals_notes(record: Transaction, read: ReadLines) -> list[str]:
    """What the import says about its totals: the document's sales tax, and, when the rows do not add
    up to QuickBooks' figure, why (or that the difference is not explained)."""
    notes: list[str] = []
    tax = decimal(record.sales_tax_total)
    if tax:
        rate = decimal(record.sales_tax_percentage)
        item = _text(record.item_sales_tax.full_name) if record.item_sales_tax else None
        about = ", ".join(part for part in (item, f"{_plain(rate)}%" if rate is not None else None) if part)
        total = decimal(record.total_amount)
        with_tax = f"; QuickBooks' total with tax is {money(total)}" if total is not None else ""
        notes.append(
            f"sales tax of {money(tax)}{f' ({about})' if about else ''} is tax, not a product: not in "
            f"the rows{with_tax}"
        )
    shown = quickbooks_subtotal(record)
    if shown is None:
        notes.append("QuickBooks gave no subtotal or total to check the rows against")
        return notes
    expected, label = shown
    total_rows = rows_total(read.rows)
    difference = expected - total_rows
    tolerance = _tolerance(read.rows)
    if abs(difference) <= tolerance:
        return notes
    explained = sum((item.amount for item in read.outside), Decimal(0))
    head = f"the rows add up to {money(total_rows)}, not QuickBooks' {label} of {money(expected)}"
    if read.outside and abs(difference - explained) <= tolerance:
        parts = ", ".join(f"{item.what} ({money(item.amount)})" for item in read.outside)
        notes.append(f"{head}: the difference is {parts}")
    else:
        notes.append(
            f"{head}, and {money(difference - explained)} of the difference is not explained by the "
            "lines QuickBooks returned: check this order in QuickBooks before relying on its prices"
        )
    return notes
