"""Typed, immutable records for what QuickBooks returns inside ``*Ret`` elements: the declarations.

Each field is declared by its name and type alone (``txn_date: Day``): the type says how the element is
read and the name which element it is (:mod:`responses_parser.record_fields`); :mod:`responses_parser.
record_reader` builds the records from the elements. Elements we do not model are kept, never dropped,
in ``extra`` as ``(tag, value)`` pairs (value: text, or a nested dict for aggregates), and values outside
the schema's enumerations are kept as text: QuickBooks adds elements and values in new versions, and a
reader must not fail on them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar, TypeAlias

from responses_parser.record_fields import (
    Day,
    Extra,
    Flag,
    Merged,
    Moment,
    Number,
    Text,
    Texts,
    Whole,
    record,
    x,
)

# The record types fields are declared with (the scalar types are in record_fields); each is also how
# the field is read (record_fields._READS), so it is written by its alias name.
Ref: TypeAlias = "RefValue | None"
Address: TypeAlias = "AddressValue | None"
Unit: TypeAlias = "UnitValue | None"
Units: TypeAlias = "tuple[UnitValue, ...]"
LinkedTxns: TypeAlias = "tuple[LinkedTxn, ...]"
Lines: TypeAlias = "tuple[TxnLine, ...]"
DataExts: TypeAlias = "tuple[DataExtValue, ...]"


class Record:
    """Base of every record: ``to_dict()`` gives JSON-ready data (decimals and dates as text)."""

    __slots__ = ()
    # Every subclass is a dataclass: declared so dataclasses.fields() accepts the base type.
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"record_type": type(self).__name__}
        for fld in dataclasses.fields(self):
            value = getattr(self, fld.name)
            if value is None or value == ():
                continue
            out[fld.name] = _plain(value)
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


# --- Shared aggregates --------------------------------------------------------------------------------


@record
class RefValue(Record):
    list_id: Text
    full_name: Text
    extra: Extra


@record
class AddressValue(Record):
    addr1: Text
    addr2: Text
    addr3: Text
    addr4: Text
    addr5: Text
    city: Text
    state: Text
    postal_code: Text
    country: Text
    note: Text
    extra: Extra


@record
class DataExtField(Record):
    """What names a custom field, in its definition and in each value: the owner (``"0"`` = a field the
    QuickBooks user sees), the name and the type."""

    owner_id: Text
    name: Text = x("DataExtName")
    type: Text = x("DataExtType")


@record
class DataExtValue(DataExtField):
    """A custom field value (``DataExtRet``)."""

    value: Text = x("DataExtValue")
    extra: Extra


@record
class LinkedTxn(Record):
    txn_id: Text
    txn_type: Text
    txn_date: Day
    ref_number: Text
    link_type: Text
    amount: Number
    extra: Extra


LINE_TAGS = (
    "SalesOrderLineRet", "SalesOrderLineGroupRet", "PurchaseOrderLineRet", "PurchaseOrderLineGroupRet",
    "InvoiceLineRet", "InvoiceLineGroupRet", "EstimateLineRet", "EstimateLineGroupRet", "ItemLineRet",
    "ItemGroupLineRet", "ExpenseLineRet", "InventoryAdjustmentLineRet",
)  # fmt: skip


@record
class TxnLine(Record):
    """One line of any transaction. ``kind`` is its element (``SalesOrderLineRet``, ``ExpenseLineRet``,
    ``SalesOrderLineGroupRet``...); a group line carries its member lines in ``lines``."""

    kind: str = ""
    txn_line_id: Text
    item: Ref
    item_group: Ref
    account: Ref
    desc: Text
    memo: Text
    quantity: Number
    unit_of_measure: Text
    override_uom_set: Ref
    is_print_items_in_group: Flag
    rate: Number
    rate_percent: Number
    cost: Number
    class_ref: Ref
    amount: Number
    tax_amount: Number
    total_amount: Number
    inventory_site: Ref
    inventory_site_location: Ref
    serial_number: Text
    serial_number_added_or_removed: Text
    lot_number: Text
    expiration_date_for_serial_lot_number: Text
    service_date: Day
    customer: Ref
    vendor: Ref
    sales_tax_code: Ref
    billable_status: Text
    sales_rep: Ref
    invoiced: Number
    received_quantity: Number
    is_billed: Flag
    is_manually_closed: Flag
    quantity_difference: Number
    value_difference: Number
    other1: Text
    other2: Text
    lines: Lines
    data_ext: DataExts
    extra: Extra


@record
class TxnRecord(Record):
    """The identity every transaction record begins with, in the order QuickBooks writes it."""

    txn_id: Text
    time_created: Moment
    time_modified: Moment
    edit_sequence: Text
    txn_number: Whole


@record
class Transaction(TxnRecord):
    """Fields shared by sales orders, purchase orders, invoices, estimates and bills.

    Every transaction record (these, :class:`TimeTracking` and :class:`InventoryAdjustment`) answers
    ``txn_id``, ``edit_sequence``, ``time_modified``, ``ref_number``, ``memo`` and ``external_guid``
    (see :data:`TXN_IDENTITY`), so a document sent before an answer was lost can be found again by the
    same code whatever its type."""

    customer: Ref
    vendor: Ref
    class_ref: Ref
    ar_account: Ref
    ap_account: Ref
    template: Ref
    txn_date: Day
    ref_number: Text
    bill_address: Address
    ship_address: Address
    vendor_address: Address
    po_number: Text
    terms: Ref
    due_date: Day
    expected_date: Day
    sales_rep: Ref
    fob: Text
    ship_date: Day
    ship_method: Ref
    subtotal: Number
    item_sales_tax: Ref
    sales_tax_percentage: Number
    sales_tax_total: Number
    total_amount: Number
    amount_due: Number
    amount_due_in_home_currency: Number
    applied_amount: Number
    balance_remaining: Number
    open_amount: Number
    currency: Ref
    exchange_rate: Number
    total_amount_in_home_currency: Number
    balance_remaining_in_home_currency: Number
    is_manually_closed: Flag
    is_fully_invoiced: Flag
    is_fully_received: Flag
    is_paid: Flag
    is_pending: Flag
    is_to_be_printed: Flag
    is_to_be_emailed: Flag
    is_tax_included: Flag
    sales_tax_code: Ref
    memo: Text
    vendor_msg: Text
    customer_msg: Ref
    other: Text
    other1: Text
    other2: Text
    external_guid: Text
    linked_txns: LinkedTxns
    lines: Lines
    data_ext: DataExts
    extra: Extra


@record
class SalesOrder(Transaction):
    pass


@record
class PurchaseOrder(Transaction):
    pass


@record
class Invoice(Transaction):
    pass


@record
class Estimate(Transaction):
    pass


@record
class Bill(Transaction):
    pass


@record
class TimeTracking(TxnRecord):
    """A time entry. QuickBooks gives it no reference number and calls its free text ``Notes``; the
    ``ref_number`` and ``memo`` properties answer like the other transaction records (None, and the
    notes) so matching code need not know the type."""

    txn_date: Day
    entity: Ref
    customer: Ref
    item_service: Ref
    rate: Number
    duration: Text  # QuickBooks' own ``PT#H#M#S`` text
    class_ref: Ref
    payroll_item_wage: Ref
    notes: Text
    billable_status: Text
    is_billable: Flag
    is_billed: Flag
    external_guid: Text
    extra: Extra

    @property
    def ref_number(self) -> None:
        return None

    @property
    def memo(self) -> str | None:
        return self.notes


@record
class InventoryAdjustment(TxnRecord):
    account: Ref
    inventory_site: Ref
    txn_date: Day
    ref_number: Text
    customer: Ref
    class_ref: Ref
    memo: Text
    external_guid: Text
    lines: Lines
    data_ext: DataExts
    extra: Extra


@record
class ListRecord(Record):
    """Fields every list object has."""

    list_id: Text
    time_created: Moment
    time_modified: Moment
    edit_sequence: Text
    name: Text
    full_name: Text
    is_active: Flag
    parent: Ref
    sublevel: Whole
    class_ref: Ref
    external_guid: Text
    data_ext: DataExts
    extra: Extra


@record
class Customer(ListRecord):
    """A customer, or a job when ``parent`` is set (``full_name`` is then ``Customer:Job``)."""

    company_name: Text
    salutation: Text
    first_name: Text
    middle_name: Text
    last_name: Text
    job_title: Text
    bill_address: Address
    ship_address: Address
    phone: Text
    alt_phone: Text
    fax: Text
    email: Text
    contact: Text
    customer_type: Ref
    terms: Ref
    sales_rep: Ref
    balance: Number
    total_balance: Number
    sales_tax_code: Ref
    item_sales_tax: Ref
    account_number: Text
    credit_limit: Number
    job_status: Text
    job_start_date: Day
    job_projected_end_date: Day
    job_end_date: Day
    job_desc: Text
    job_type: Ref
    notes: Text
    price_level: Ref
    currency: Ref


@record
class Vendor(ListRecord):
    company_name: Text
    first_name: Text
    last_name: Text
    vendor_address: Address
    phone: Text
    fax: Text
    email: Text
    contact: Text
    name_on_check: Text
    account_number: Text
    vendor_type: Ref
    terms: Ref
    balance: Number
    currency: Ref


@record
class Employee(ListRecord):
    first_name: Text
    middle_name: Text
    last_name: Text
    job_title: Text
    employee_address: Address
    phone: Text
    mobile: Text
    email: Text
    employee_type: Text
    gender: Text
    hired_date: Day
    released_date: Day
    account_number: Text
    notes: Text
    billing_rate: Ref


@record
class Item(ListRecord):
    """An item of any type; ``item_type`` is its element (``ItemInventoryRet``, ``ItemServiceRet``...).
    The fields of ``SalesOrPurchase`` / ``SalesAndPurchase`` are read into this record directly."""

    item_type: str = ""
    manufacturer_part_number: Text
    unit_of_measure_set: Ref
    sales_tax_code: Ref
    desc: Text
    price: Number
    price_percent: Number
    account: Ref
    sales_desc: Text
    sales_price: Number
    income_account: Ref
    purchase_desc: Text
    purchase_cost: Number
    purchase_tax_code: Ref
    expense_account: Ref
    cogs_account: Ref
    asset_account: Ref
    pref_vendor: Ref
    reorder_point: Number
    max_quantity: Number = x("Max")
    quantity_on_hand: Number
    average_cost: Number
    quantity_on_order: Number
    quantity_on_sales_order: Number
    # Markers only: these aggregates' children are read into the fields above, so these stay None.
    sales_or_purchase: Merged
    sales_and_purchase: Merged


@record
class Account(ListRecord):
    account_type: Text
    special_account_type: Text
    account_number: Text
    desc: Text
    balance: Number
    total_balance: Number
    currency: Ref


@record
class PayrollItemWage(ListRecord):
    wage_type: Text
    expense_account: Ref


@record
class UnitValue(Record):
    """One unit of a unit-of-measure set (``BaseUnit`` or ``RelatedUnit``); a related unit is
    ``conversion_ratio`` base units."""

    name: Text
    abbreviation: Text
    conversion_ratio: Number
    extra: Extra


@record
class UnitOfMeasureSet(Record):
    """A unit-of-measure set (qbXML 7.0): the base unit and the units defined as multiples of it."""

    list_id: Text
    time_created: Moment
    time_modified: Moment
    edit_sequence: Text
    name: Text
    is_active: Flag
    unit_of_measure_type: Text
    base_unit: Unit
    related_units: Units = x("RelatedUnit")
    extra: Extra


@record
class DataExtDef(DataExtField):
    assign_to_objects: Texts = x("AssignToObject")
    list_require: Flag = x("DataExtListRequire")
    txn_require: Flag = x("DataExtTxnRequire")
    format_string: Text = x("DataExtFormatString")
    extra: Extra


@record
class Host(Record):
    product_name: Text
    major_version: Whole
    minor_version: Whole
    country: Text
    supported_versions: Texts = x("SupportedQBXMLVersion")
    is_automatic_login: Flag
    qb_file_mode: Text
    extra: Extra


@record
class Company(Record):
    is_sample_company: Flag
    company_name: Text
    legal_company_name: Text
    address: Address
    legal_address: Address
    phone: Text
    email: Text
    first_month_fiscal_year: Text
    data_ext: DataExts
    extra: Extra


@record
class Preferences(Record):
    """Company preferences, kept whole as nested dicts by section (``AccountingPreferences``...)."""

    sections: tuple[tuple[str, Any], ...] = ()

    def section(self, name: str) -> dict[str, Any]:
        for tag, value in self.sections:
            if tag == name and isinstance(value, dict):
                return value
        return {}


@record
class GenericRecord(Record):
    """A ``*Ret`` we do not model, kept as plain data."""

    tag: str = ""
    data: Any = None


# What every transaction record answers, whatever its type (see Transaction).
TXN_IDENTITY: tuple[str, ...] = (
    "txn_id",
    "edit_sequence",
    "time_modified",
    "ref_number",
    "memo",
    "external_guid",
)


# --- Conversion ---------------------------------------------------------------------------------------

RET_CLASSES: dict[str, type[Record]] = {
    "SalesOrderRet": SalesOrder,
    "PurchaseOrderRet": PurchaseOrder,
    "InvoiceRet": Invoice,
    "EstimateRet": Estimate,
    "BillRet": Bill,
    "TimeTrackingRet": TimeTracking,
    "InventoryAdjustmentRet": InventoryAdjustment,
    "CustomerRet": Customer,
    "VendorRet": Vendor,
    "EmployeeRet": Employee,
    "AccountRet": Account,
    "PayrollItemWageRet": PayrollItemWage,
    "DataExtDefRet": DataExtDef,
    "DataExtRet": DataExtValue,
    "UnitOfMeasureSetRet": UnitOfMeasureSet,
    "HostRet": Host,
    "CompanyRet": Company,
}
for _item_tag in (
    "ItemServiceRet", "ItemNonInventoryRet", "ItemInventoryRet", "ItemInventoryAssemblyRet",
    "ItemOtherChargeRet",
    "ItemSubtotalRet", "ItemDiscountRet", "ItemPaymentRet", "ItemSalesTaxRet", "ItemSalesTaxGroupRet",
    "ItemGroupRet", "ItemFixedAssetRet",
):  # fmt: skip
    RET_CLASSES[_item_tag] = Item
