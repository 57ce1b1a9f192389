"""Transaction requests: sales orders, purchase orders, bills, invoices, time, inventory adjustments."""

# `el()` returns a dataclasses.field (see requests_builder.model), which RUF009 cannot see through.
# ruff: noqa: RUF009

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from requests_builder.enums import BILLABLE_STATUS, PRICE_RULE_CONFLICT
from requests_builder.errors import BuildError
from requests_builder.model import Address, LineDataExt, LinkToTxn, QBObject, Ref, Request, el

Number = Decimal | int | float | str
Day = date | str


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


@dataclass(kw_only=True, slots=True)
class _TxnHead(Request):
    """The fields of every sales order, invoice, purchase order and bill (add or mod)."""

    txn_date: Day | None = el("TxnDate", "date")
    ref_number: str | None = el("RefNumber", ident=True)
    terms: Ref | None = el("TermsRef", "ref")
    due_date: Day | None = el("DueDate", "date")
    memo: str | None = el("Memo")


@dataclass(kw_only=True, slots=True)
class _ShippedTxnHead(_TxnHead):
    """What sales orders, invoices and purchase orders add: a form, a class, and how goods travel."""

    class_ref: Ref | None = el("ClassRef", "ref")
    template: Ref | None = el("TemplateRef", "ref")
    ship_address: Address | None = el("ShipAddress", "agg", cls=Address)
    ship_method: Ref | None = el("ShipMethodRef", "ref")
    fob: str | None = el("FOB")
    is_to_be_printed: bool | None = el("IsToBePrinted", "bool")
    is_to_be_emailed: bool | None = el("IsToBeEmailed", "bool")


@dataclass(kw_only=True, slots=True)
class _SalesHead(_ShippedTxnHead):
    """What a sale (a sales order, added or changed, or an invoice) adds to a shipped transaction."""

    bill_address: Address | None = el("BillAddress", "agg", cls=Address)
    po_number: str | None = el("PONumber", ident=True)
    sales_rep: Ref | None = el("SalesRepRef", "ref")
    ship_date: Day | None = el("ShipDate", "date")
    item_sales_tax: Ref | None = el("ItemSalesTaxRef", "ref")
    customer_msg: Ref | None = el("CustomerMsgRef", "ref")
    other: str | None = el("Other")


@dataclass(kw_only=True, slots=True)
class _SalesAddHead(_SalesHead):
    """What adding a sale needs beyond the fields a change can also set."""

    customer: Ref | None = el("CustomerRef", "ref", required=True)
    customer_sales_tax_code: Ref | None = el("CustomerSalesTaxCodeRef", "ref")
    exchange_rate: Number | None = el("ExchangeRate", "price")
    external_guid: str | None = el("ExternalGUID", "guid", drop_if_old=True)


@dataclass(kw_only=True, slots=True)
class _ItemLine(QBObject):
    """The fields of every item line: sales order (add or mod), invoice, purchase order and bill."""

    item: Ref | None = el("ItemRef", "ref")
    desc: str | None = el("Desc")
    quantity: Number | None = el("Quantity", "price")
    unit_of_measure: str | None = el("UnitOfMeasure", ident=True)
    class_ref: Ref | None = el("ClassRef", "ref")
    amount: Number | None = el("Amount", "amount")
    inventory_site_location: Ref | None = el("InventorySiteLocationRef", "ref")
    sales_tax_code: Ref | None = el("SalesTaxCodeRef", "ref")


@dataclass(kw_only=True, slots=True)
class _SalesLineHead(_ItemLine):
    """The fields a sales order line (add or mod) and an invoice line share, and their rules."""

    rate: Number | None = el("Rate", "price")
    rate_percent: Number | None = el("RatePercent", "price")
    price_level: Ref | None = el("PriceLevelRef", "ref")
    inventory_site: Ref | None = el("InventorySiteRef", "ref")
    serial_number: str | None = el("SerialNumber", ident=True)
    lot_number: str | None = el("LotNumber", ident=True)
    other1: str | None = el("Other1")
    other2: str | None = el("Other2")

    def check(self, field: str, version: tuple[int, int]) -> None:
        _at_most_one(self, field, "rate", "rate_percent", "price_level")
        _at_most_one(self, field, "serial_number", "lot_number")


@dataclass(kw_only=True, slots=True)
class _SalesLine(_SalesLineHead):
    """What a new sales order line and an invoice line add."""

    option_for_price_rule_conflict: str | None = el(
        "OptionForPriceRuleConflict", "enum", choices=PRICE_RULE_CONFLICT
    )
    data_ext: list[LineDataExt] = el("DataExt", "aggs", cls=LineDataExt)


# --- Sales orders ------------------------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class SalesOrderLine(_SalesLine):
    is_manually_closed: bool | None = el("IsManuallyClosed", "bool")


