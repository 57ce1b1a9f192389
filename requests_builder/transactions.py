"""Transaction requests: sales orders, purchase orders, bills, invoices, time, inventory adjustments."""

from __future__ import annotations

from requests_builder.enums import BillableStatus, PriceRuleConflict
from requests_builder.errors import BuildError
from requests_builder.model import Address, LineDataExt, LinkToTxn, QBObject, Ref, Request, qbxml
from requests_builder.request_fields import (
    Amount,
    Day,
    Duration,
    ExternalGuid,
    Flag,
    Id,
    Ident,
    Ids,
    Number,
    Text,
    el,
)


def _at_most_one(obj: QBObject, field: str, *names: str) -> None:
    given = [name for name in names if getattr(obj, name) is not None]
    if len(given) > 1:
        raise BuildError(field, f"give only one of {', '.join(names)}", value=given)


def _exactly_one(obj: QBObject, field: str, *names: str) -> None:
    given = [name for name in names if getattr(obj, name) is not None]
    if len(given) != 1:
        raise BuildError(field, f"give exactly one of {', '.join(names)}", value=given or None)


def _needs_lines(obj: QBObject, field: str, attr: str = "lines") -> None:
    if not getattr(obj, attr):
        raise BuildError(f"{field}.{attr}", "at least one line is required")


# --- Headers and lines shared between transactions ------------------------------------------------------
# The writer takes each element's place from the schema table, never from the class, so fields that
# several transactions share are declared once in a base class and each request adds only its own.


@qbxml
class _TxnHead(Request):
    """The fields of every sales order, invoice, purchase order and bill (add or mod)."""

    txn_date: Day
    ref_number: Ident
    terms: Ref | None
    due_date: Day
    memo: Text


@qbxml
class _ShippedTxnHead(_TxnHead):
    """What sales orders, invoices and purchase orders add: a form, a class, and how goods travel."""

    class_ref: Ref | None
    template: Ref | None
    ship_address: Address | None
    ship_method: Ref | None
    fob: Text
    is_to_be_printed: Flag
    is_to_be_emailed: Flag


@qbxml
class _SalesHead(_ShippedTxnHead):
    """What a sale (a sales order, added or changed, or an invoice) adds to a shipped transaction."""

    bill_address: Address | None
    po_number: Ident
    sales_rep: Ref | None
    ship_date: Day
    item_sales_tax: Ref | None
    customer_msg: Ref | None
    other: Text


@qbxml
class _SalesAddHead(_SalesHead):
    """What adding a sale needs beyond the fields a change can also set."""

    customer: Ref | None = el(required=True)
    customer_sales_tax_code: Ref | None
    exchange_rate: Number
    external_guid: ExternalGuid


@qbxml
class _ItemLine(QBObject):
    """The fields of every item line: sales order (add or mod), invoice, purchase order and bill."""

    item: Ref | None
    desc: Text
    quantity: Number
    unit_of_measure: Ident
    class_ref: Ref | None
    amount: Amount
    inventory_site_location: Ref | None
    sales_tax_code: Ref | None


@qbxml
class _SalesLineHead(_ItemLine):
    """The fields a sales order line (add or mod) and an invoice line share, and their rules."""

    rate: Number
    rate_percent: Number
    price_level: Ref | None
    inventory_site: Ref | None
    serial_number: Ident
    lot_number: Ident
    other1: Text
    other2: Text

    def check(self, field: str, version: tuple[int, int]) -> None:
        _at_most_one(self, field, "rate", "rate_percent", "price_level")
        _at_most_one(self, field, "serial_number", "lot_number")


@qbxml
class _SalesLine(_SalesLineHead):
    """What a new sales order line and an invoice line add."""

    option_for_price_rule_conflict: PriceRuleConflict
    data_ext: list[LineDataExt]


# --- Sales orders ------------------------------------------------------------------------------------


@qbxml
class SalesOrderLine(_SalesLine):
    is_manually_closed: Flag


@qbxml
class SalesOrderAdd(_SalesAddHead, body="SalesOrderAdd"):
    is_manually_closed: Flag
    lines: list[SalesOrderLine] = el("SalesOrderLineAdd")

    def check(self, field: str, version: tuple[int, int]) -> None:
        _needs_lines(self, field)


@qbxml
class SalesOrderLineMod(_SalesLineHead):
    """An existing line (its ``TxnLineID``) or ``"-1"`` for a new one. In a mod, QuickBooks deletes every
    existing line that is not listed, so list them all when sending any."""

    txn_line_id: Id = el(required=True)
    is_manually_closed: Flag


@qbxml
class SalesOrderMod(_SalesHead, body="SalesOrderMod"):
    """Change a sales order; ``is_manually_closed=True`` with no lines marks the whole order closed."""

    txn_id: Id = el(required=True)
    edit_sequence: Ident = el(required=True)
    customer: Ref | None
    is_manually_closed: Flag
    lines: list[SalesOrderLineMod] = el("SalesOrderLineMod")


# --- Purchase orders and bills -----------------------------------------------------------------------


