"""Transaction requests: sales orders, purchase orders, bills, invoices, time, inventory adjustments."""

# `el()` returns a dataclasses.field (see requests_builder.model), which RUF009 cannot see through.
# ruff: noqa: RUF009

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import ClassVar

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


# --- Sales orders ------------------------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class _SalesLine(QBObject):
    """The fields a sales-order line and an invoice line both begin with, and their rules."""

    item: Ref | None = el("ItemRef", "ref")
    desc: str | None = el("Desc")
    quantity: Number | None = el("Quantity", "price")
    unit_of_measure: str | None = el("UnitOfMeasure", ident=True)
    rate: Number | None = el("Rate", "price")
    rate_percent: Number | None = el("RatePercent", "price")
    price_level: Ref | None = el("PriceLevelRef", "ref")
    class_ref: Ref | None = el("ClassRef", "ref")
    amount: Number | None = el("Amount", "amount")
    option_for_price_rule_conflict: str | None = el(
        "OptionForPriceRuleConflict", "enum", choices=PRICE_RULE_CONFLICT
    )
    inventory_site: Ref | None = el("InventorySiteRef", "ref")
    inventory_site_location: Ref | None = el("InventorySiteLocationRef", "ref")
    serial_number: str | None = el("SerialNumber", ident=True)
    lot_number: str | None = el("LotNumber", ident=True)

    def check(self, field: str, version: tuple[int, int]) -> None:
        _at_most_one(self, field, "rate", "rate_percent", "price_level")
        _at_most_one(self, field, "serial_number", "lot_number")


@dataclass(kw_only=True, slots=True)
class SalesOrderLine(_SalesLine):
    sales_tax_code: Ref | None = el("SalesTaxCodeRef", "ref")
    is_manually_closed: bool | None = el("IsManuallyClosed", "bool")
    other1: str | None = el("Other1")
    other2: str | None = el("Other2")
    data_ext: list[LineDataExt] = el("DataExt", "aggs", cls=LineDataExt)


@dataclass(kw_only=True, slots=True)
class SalesOrderAdd(Request):
    RQ: ClassVar[str] = "SalesOrderAddRq"
    BODY: ClassVar[str | None] = "SalesOrderAdd"

    customer: Ref | None = el("CustomerRef", "ref", required=True)
    class_ref: Ref | None = el("ClassRef", "ref")
    template: Ref | None = el("TemplateRef", "ref")
    txn_date: Day | None = el("TxnDate", "date")
    ref_number: str | None = el("RefNumber", ident=True)
    bill_address: Address | None = el("BillAddress", "agg", cls=Address)
    ship_address: Address | None = el("ShipAddress", "agg", cls=Address)
    po_number: str | None = el("PONumber", ident=True)
    terms: Ref | None = el("TermsRef", "ref")
    due_date: Day | None = el("DueDate", "date")
    sales_rep: Ref | None = el("SalesRepRef", "ref")
    fob: str | None = el("FOB")
    ship_date: Day | None = el("ShipDate", "date")
    ship_method: Ref | None = el("ShipMethodRef", "ref")
    item_sales_tax: Ref | None = el("ItemSalesTaxRef", "ref")
    is_manually_closed: bool | None = el("IsManuallyClosed", "bool")
    memo: str | None = el("Memo")
    customer_msg: Ref | None = el("CustomerMsgRef", "ref")
    is_to_be_printed: bool | None = el("IsToBePrinted", "bool")
    is_to_be_emailed: bool | None = el("IsToBeEmailed", "bool")
    customer_sales_tax_code: Ref | None = el("CustomerSalesTaxCodeRef", "ref")
    other: str | None = el("Other")
    exchange_rate: Number | None = el("ExchangeRate", "price")
    external_guid: str | None = el("ExternalGUID", "guid", drop_if_old=True)
    lines: list[SalesOrderLine] = el("SalesOrderLineAdd", "aggs", cls=SalesOrderLine)

    def check(self, field: str, version: tuple[int, int]) -> None:
        _needs_lines(self, field)