@dataclass(kw_only=True, slots=True)
class SalesOrderAdd(_SalesAddHead, body="SalesOrderAdd"):
    is_manually_closed: bool | None = el("IsManuallyClosed", "bool")
    lines: list[SalesOrderLine] = el("SalesOrderLineAdd", "aggs", cls=SalesOrderLine)

    def check(self, field: str, version: tuple[int, int]) -> None:
        _needs_lines(self, field)


@dataclass(kw_only=True, slots=True)
class SalesOrderLineMod(_SalesLineHead):
    """An existing line (its ``TxnLineID``) or ``"-1"`` for a new one. In a mod, QuickBooks deletes every
    existing line that is not listed, so list them all when sending any."""

    txn_line_id: str | None = el("TxnLineID", "id", required=True)
    is_manually_closed: bool | None = el("IsManuallyClosed", "bool")


@dataclass(kw_only=True, slots=True)
class SalesOrderMod(_SalesHead, body="SalesOrderMod"):
    """Change a sales order; ``is_manually_closed=True`` with no lines marks the whole order closed."""

    txn_id: str | None = el("TxnID", "id", required=True)
    edit_sequence: str | None = el("EditSequence", ident=True, required=True, max_len=16)
    customer: Ref | None = el("CustomerRef", "ref")
    is_manually_closed: bool | None = el("IsManuallyClosed", "bool")
    lines: list[SalesOrderLineMod] = el("SalesOrderLineMod", "aggs", cls=SalesOrderLineMod)


# --- Purchase orders and bills -----------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class PurchaseOrderLine(_ItemLine):
    manufacturer_part_number: str | None = el("ManufacturerPartNumber", ident=True)
    rate: Number | None = el("Rate", "price")
    customer: Ref | None = el("CustomerRef", "ref")
    service_date: Day | None = el("ServiceDate", "date")
    override_item_account: Ref | None = el("OverrideItemAccountRef", "ref")
    other1: str | None = el("Other1")
    other2: str | None = el("Other2")
    data_ext: list[LineDataExt] = el("DataExt", "aggs", cls=LineDataExt)


@dataclass(kw_only=True, slots=True)
class PurchaseOrderAdd(_ShippedTxnHead, body="PurchaseOrderAdd"):
    vendor: Ref | None = el("VendorRef", "ref", required=True)
    inventory_site: Ref | None = el("InventorySiteRef", "ref")
    ship_to_entity: Ref | None = el("ShipToEntityRef", "ref")
    vendor_address: Address | None = el("VendorAddress", "agg", cls=Address)
    expected_date: Day | None = el("ExpectedDate", "date")
    vendor_msg: str | None = el("VendorMsg")
    other1: str | None = el("Other1")
    other2: str | None = el("Other2")
    exchange_rate: Number | None = el("ExchangeRate", "price")
    external_guid: str | None = el("ExternalGUID", "guid", drop_if_old=True)
    lines: list[PurchaseOrderLine] = el("PurchaseOrderLineAdd", "aggs", cls=PurchaseOrderLine)

    def check(self, field: str, version: tuple[int, int]) -> None:
        _at_most_one(self, field, "inventory_site", "ship_to_entity")
        _needs_lines(self, field)


@dataclass(kw_only=True, slots=True)
class BillExpenseLine(QBObject):
    account: Ref | None = el("AccountRef", "ref")
    amount: Number | None = el("Amount", "amount")
    memo: str | None = el("Memo")
    customer: Ref | None = el("CustomerRef", "ref")
    class_ref: Ref | None = el("ClassRef", "ref")
    sales_tax_code: Ref | None = el("SalesTaxCodeRef", "ref")
    billable_status: str | None = el("BillableStatus", "enum", choices=BILLABLE_STATUS)
    sales_rep: Ref | None = el("SalesRepRef", "ref")
    data_ext: list[LineDataExt] = el("DataExt", "aggs", cls=LineDataExt)


@dataclass(kw_only=True, slots=True)
class BillItemLine(_ItemLine):
    inventory_site: Ref | None = el("InventorySiteRef", "ref")
    serial_number: str | None = el("SerialNumber", ident=True)
    lot_number: str | None = el("LotNumber", ident=True)
    cost: Number | None = el("Cost", "price")
    customer: Ref | None = el("CustomerRef", "ref")
    billable_status: str | None = el("BillableStatus", "enum", choices=BILLABLE_STATUS)
    override_item_account: Ref | None = el("OverrideItemAccountRef", "ref")
    link_to_txn: LinkToTxn | None = el("LinkToTxn", "agg", cls=LinkToTxn)
    sales_rep: Ref | None = el("SalesRepRef", "ref")
    data_ext: list[LineDataExt] = el("DataExt", "aggs", cls=LineDataExt)

    def check(self, field: str, version: tuple[int, int]) -> None:
        _at_most_one(self, field, "serial_number", "lot_number")