@qbxml
class PurchaseOrderLine(_ItemLine):
    manufacturer_part_number: Ident
    rate: Number
    customer: Ref | None
    service_date: Day
    override_item_account: Ref | None
    other1: Text
    other2: Text
    data_ext: list[LineDataExt]


@qbxml
class PurchaseOrderAdd(_ShippedTxnHead, body="PurchaseOrderAdd"):
    vendor: Ref | None = el(required=True)
    inventory_site: Ref | None
    ship_to_entity: Ref | None
    vendor_address: Address | None
    expected_date: Day
    vendor_msg: Text
    other1: Text
    other2: Text
    exchange_rate: Number
    external_guid: ExternalGuid
    lines: list[PurchaseOrderLine] = el("PurchaseOrderLineAdd")

    def check(self, field: str, version: tuple[int, int]) -> None:
        _at_most_one(self, field, "inventory_site", "ship_to_entity")
        _needs_lines(self, field)


@qbxml
class BillExpenseLine(QBObject):
    account: Ref | None
    amount: Amount
    memo: Text
    customer: Ref | None
    class_ref: Ref | None
    sales_tax_code: Ref | None
    billable_status: BillableStatus
    sales_rep: Ref | None
    data_ext: list[LineDataExt]


@qbxml
class BillItemLine(_ItemLine):
    inventory_site: Ref | None
    serial_number: Ident
    lot_number: Ident
    cost: Number
    customer: Ref | None
    billable_status: BillableStatus
    override_item_account: Ref | None
    link_to_txn: LinkToTxn | None
    sales_rep: Ref | None
    data_ext: list[LineDataExt]

    def check(self, field: str, version: tuple[int, int]) -> None:
        _at_most_one(self, field, "serial_number", "lot_number")


@qbxml
class BillAdd(_TxnHead, body="BillAdd"):
    """A vendor bill; ``link_to_txn_ids`` receives against whole purchase orders (qbXML 4.0)."""

    vendor: Ref | None = el(required=True)
    vendor_address: Address | None
    ap_account: Ref | None
    exchange_rate: Number
    external_guid: ExternalGuid
    link_to_txn_ids: Ids
    expense_lines: list[BillExpenseLine] = el("ExpenseLineAdd")
    item_lines: list[BillItemLine] = el("ItemLineAdd")

    def check(self, field: str, version: tuple[int, int]) -> None:
        if not (self.expense_lines or self.item_lines or self.link_to_txn_ids):
            raise BuildError(
                f"{field}.item_lines", "a bill needs at least one line or a linked purchase order"
            )


# --- Invoices -----------------------------------------------------------------------------------------


@qbxml
class InvoiceLine(_SalesLine):
    service_date: Day
    override_item_account: Ref | None
    link_to_txn: LinkToTxn | None


@qbxml
class InvoiceAdd(_SalesAddHead, body="InvoiceAdd"):
    """An invoice; ``link_to_txn_ids`` invoices whole sales orders or estimates (qbXML 6.0), a line's
    ``link_to_txn`` one sales order line."""

    ar_account: Ref | None
    is_pending: Flag
    link_to_txn_ids: Ids
    lines: list[InvoiceLine] = el("InvoiceLineAdd")

    def check(self, field: str, version: tuple[int, int]) -> None:
        if not (self.lines or self.link_to_txn_ids):
            raise BuildError(f"{field}.lines", "an invoice needs at least one line or a linked sales order")


# --- Time and inventory -------------------------------------------------------------------------------


@qbxml
class TimeTrackingAdd(Request, body="TimeTrackingAdd"):
    txn_date: Day
    entity: Ref | None = el(required=True)
    customer: Ref | None
    item_service: Ref | None
    rate: Number
    duration: Duration = el(required=True)
    class_ref: Ref | None
    payroll_item_wage: Ref | None
    notes: Text
    billable_status: BillableStatus
    external_guid: ExternalGuid


@qbxml
class QuantityAdjustment(QBObject):
    """Set the new quantity on hand, or change it by a difference (exactly one of the two)."""

    new_quantity: Number
    quantity_difference: Number
    serial_number: Ident
    lot_number: Ident
    inventory_site_location: Ref | None

    def check(self, field: str, version: tuple[int, int]) -> None:
        _exactly_one(self, field, "new_quantity", "quantity_difference")
        _at_most_one(self, field, "serial_number", "lot_number")


@qbxml
class InventoryAdjustmentLine(QBObject):
    item: Ref | None = el(required=True)
    quantity_adjustment: QuantityAdjustment | None = el(required=True)


@qbxml
class InventoryAdjustmentAdd(Request, body="InventoryAdjustmentAdd"):
    account: Ref | None = el(required=True)
    txn_date: Day
    ref_number: Ident
    inventory_site: Ref | None
    customer: Ref | None
    class_ref: Ref | None
    memo: Text
    external_guid: ExternalGuid
    lines: list[InventoryAdjustmentLine] = el("InventoryAdjustmentLineAdd")

    def check(self, field: str, version: tuple[int, int]) -> None:
        _needs_lines(self, field)