@dataclass(kw_only=True, slots=True)
class SalesOrderLineMod(QBObject):
    """An existing line (its ``TxnLineID``) or ``"-1"`` for a new one. In a mod, QuickBooks deletes every
    existing line that is not listed, so list them all when sending any."""

    txn_line_id: str | None = el("TxnLineID", "id", required=True)
    item: Ref | None = el("ItemRef", "ref")
    desc: str | None = el("Desc")
    quantity: Number | None = el("Quantity", "price")
    unit_of_measure: str | None = el("UnitOfMeasure", ident=True)
    rate: Number | None = el("Rate", "price")
    rate_percent: Number | None = el("RatePercent", "price")
    price_level: Ref | None = el("PriceLevelRef", "ref")
    class_ref: Ref | None = el("ClassRef", "ref")
    amount: Number | None = el("Amount", "amount")
    inventory_site: Ref | None = el("InventorySiteRef", "ref")
    inventory_site_location: Ref | None = el("InventorySiteLocationRef", "ref")
    serial_number: str | None = el("SerialNumber", ident=True)
    lot_number: str | None = el("LotNumber", ident=True)
    sales_tax_code: Ref | None = el("SalesTaxCodeRef", "ref")
    is_manually_closed: bool | None = el("IsManuallyClosed", "bool")
    other1: str | None = el("Other1")
    other2: str | None = el("Other2")

    def check(self, field: str, version: tuple[int, int]) -> None:
        _at_most_one(self, field, "rate", "rate_percent", "price_level")
        _at_most_one(self, field, "serial_number", "lot_number")


@dataclass(kw_only=True, slots=True)
class SalesOrderMod(Request):
    """Change a sales order; ``is_manually_closed=True`` with no lines marks the whole order closed."""

    RQ: ClassVar[str] = "SalesOrderModRq"
    BODY: ClassVar[str | None] = "SalesOrderMod"

    txn_id: str | None = el("TxnID", "id", required=True)
    edit_sequence: str | None = el("EditSequence", ident=True, required=True, max_len=16)
    customer: Ref | None = el("CustomerRef", "ref")
    class_ref: Ref | None = el("ClassRef", "ref")
    template: Ref | None = el("TemplateRef", "ref")
    txn_date: Day | None = el("TxnDate", "date")
    ref_number: str | None = el("RefNumber", ident=True)
    bill_address: Address | None = el("BillAddress", "agg", cls=Address)
    ship_address: Address | None = el("ShipAddress", "agg", cls=Address)
    po_number: str | None = el("PONumber", ident=True)
    terms: Ref | None = el("TermsRef", "ref")
    due_date: Day | None = el("DueDate", "date")
    sales_rep: Ref | None = el("SalesRepRef", "ref")
    fob: str | None = el("FOB")
    ship_date: Day | None = el("ShipDate", "date")
    ship_method: Ref | None = el("ShipMethodRef", "ref")
    item_sales_tax: Ref | None = el("ItemSalesTaxRef", "ref")
    is_manually_closed: bool | None = el("IsManuallyClosed", "bool")
    memo: str | None = el("Memo")
    customer_msg: Ref | None = el("CustomerMsgRef", "ref")
    is_to_be_printed: bool | None = el("IsToBePrinted", "bool")
    is_to_be_emailed: bool | None = el("IsToBeEmailed", "bool")
    other: str | None = el("Other")
    lines: list[SalesOrderLineMod] = el("SalesOrderLineMod", "aggs", cls=SalesOrderLineMod)