@dataclass(kw_only=True, slots=True)
class BillAdd(_TxnHead, body="BillAdd"):
    """A vendor bill; ``link_to_txn_ids`` receives against whole purchase orders (qbXML 4.0)."""

    vendor: Ref | None = el("VendorRef", "ref", required=True)
    vendor_address: Address | None = el("VendorAddress", "agg", cls=Address)
    ap_account: Ref | None = el("APAccountRef", "ref")
    exchange_rate: Number | None = el("ExchangeRate", "price")
    external_guid: str | None = el("ExternalGUID", "guid", drop_if_old=True)
    link_to_txn_ids: list[str] = el("LinkToTxnID", "ids")
    expense_lines: list[BillExpenseLine] = el("ExpenseLineAdd", "aggs", cls=BillExpenseLine)
    item_lines: list[BillItemLine] = el("ItemLineAdd", "aggs", cls=BillItemLine)

    def check(self, field: str, version: tuple[int, int]) -> None:
        if not (self.expense_lines or self.item_lines or self.link_to_txn_ids):
            raise BuildError(
                f"{field}.item_lines", "a bill needs at least one line or a linked purchase order"
            )


# --- Invoices -----------------------------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class InvoiceLine(_SalesLine):
    service_date: Day | None = el("ServiceDate", "date")
    override_item_account: Ref | None = el("OverrideItemAccountRef", "ref")
    link_to_txn: LinkToTxn | None = el("LinkToTxn", "agg", cls=LinkToTxn)


@dataclass(kw_only=True, slots=True)
class InvoiceAdd(_SalesAddHead, body="InvoiceAdd"):
    """An invoice; ``link_to_txn_ids`` invoices whole sales orders or estimates (qbXML 6.0), a line's
    ``link_to_txn`` one sales order line."""

    ar_account: Ref | None = el("ARAccountRef", "ref")
    is_pending: bool | None = el("IsPending", "bool")
    link_to_txn_ids: list[str] = el("LinkToTxnID", "ids")
    lines: list[InvoiceLine] = el("InvoiceLineAdd", "aggs", cls=InvoiceLine)

    def check(self, field: str, version: tuple[int, int]) -> None:
        if not (self.lines or self.link_to_txn_ids):
            raise BuildError(f"{field}.lines", "an invoice needs at least one line or a linked sales order")


# --- Time and inventory -------------------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class TimeTrackingAdd(Request, body="TimeTrackingAdd"):
    txn_date: Day | None = el("TxnDate", "date")
    entity: Ref | None = el("EntityRef", "ref", required=True)
    customer: Ref | None = el("CustomerRef", "ref")
    item_service: Ref | None = el("ItemServiceRef", "ref")
    rate: Number | None = el("Rate", "price")
    duration: timedelta | str | None = el("Duration", "duration", required=True)
    class_ref: Ref | None = el("ClassRef", "ref")
    payroll_item_wage: Ref | None = el("PayrollItemWageRef", "ref")
    notes: str | None = el("Notes")
    billable_status: str | None = el("BillableStatus", "enum", choices=BILLABLE_STATUS)
    external_guid: str | None = el("ExternalGUID", "guid", drop_if_old=True)


@dataclass(kw_only=True, slots=True)
class QuantityAdjustment(QBObject):
    """Set the new quantity on hand, or change it by a difference (exactly one of the two)."""

    new_quantity: Number | None = el("NewQuantity", "price")
    quantity_difference: Number | None = el("QuantityDifference", "price")
    serial_number: str | None = el("SerialNumber", ident=True)
    lot_number: str | None = el("LotNumber", ident=True)
    inventory_site_location: Ref | None = el("InventorySiteLocationRef", "ref")

    def check(self, field: str, version: tuple[int, int]) -> None:
        _exactly_one(self, field, "new_quantity", "quantity_difference")
        _at_most_one(self, field, "serial_number", "lot_number")


@dataclass(kw_only=True, slots=True)
class InventoryAdjustmentLine(QBObject):
    item: Ref | None = el("ItemRef", "ref", required=True)
    quantity_adjustment: QuantityAdjustment | None = el(
        "QuantityAdjustment", "agg", cls=QuantityAdjustment, required=True
    )


@dataclass(kw_only=True, slots=True)
class InventoryAdjustmentAdd(Request, body="InventoryAdjustmentAdd"):
    account: Ref | None = el("AccountRef", "ref", required=True)
    txn_date: Day | None = el("TxnDate", "date")
    ref_number: str | None = el("RefNumber", ident=True)
    inventory_site: Ref | None = el("InventorySiteRef", "ref")
    customer: Ref | None = el("CustomerRef", "ref")
    class_ref: Ref | None = el("ClassRef", "ref")
    memo: str | None = el("Memo")
    external_guid: str | None = el("ExternalGUID", "guid", drop_if_old=True)
    lines: list[InventoryAdjustmentLine] = el(
        "InventoryAdjustmentLineAdd", "aggs", cls=InventoryAdjustmentLine
    )

    def check(self, field: str, version: tuple[int, int]) -> None:
        _needs_lines(self, field)