# --- Purchase orders and bills -----------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class PurchaseOrderLine(QBObject):
    item: Ref | None = el("ItemRef", "ref")
    manufacturer_part_number: str | None = el("ManufacturerPartNumber", ident=True)
    desc: str | None = el("Desc")
    quantity: Number | None = el("Quantity", "price")
    unit_of_measure: str | None = el("UnitOfMeasure", ident=True)
    rate: Number | None = el("Rate", "price")
    class_ref: Ref | None = el("ClassRef", "ref")
    amount: Number | None = el("Amount", "amount")
    inventory_site_location: Ref | None = el("InventorySiteLocationRef", "ref")
    customer: Ref | None = el("CustomerRef", "ref")
    service_date: Day | None = el("ServiceDate", "date")
    sales_tax_code: Ref | None = el("SalesTaxCodeRef", "ref")
    override_item_account: Ref | None = el("OverrideItemAccountRef", "ref")
    other1: str | None = el("Other1")
    other2: str | None = el("Other2")
    data_ext: list[LineDataExt] = el("DataExt", "aggs", cls=LineDataExt)


@dataclass(kw_only=True, slots=True)
class PurchaseOrderAdd(Request):
    RQ: ClassVar[str] = "PurchaseOrderAddRq"
    BODY: ClassVar[str | None] = "PurchaseOrderAdd"

    vendor: Ref | None = el("VendorRef", "ref", required=True)
    class_ref: Ref | None = el("ClassRef", "ref")
    inventory_site: Ref | None = el("InventorySiteRef", "ref")
    ship_to_entity: Ref | None = el("ShipToEntityRef", "ref")
    template: Ref | None = el("TemplateRef", "ref")
    txn_date: Day | None = el("TxnDate", "date")
    ref_number: str | None = el("RefNumber", ident=True)
    vendor_address: Address | None = el("VendorAddress", "agg", cls=Address)
    ship_address: Address | None = el("ShipAddress", "agg", cls=Address)
    terms: Ref | None = el("TermsRef", "ref")
    due_date: Day | None = el("DueDate", "date")
    expected_date: Day | None = el("ExpectedDate", "date")
    ship_method: Ref | None = el("ShipMethodRef", "ref")
    fob: str | None = el("FOB")
    memo: str | None = el("Memo")
    vendor_msg: str | None = el("VendorMsg")
    is_to_be_printed: bool | None = el("IsToBePrinted", "bool")
    is_to_be_emailed: bool | None = el("IsToBeEmailed", "bool")
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
class BillItemLine(QBObject):
    item: Ref | None = el("ItemRef", "ref")
    inventory_site: Ref | None = el("InventorySiteRef", "ref")
    inventory_site_location: Ref | None = el("InventorySiteLocationRef", "ref")
    serial_number: str | None = el("SerialNumber", ident=True)
    lot_number: str | None = el("LotNumber", ident=True)
    desc: str | None = el("Desc")
    quantity: Number | None = el("Quantity", "price")
    unit_of_measure: str | None = el("UnitOfMeasure", ident=True)
    cost: Number | None = el("Cost", "price")
    amount: Number | None = el("Amount", "amount")
    customer: Ref | None = el("CustomerRef", "ref")
    class_ref: Ref | None = el("ClassRef", "ref")
    sales_tax_code: Ref | None = el("SalesTaxCodeRef", "ref")
    billable_status: str | None = el("BillableStatus", "enum", choices=BILLABLE_STATUS)
    override_item_account: Ref | None = el("OverrideItemAccountRef", "ref")
    link_to_txn: LinkToTxn | None = el("LinkToTxn", "agg", cls=LinkToTxn)
    sales_rep: Ref | None = el("SalesRepRef", "ref")
    data_ext: list[LineDataExt] = el("DataExt", "aggs", cls=LineDataExt)

    def check(self, field: str, version: tuple[int, int]) -> None:
        _at_most_one(self, field, "serial_number", "lot_number")


@dataclass(kw_only=True, slots=True)
class BillAdd(Request):
    """A vendor bill; ``link_to_txn_ids`` receives against whole purchase orders (qbXML 4.0)."""

    RQ: ClassVar[str] = "BillAddRq"
    BODY: ClassVar[str | None] = "BillAdd"

    vendor: Ref | None = el("VendorRef", "ref", required=True)
    vendor_address: Address | None = el("VendorAddress", "agg", cls=Address)
    ap_account: Ref | None = el("APAccountRef", "ref")
    txn_date: Day | None = el("TxnDate", "date")
    due_date: Day | None = el("DueDate", "date")
    ref_number: str | None = el("RefNumber", ident=True)
    terms: Ref | None = el("TermsRef", "ref")
    memo: str | None = el("Memo")
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
    sales_tax_code: Ref | None = el("SalesTaxCodeRef", "ref")
    override_item_account: Ref | None = el("OverrideItemAccountRef", "ref")
    other1: str | None = el("Other1")
    other2: str | None = el("Other2")
    link_to_txn: LinkToTxn | None = el("LinkToTxn", "agg", cls=LinkToTxn)
    data_ext: list[LineDataExt] = el("DataExt", "aggs", cls=LineDataExt)


@dataclass(kw_only=True, slots=True)
class InvoiceAdd(Request):
    """An invoice; ``link_to_txn_ids`` invoices whole sales orders or estimates (qbXML 6.0), a line's
    ``link_to_txn`` one sales order line."""

    RQ: ClassVar[str] = "InvoiceAddRq"
    BODY: ClassVar[str | None] = "InvoiceAdd"

    customer: Ref | None = el("CustomerRef", "ref", required=True)
    class_ref: Ref | None = el("ClassRef", "ref")
    ar_account: Ref | None = el("ARAccountRef", "ref")
    template: Ref | None = el("TemplateRef", "ref")
    txn_date: Day | None = el("TxnDate", "date")
    ref_number: str | None = el("RefNumber", ident=True)
    bill_address: Address | None = el("BillAddress", "agg", cls=Address)
    ship_address: Address | None = el("ShipAddress", "agg", cls=Address)
    is_pending: bool | None = el("IsPending", "bool")
    po_number: str | None = el("PONumber", ident=True)
    terms: Ref | None = el("TermsRef", "ref")
    due_date: Day | None = el("DueDate", "date")
    sales_rep: Ref | None = el("SalesRepRef", "ref")
    fob: str | None = el("FOB")
    ship_date: Day | None = el("ShipDate", "date")
    ship_method: Ref | None = el("ShipMethodRef", "ref")
    item_sales_tax: Ref | None = el("ItemSalesTaxRef", "ref")
    memo: str | None = el("Memo")
    customer_msg: Ref | None = el("CustomerMsgRef", "ref")
    is_to_be_printed: bool | None = el("IsToBePrinted", "bool")
    is_to_be_emailed: bool | None = el("IsToBeEmailed", "bool")
    customer_sales_tax_code: Ref | None = el("CustomerSalesTaxCodeRef", "ref")
    other: str | None = el("Other")
    exchange_rate: Number | None = el("ExchangeRate", "price")
    external_guid: str | None = el("ExternalGUID", "guid", drop_if_old=True)
    link_to_txn_ids: list[str] = el("LinkToTxnID", "ids")
    lines: list[InvoiceLine] = el("InvoiceLineAdd", "aggs", cls=InvoiceLine)

    def check(self, field: str, version: tuple[int, int]) -> None:
        if not (self.lines or self.link_to_txn_ids):
            raise BuildError(f"{field}.lines", "an invoice needs at least one line or a linked sales order")


# --- Time and inventory -------------------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class TimeTrackingAdd(Request):
    RQ: ClassVar[str] = "TimeTrackingAddRq"
    BODY: ClassVar[str | None] = "TimeTrackingAdd"

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
class InventoryAdjustmentAdd(Request):
    RQ: ClassVar[str] = "InventoryAdjustmentAddRq"
    BODY: ClassVar[str | None] = "InventoryAdjustmentAdd"

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
