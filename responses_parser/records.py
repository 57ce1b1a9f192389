"""Typed, immutable records for what QuickBooks returns inside ``*Ret`` elements.

Each record class declares, per field, the XML element it comes from and how its text is read
(:func:`x`). Elements we do not model are kept, never dropped, in ``extra`` as ``(tag, value)`` pairs
(value: text, or a nested dict for aggregates), and values outside the schema's enumerations are kept as
text: QuickBooks adds elements and values in new versions, and a reader must not fail on them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

# `x()` returns a dataclasses.field, which RUF009 cannot see through.
# ruff: noqa: RUF009

Reader = Callable[[etree._Element], Any]


def x(tag: str, read: str = "str", *, many: bool = False) -> Any:
    """Declare a field read from child ``tag`` with reader ``read`` (a name in ``_READERS``)."""
    meta = {"tag": tag, "read": read, "many": many}
    if many:
        return dataclasses.field(default=(), metadata=meta)
    return dataclasses.field(default=None, metadata=meta)


class Record:
    """Base of every record: ``to_dict()`` gives JSON-ready data (decimals and dates as text)."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"record_type": type(self).__name__}
        for fld in dataclasses.fields(self):  # type: ignore[arg-type]
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


# --- Readers: lenient, a value that does not parse is kept as its text --------------------------------


def read_str(elem: etree._Element) -> str:
    return elem.text or ""


def read_decimal(elem: etree._Element) -> Decimal | str:
    text = elem.text or ""
    try:
        return Decimal(text)
    except InvalidOperation:
        return text


def read_int(elem: etree._Element) -> int | str:
    text = elem.text or ""
    try:
        return int(text)
    except ValueError:
        return text


def read_bool(elem: etree._Element) -> bool | str:
    text = (elem.text or "").strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    return elem.text or ""


def read_date(elem: etree._Element) -> dt.date | str:
    text = elem.text or ""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return text


def read_datetime(elem: etree._Element) -> dt.datetime | str:
    text = elem.text or ""
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return text


def read_plain(elem: etree._Element) -> Any:
    """Any element as plain data: its text, or a dict of its children (repeated children as lists)."""
    children = [child for child in elem if isinstance(child.tag, str)]
    if not children:
        return elem.text or ""
    out: dict[str, Any] = {}
    for child in children:
        value = read_plain(child)
        if child.tag in out:
            previous = out[child.tag]
            if isinstance(previous, list):
                previous.append(value)
            else:
                out[child.tag] = [previous, value]
        else:
            out[child.tag] = value
    return out


# --- Shared aggregates --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RefValue(Record):
    list_id: str | None = x("ListID")
    full_name: str | None = x("FullName")
    extra: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class AddressValue(Record):
    addr1: str | None = x("Addr1")
    addr2: str | None = x("Addr2")
    addr3: str | None = x("Addr3")
    addr4: str | None = x("Addr4")
    addr5: str | None = x("Addr5")
    city: str | None = x("City")
    state: str | None = x("State")
    postal_code: str | None = x("PostalCode")
    country: str | None = x("Country")
    note: str | None = x("Note")
    extra: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class DataExtValue(Record):
    """A custom field value (``DataExtRet``); ``owner_id`` ``"0"`` = a field the QuickBooks user sees."""

    owner_id: str | None = x("OwnerID")
    name: str | None = x("DataExtName")
    type: str | None = x("DataExtType")
    value: str | None = x("DataExtValue")
    extra: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class LinkedTxn(Record):
    txn_id: str | None = x("TxnID")
    txn_type: str | None = x("TxnType")
    txn_date: dt.date | str | None = x("TxnDate", "date")
    ref_number: str | None = x("RefNumber")
    link_type: str | None = x("LinkType")
    amount: Decimal | str | None = x("Amount", "decimal")
    extra: tuple[tuple[str, Any], ...] = ()


_LINE_TAGS = (
    "SalesOrderLineRet", "SalesOrderLineGroupRet", "PurchaseOrderLineRet", "PurchaseOrderLineGroupRet",
    "InvoiceLineRet", "InvoiceLineGroupRet", "EstimateLineRet", "EstimateLineGroupRet", "ItemLineRet",
    "ItemGroupLineRet", "ExpenseLineRet", "InventoryAdjustmentLineRet",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class TxnLine(Record):
    """One line of any transaction. ``kind`` is its element (``SalesOrderLineRet``, ``ExpenseLineRet``,
    ``SalesOrderLineGroupRet``...); a group line carries its member lines in ``lines``."""

    kind: str = ""
    txn_line_id: str | None = x("TxnLineID")
    item: RefValue | None = x("ItemRef", "ref")
    item_group: RefValue | None = x("ItemGroupRef", "ref")
    account: RefValue | None = x("AccountRef", "ref")
    desc: str | None = x("Desc")
    memo: str | None = x("Memo")
    quantity: Decimal | str | None = x("Quantity", "decimal")
    unit_of_measure: str | None = x("UnitOfMeasure")
    override_uom_set: RefValue | None = x("OverrideUOMSetRef", "ref")
    is_print_items_in_group: bool | str | None = x("IsPrintItemsInGroup", "bool")
    rate: Decimal | str | None = x("Rate", "decimal")
    rate_percent: Decimal | str | None = x("RatePercent", "decimal")
    cost: Decimal | str | None = x("Cost", "decimal")
    class_ref: RefValue | None = x("ClassRef", "ref")
    amount: Decimal | str | None = x("Amount", "decimal")
    tax_amount: Decimal | str | None = x("TaxAmount", "decimal")
    total_amount: Decimal | str | None = x("TotalAmount", "decimal")
    inventory_site: RefValue | None = x("InventorySiteRef", "ref")
    inventory_site_location: RefValue | None = x("InventorySiteLocationRef", "ref")
    serial_number: str | None = x("SerialNumber")
    serial_number_added_or_removed: str | None = x("SerialNumberAddedOrRemoved")
    lot_number: str | None = x("LotNumber")
    expiration_date_for_serial_lot_number: str | None = x("ExpirationDateForSerialLotNumber")
    service_date: dt.date | str | None = x("ServiceDate", "date")
    customer: RefValue | None = x("CustomerRef", "ref")
    vendor: RefValue | None = x("VendorRef", "ref")
    sales_tax_code: RefValue | None = x("SalesTaxCodeRef", "ref")
    billable_status: str | None = x("BillableStatus")
    sales_rep: RefValue | None = x("SalesRepRef", "ref")
    invoiced: Decimal | str | None = x("Invoiced", "decimal")
    received_quantity: Decimal | str | None = x("ReceivedQuantity", "decimal")
    is_billed: bool | str | None = x("IsBilled", "bool")
    is_manually_closed: bool | str | None = x("IsManuallyClosed", "bool")
    quantity_difference: Decimal | str | None = x("QuantityDifference", "decimal")
    value_difference: Decimal | str | None = x("ValueDifference", "decimal")
    other1: str | None = x("Other1")
    other2: str | None = x("Other2")
    lines: tuple[TxnLine, ...] = x("*line", "line", many=True)
    data_ext: tuple[DataExtValue, ...] = x("DataExtRet", "dataext", many=True)
    extra: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Transaction(Record):
    """Fields shared by sales orders, purchase orders, invoices, estimates and bills.

    Every transaction record (these, :class:`TimeTracking` and :class:`InventoryAdjustment`) answers
    ``txn_id``, ``edit_sequence``, ``time_modified``, ``ref_number``, ``memo`` and ``external_guid``
    (see :data:`TXN_IDENTITY`), so a document sent before an answer was lost can be found again by the
    same code whatever its type."""

    txn_id: str | None = x("TxnID")
    time_created: dt.datetime | str | None = x("TimeCreated", "datetime")
    time_modified: dt.datetime | str | None = x("TimeModified", "datetime")
    edit_sequence: str | None = x("EditSequence")
    txn_number: int | str | None = x("TxnNumber", "int")
    customer: RefValue | None = x("CustomerRef", "ref")
    vendor: RefValue | None = x("VendorRef", "ref")
    class_ref: RefValue | None = x("ClassRef", "ref")
    ar_account: RefValue | None = x("ARAccountRef", "ref")
    ap_account: RefValue | None = x("APAccountRef", "ref")
    template: RefValue | None = x("TemplateRef", "ref")
    txn_date: dt.date | str | None = x("TxnDate", "date")
    ref_number: str | None = x("RefNumber")
    bill_address: AddressValue | None = x("BillAddress", "address")
    ship_address: AddressValue | None = x("ShipAddress", "address")
    vendor_address: AddressValue | None = x("VendorAddress", "address")
    po_number: str | None = x("PONumber")
    terms: RefValue | None = x("TermsRef", "ref")
    due_date: dt.date | str | None = x("DueDate", "date")
    expected_date: dt.date | str | None = x("ExpectedDate", "date")
    sales_rep: RefValue | None = x("SalesRepRef", "ref")
    fob: str | None = x("FOB")
    ship_date: dt.date | str | None = x("ShipDate", "date")
    ship_method: RefValue | None = x("ShipMethodRef", "ref")
    subtotal: Decimal | str | None = x("Subtotal", "decimal")
    item_sales_tax: RefValue | None = x("ItemSalesTaxRef", "ref")
    sales_tax_percentage: Decimal | str | None = x("SalesTaxPercentage", "decimal")
    sales_tax_total: Decimal | str | None = x("SalesTaxTotal", "decimal")
    total_amount: Decimal | str | None = x("TotalAmount", "decimal")
    amount_due: Decimal | str | None = x("AmountDue", "decimal")
    amount_due_in_home_currency: Decimal | str | None = x("AmountDueInHomeCurrency", "decimal")
    applied_amount: Decimal | str | None = x("AppliedAmount", "decimal")
    balance_remaining: Decimal | str | None = x("BalanceRemaining", "decimal")
    open_amount: Decimal | str | None = x("OpenAmount", "decimal")
    currency: RefValue | None = x("CurrencyRef", "ref")
    exchange_rate: Decimal | str | None = x("ExchangeRate", "decimal")
    total_amount_in_home_currency: Decimal | str | None = x("TotalAmountInHomeCurrency", "decimal")
    balance_remaining_in_home_currency: Decimal | str | None = x("BalanceRemainingInHomeCurrency", "decimal")
    is_manually_closed: bool | str | None = x("IsManuallyClosed", "bool")
    is_fully_invoiced: bool | str | None = x("IsFullyInvoiced", "bool")
    is_fully_received: bool | str | None = x("IsFullyReceived", "bool")
    is_paid: bool | str | None = x("IsPaid", "bool")
    is_pending: bool | str | None = x("IsPending", "bool")
    is_to_be_printed: bool | str | None = x("IsToBePrinted", "bool")
    is_to_be_emailed: bool | str | None = x("IsToBeEmailed", "bool")
    is_tax_included: bool | str | None = x("IsTaxIncluded", "bool")
    sales_tax_code: RefValue | None = x("SalesTaxCodeRef", "ref")
    memo: str | None = x("Memo")
    vendor_msg: str | None = x("VendorMsg")
    customer_msg: RefValue | None = x("CustomerMsgRef", "ref")
    other: str | None = x("Other")
    other1: str | None = x("Other1")
    other2: str | None = x("Other2")
    external_guid: str | None = x("ExternalGUID")
    linked_txns: tuple[LinkedTxn, ...] = x("LinkedTxn", "linked", many=True)
    lines: tuple[TxnLine, ...] = x("*line", "line", many=True)
    data_ext: tuple[DataExtValue, ...] = x("DataExtRet", "dataext", many=True)
    extra: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class SalesOrder(Transaction):
    pass


@dataclass(frozen=True, slots=True)
class PurchaseOrder(Transaction):
    pass


@dataclass(frozen=True, slots=True)
class Invoice(Transaction):
    pass


@dataclass(frozen=True, slots=True)
class Estimate(Transaction):
    pass


@dataclass(frozen=True, slots=True)
class Bill(Transaction):
    pass


@dataclass(frozen=True, slots=True)
class TimeTracking(Record):
    """A time entry. QuickBooks gives it no reference number and calls its free text ``Notes``; the
    ``ref_number`` and ``memo`` properties answer like the other transaction records (None, and the
    notes) so matching code need not know the type."""

    txn_id: str | None = x("TxnID")
    time_created: dt.datetime | str | None = x("TimeCreated", "datetime")
    time_modified: dt.datetime | str | None = x("TimeModified", "datetime")
    edit_sequence: str | None = x("EditSequence")
    txn_number: int | str | None = x("TxnNumber", "int")
    txn_date: dt.date | str | None = x("TxnDate", "date")
    entity: RefValue | None = x("EntityRef", "ref")
    customer: RefValue | None = x("CustomerRef", "ref")
    item_service: RefValue | None = x("ItemServiceRef", "ref")
    rate: Decimal | str | None = x("Rate", "decimal")
    duration: str | None = x("Duration")  # QuickBooks' own ``PT#H#M#S`` text
    class_ref: RefValue | None = x("ClassRef", "ref")
    payroll_item_wage: RefValue | None = x("PayrollItemWageRef", "ref")
    notes: str | None = x("Notes")
    billable_status: str | None = x("BillableStatus")
    is_billable: bool | str | None = x("IsBillable", "bool")
    is_billed: bool | str | None = x("IsBilled", "bool")
    external_guid: str | None = x("ExternalGUID")
    extra: tuple[tuple[str, Any], ...] = ()

    @property
    def ref_number(self) -> None:
        return None

    @property
    def memo(self) -> str | None:
        return self.notes


@dataclass(frozen=True, slots=True)
class InventoryAdjustment(Record):
    txn_id: str | None = x("TxnID")
    time_created: dt.datetime | str | None = x("TimeCreated", "datetime")
    time_modified: dt.datetime | str | None = x("TimeModified", "datetime")
    edit_sequence: str | None = x("EditSequence")
    txn_number: int | str | None = x("TxnNumber", "int")
    account: RefValue | None = x("AccountRef", "ref")
    inventory_site: RefValue | None = x("InventorySiteRef", "ref")
    txn_date: dt.date | str | None = x("TxnDate", "date")
    ref_number: str | None = x("RefNumber")
    customer: RefValue | None = x("CustomerRef", "ref")
    class_ref: RefValue | None = x("ClassRef", "ref")
    memo: str | None = x("Memo")
    external_guid: str | None = x("ExternalGUID")
    lines: tuple[TxnLine, ...] = x("*line", "line", many=True)
    data_ext: tuple[DataExtValue, ...] = x("DataExtRet", "dataext", many=True)
    extra: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class ListRecord(Record):
    """Fields every list object has."""

    list_id: str | None = x("ListID")
    time_created: dt.datetime | str | None = x("TimeCreated", "datetime")
    time_modified: dt.datetime | str | None = x("TimeModified", "datetime")
    edit_sequence: str | None = x("EditSequence")
    name: str | None = x("Name")
    full_name: str | None = x("FullName")
    is_active: bool | str | None = x("IsActive", "bool")
    parent: RefValue | None = x("ParentRef", "ref")
    sublevel: int | str | None = x("Sublevel", "int")
    class_ref: RefValue | None = x("ClassRef", "ref")
    external_guid: str | None = x("ExternalGUID")
    data_ext: tuple[DataExtValue, ...] = x("DataExtRet", "dataext", many=True)
    extra: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Customer(ListRecord):
    """A customer, or a job when ``parent`` is set (``full_name`` is then ``Customer:Job``)."""

    company_name: str | None = x("CompanyName")
    salutation: str | None = x("Salutation")
    first_name: str | None = x("FirstName")
    middle_name: str | None = x("MiddleName")
    last_name: str | None = x("LastName")
    job_title: str | None = x("JobTitle")
    bill_address: AddressValue | None = x("BillAddress", "address")
    ship_address: AddressValue | None = x("ShipAddress", "address")
    phone: str | None = x("Phone")
    alt_phone: str | None = x("AltPhone")
    fax: str | None = x("Fax")
    email: str | None = x("Email")
    contact: str | None = x("Contact")
    customer_type: RefValue | None = x("CustomerTypeRef", "ref")
    terms: RefValue | None = x("TermsRef", "ref")
    sales_rep: RefValue | None = x("SalesRepRef", "ref")
    balance: Decimal | str | None = x("Balance", "decimal")
    total_balance: Decimal | str | None = x("TotalBalance", "decimal")
    sales_tax_code: RefValue | None = x("SalesTaxCodeRef", "ref")
    item_sales_tax: RefValue | None = x("ItemSalesTaxRef", "ref")
    account_number: str | None = x("AccountNumber")
    credit_limit: Decimal | str | None = x("CreditLimit", "decimal")
    job_status: str | None = x("JobStatus")
    job_start_date: dt.date | str | None = x("JobStartDate", "date")
    job_projected_end_date: dt.date | str | None = x("JobProjectedEndDate", "date")
    job_end_date: dt.date | str | None = x("JobEndDate", "date")
    job_desc: str | None = x("JobDesc")
    job_type: RefValue | None = x("JobTypeRef", "ref")
    notes: str | None = x("Notes")
    price_level: RefValue | None = x("PriceLevelRef", "ref")
    currency: RefValue | None = x("CurrencyRef", "ref")


@dataclass(frozen=True, slots=True)
class Vendor(ListRecord):
    company_name: str | None = x("CompanyName")
    first_name: str | None = x("FirstName")
    last_name: str | None = x("LastName")
    vendor_address: AddressValue | None = x("VendorAddress", "address")
    phone: str | None = x("Phone")
    fax: str | None = x("Fax")
    email: str | None = x("Email")
    contact: str | None = x("Contact")
    name_on_check: str | None = x("NameOnCheck")
    account_number: str | None = x("AccountNumber")
    vendor_type: RefValue | None = x("VendorTypeRef", "ref")
    terms: RefValue | None = x("TermsRef", "ref")
    balance: Decimal | str | None = x("Balance", "decimal")
    currency: RefValue | None = x("CurrencyRef", "ref")


@dataclass(frozen=True, slots=True)
class Employee(ListRecord):
    first_name: str | None = x("FirstName")
    middle_name: str | None = x("MiddleName")
    last_name: str | None = x("LastName")
    job_title: str | None = x("JobTitle")
    employee_address: AddressValue | None = x("EmployeeAddress", "address")
    phone: str | None = x("Phone")
    mobile: str | None = x("Mobile")
    email: str | None = x("Email")
    employee_type: str | None = x("EmployeeType")
    gender: str | None = x("Gender")
    hired_date: dt.date | str | None = x("HiredDate", "date")
    released_date: dt.date | str | None = x("ReleasedDate", "date")
    account_number: str | None = x("AccountNumber")
    notes: str | None = x("Notes")
    billing_rate: RefValue | None = x("BillingRateRef", "ref")


@dataclass(frozen=True, slots=True)
class Item(ListRecord):
    """An item of any type; ``item_type`` is its element (``ItemInventoryRet``, ``ItemServiceRet``...).
    The fields of ``SalesOrPurchase`` / ``SalesAndPurchase`` are read into this record directly."""

    item_type: str = ""
    manufacturer_part_number: str | None = x("ManufacturerPartNumber")
    unit_of_measure_set: RefValue | None = x("UnitOfMeasureSetRef", "ref")
    sales_tax_code: RefValue | None = x("SalesTaxCodeRef", "ref")
    desc: str | None = x("Desc")
    price: Decimal | str | None = x("Price", "decimal")
    price_percent: Decimal | str | None = x("PricePercent", "decimal")
    account: RefValue | None = x("AccountRef", "ref")
    sales_desc: str | None = x("SalesDesc")
    sales_price: Decimal | str | None = x("SalesPrice", "decimal")
    income_account: RefValue | None = x("IncomeAccountRef", "ref")
    purchase_desc: str | None = x("PurchaseDesc")
    purchase_cost: Decimal | str | None = x("PurchaseCost", "decimal")
    purchase_tax_code: RefValue | None = x("PurchaseTaxCodeRef", "ref")
    expense_account: RefValue | None = x("ExpenseAccountRef", "ref")
    cogs_account: RefValue | None = x("COGSAccountRef", "ref")
    asset_account: RefValue | None = x("AssetAccountRef", "ref")
    pref_vendor: RefValue | None = x("PrefVendorRef", "ref")
    reorder_point: Decimal | str | None = x("ReorderPoint", "decimal")
    max_quantity: Decimal | str | None = x("Max", "decimal")
    quantity_on_hand: Decimal | str | None = x("QuantityOnHand", "decimal")
    average_cost: Decimal | str | None = x("AverageCost", "decimal")
    quantity_on_order: Decimal | str | None = x("QuantityOnOrder", "decimal")
    quantity_on_sales_order: Decimal | str | None = x("QuantityOnSalesOrder", "decimal")
    # Markers only: these aggregates' children are read into the fields above, so these stay None.
    sales_or_purchase: None = x("SalesOrPurchase", "merge")
    sales_and_purchase: None = x("SalesAndPurchase", "merge")


@dataclass(frozen=True, slots=True)
class Account(ListRecord):
    account_type: str | None = x("AccountType")
    special_account_type: str | None = x("SpecialAccountType")
    account_number: str | None = x("AccountNumber")
    desc: str | None = x("Desc")
    balance: Decimal | str | None = x("Balance", "decimal")
    total_balance: Decimal | str | None = x("TotalBalance", "decimal")
    currency: RefValue | None = x("CurrencyRef", "ref")


@dataclass(frozen=True, slots=True)
class PayrollItemWage(ListRecord):
    wage_type: str | None = x("WageType")
    expense_account: RefValue | None = x("ExpenseAccountRef", "ref")


@dataclass(frozen=True, slots=True)
class UnitValue(Record):
    """One unit of a unit-of-measure set (``BaseUnit`` or ``RelatedUnit``); a related unit is
    ``conversion_ratio`` base units."""

    name: str | None = x("Name")
    abbreviation: str | None = x("Abbreviation")
    conversion_ratio: Decimal | str | None = x("ConversionRatio", "decimal")
    extra: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class UnitOfMeasureSet(Record):
    """A unit-of-measure set (qbXML 7.0): the base unit and the units defined as multiples of it."""

    list_id: str | None = x("ListID")
    time_created: dt.datetime | str | None = x("TimeCreated", "datetime")
    time_modified: dt.datetime | str | None = x("TimeModified", "datetime")
    edit_sequence: str | None = x("EditSequence")
    name: str | None = x("Name")
    is_active: bool | str | None = x("IsActive", "bool")
    unit_of_measure_type: str | None = x("UnitOfMeasureType")
    base_unit: UnitValue | None = x("BaseUnit", "unit")
    related_units: tuple[UnitValue, ...] = x("RelatedUnit", "unit", many=True)
    extra: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class DataExtDef(Record):
    owner_id: str | None = x("OwnerID")
    name: str | None = x("DataExtName")
    type: str | None = x("DataExtType")
    assign_to_objects: tuple[str, ...] = x("AssignToObject", many=True)
    list_require: bool | str | None = x("DataExtListRequire", "bool")
    txn_require: bool | str | None = x("DataExtTxnRequire", "bool")
    format_string: str | None = x("DataExtFormatString")
    extra: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Host(Record):
    product_name: str | None = x("ProductName")
    major_version: int | str | None = x("MajorVersion", "int")
    minor_version: int | str | None = x("MinorVersion", "int")
    country: str | None = x("Country")
    supported_versions: tuple[str, ...] = x("SupportedQBXMLVersion", many=True)
    is_automatic_login: bool | str | None = x("IsAutomaticLogin", "bool")
    qb_file_mode: str | None = x("QBFileMode")
    extra: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Company(Record):
    is_sample_company: bool | str | None = x("IsSampleCompany", "bool")
    company_name: str | None = x("CompanyName")
    legal_company_name: str | None = x("LegalCompanyName")
    address: AddressValue | None = x("Address", "address")
    legal_address: AddressValue | None = x("LegalAddress", "address")
    phone: str | None = x("Phone")
    email: str | None = x("Email")
    first_month_fiscal_year: str | None = x("FirstMonthFiscalYear")
    data_ext: tuple[DataExtValue, ...] = x("DataExtRet", "dataext", many=True)
    extra: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Preferences(Record):
    """Company preferences, kept whole as nested dicts by section (``AccountingPreferences``...)."""

    sections: tuple[tuple[str, Any], ...] = ()

    def section(self, name: str) -> dict[str, Any]:
        for tag, value in self.sections:
            if tag == name and isinstance(value, dict):
                return value
        return {}


@dataclass(frozen=True, slots=True)
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

# --- Fast construction and conversion ---------------------------------------------------------------
#
# Reading a large response is dominated by this conversion (tens of elements per record, hundreds of
# thousands of records), so it is table-driven: each record class gets a plan, built once, mapping each
# child tag to the slot its value goes to and how it is read; the commonest readers (text, references,
# numbers, flags, dates) are written inline in the walk instead of being called per element.

_TEXT, _CONVERT, _REF, _BOOL, _RECORD, _MANY_RECORDS, _MANY, _READ, _MERGE_IN = range(9)

# Readers of text written inline as one call: (function, what it raises for text it does not accept).
_CONVERTERS: dict[str, tuple[Callable[[str], Any], type[Exception]]] = {
    "decimal": (Decimal, InvalidOperation),
    "int": (int, ValueError),
    "date": (dt.date.fromisoformat, ValueError),
    "datetime": (dt.datetime.fromisoformat, ValueError),
}

# Aggregates read as records of their own: reader name -> (class, field set to the element's tag).
_SUBRECORDS: dict[str, tuple[type[Record], str | None]] = {}

# The exact texts QuickBooks writes for flags; anything else goes through read_bool.
_BOOLS: dict[str | None, bool] = {"true": True, "false": False, "1": True, "0": False}


def _constructor(cls: type[Record]) -> tuple[Callable[..., Any], type[Record]]:
    """A constructor taking every field positionally, in declaration order, that skips ``__init__``,
    and the class it fills instances as.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, about ten times the
    cost of a plain store, which made building the records cost more than parsing the XML. The instance
    is created as a subclass that adds no slots and allows plain stores, filled, and only then given its
    real class: the layout is the same, so the result is exactly what ``__init__`` builds (no record
    class has a ``__post_init__``), and it is frozen from then on.
    """
    names = [fld.name for fld in dataclasses.fields(cls)]  # type: ignore[arg-type]
    if any(not name.isidentifier() or name.startswith("_") for name in names):
        raise AssertionError(f"{cls.__name__}: field names must be plain identifiers")
    if "__post_init__" in dir(cls):
        raise AssertionError(f"{cls.__name__}: a record with __post_init__ needs its __init__")
    filling = type(
        f"_Filling{cls.__name__}",
        (cls,),
        {"__slots__": (), "__setattr__": object.__setattr__, "__delattr__": object.__delattr__},
    )
    targets = "".join(f"_o.{name}, " for name in names)
    lines = ["def make(_values):", "    _o = _new(_filling)", f"    ({targets}) = _values"]
    lines += ["    _o.__class__ = _cls", "    return _o"]
    namespace: dict[str, Any] = {"_new": object.__new__, "_filling": filling, "_cls": cls}
    exec("\n".join(lines), namespace)  # the names are our own fields, checked above
    return namespace["make"], filling


class _Plan:
    """How to read one record class from its element."""

    __slots__ = (
        "cls", "defaults", "extra", "filling", "last", "make", "many", "names", "shapes", "tag_field",
        "tags",
    )  # fmt: skip

    def __init__(self, cls: type[Record], tag_field: str | None = None) -> None:
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        slot = {fld.name: index for index, fld in enumerate(fields)}
        # tag -> (slot, kind, how): how is a reader, a (converter, error) pair or a sub-record's plan
        self.tags: dict[str, tuple[int, int, Any]] = {}
        if any(fld.default is dataclasses.MISSING for fld in fields):
            raise AssertionError(f"{cls.__name__}: every field needs a plain default")
        self.defaults: list[Any] = [fld.default for fld in fields]
        self.many: tuple[int, ...] = tuple(slot[f.name] for f in fields if f.metadata.get("many"))
        self.extra = slot["extra"]
        self.tag_field = -1 if tag_field is None else slot[tag_field]
        self.cls = cls
        self.names = [fld.name for fld in fields]
        self.make, self.filling = _constructor(cls)
        # child tags, in order -> a converter compiled for exactly that layout (see _compile)
        self.shapes: dict[tuple[Any, ...], Callable[[list[etree._Element], etree._Element], Any]] = {}
        self.last: tuple[tuple[Any, ...] | None, Any] = (None, None)
        for fld in fields:
            meta = fld.metadata
            if "tag" not in meta:
                continue
            read = meta["read"]
            entry: tuple[int, int, Any]
            if read in _SUBRECORDS:
                sub = _plan(*_SUBRECORDS[read])
                entry = (slot[fld.name], _MANY_RECORDS if meta["many"] else _RECORD, sub)
            elif meta["many"]:
                entry = (slot[fld.name], _MANY, _READERS[read])
            elif read == "str":
                entry = (slot[fld.name], _TEXT, None)
            elif read in _CONVERTERS:
                entry = (slot[fld.name], _CONVERT, _CONVERTERS[read])
            elif read == "ref":
                entry = (slot[fld.name], _REF, None)
            elif read == "bool":
                entry = (slot[fld.name], _BOOL, None)
            elif read == "merge":
                entry = (slot[fld.name], _MERGE_IN, None)
            else:
                entry = (slot[fld.name], _READ, _READERS[read])
            for tag in _LINE_TAGS if meta["tag"] == "*line" else (meta["tag"],):
                self.tags[tag] = entry


_PLANS: dict[type[Record], _Plan] = {}


def _plan(cls: type[Record], tag_field: str | None = None) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        if cls is GenericRecord or cls is Preferences:
            raise AssertionError(f"{cls.__name__} is built by read_record")
        # Registered before its entries are made: a line's plan refers to itself (group lines).
        plan = _PLANS[cls] = _Plan.__new__(_Plan)
        plan.__init__(cls, tag_field)  # type: ignore[misc]
    return plan


def _fill(plan: _Plan, children: list[etree._Element], vals: list[Any], extra: list[tuple[str, Any]]) -> None:
    tags = plan.tags
    for child in children:
        tag = child.tag
        try:
            index, kind, how = tags[tag]  # type: ignore[index]
        except KeyError:
            if type(tag) is str:  # comments and processing instructions are skipped
                extra.append((tag, read_plain(child)))
            continue
        if kind == _TEXT:
            vals[index] = child.text or ""
        elif kind == _CONVERT:
            text = child.text or ""
            try:
                vals[index] = how[0](text)
            except how[1]:
                vals[index] = text
        elif kind == _REF:
            vals[index] = read_ref(child)
        elif kind == _BOOL:
            flag = _BOOLS.get(child.text)
            vals[index] = read_bool(child) if flag is None else flag
        elif kind == _MANY_RECORDS:
            value = _build(how, child)
            bucket = vals[index]
            if type(bucket) is list:
                bucket.append(value)
            else:
                vals[index] = [value]
        elif kind == _RECORD:
            vals[index] = _build(how, child)
        elif kind == _MANY:
            value = how(child)
            bucket = vals[index]
            if type(bucket) is list:
                bucket.append(value)
            else:
                vals[index] = [value]
        elif kind == _READ:
            vals[index] = how(child)
        else:  # _MERGE_IN: the aggregate's children belong to this record
            _fill(plan, child[:], vals, extra)


def _build(plan: _Plan, elem: etree._Element) -> Any:
    # A slice is built in one call; lxml's child iterator costs several times more per element.
    children = elem[:]
    shape = tuple(map(_TAG, children))
    # Comparing with the layout met last is cheaper than hashing the tags, and usually right.
    last_shape, convert = plan.last
    if shape != last_shape:
        convert = plan.shapes.get(shape)
        if convert is None:
            convert = _compile(plan, shape)
            if convert is None:
                return _build_by_walk(plan, elem, children)
        plan.last = (shape, convert)
    return convert(children, elem)


def _build_by_walk(plan: _Plan, elem: etree._Element, children: list[etree._Element]) -> Any:
    vals = plan.defaults.copy()
    if plan.tag_field >= 0:
        vals[plan.tag_field] = elem.tag
    extra: list[tuple[str, Any]] = []
    _fill(plan, children, vals, extra)
    for index in plan.many:
        value = vals[index]
        if type(value) is list:
            vals[index] = tuple(value)
    if extra:
        vals[plan.extra] = tuple(extra)
    return plan.make(vals)


# Records of one class in one response mostly share a few layouts (QuickBooks writes the elements a
# record has in schema order), so each layout met gets a converter of its own: straight-line code that
# reads child i into its slot, with no lookup or test per element. Converters are kept for the life of
# the process (compiling one costs about as much as reading twenty records); past this many layouts per
# class, new layouts are read by the table-driven walk above, which gives the same records a few
# per cent slower, so no document can make reading slow or wrong for the next one.
_SHAPE_LIMIT = 64


def _compile(
    plan: _Plan, shape: tuple[Any, ...]
) -> Callable[[list[etree._Element], etree._Element], Any] | None:
    """A converter for records of ``plan`` whose children have exactly the tags ``shape``, or None.

    It reads each child into a local by position, then fills the record's slots directly (as
    ``_constructor`` does). The code names children by position and everything else through its
    namespace: no text from the document ever becomes part of it."""
    if len(plan.shapes) >= _SHAPE_LIMIT:
        return None
    namespace: dict[str, Any] = {
        "_new": object.__new__,
        "_filling": plan.filling,
        "_cls": plan.cls,
        "_shape": shape,
        "_plain": read_plain,
        "_ref": read_ref,
        "_bools": _BOOLS,
        "_read_bool": read_bool,
        "_build": _build,
    }
    body: list[str] = []
    assigned: set[int] = set()  # slots given a value by the code so far (in _s<slot>)

    def assign(index: int, value: str) -> None:
        body.append(f"    _s{index} = {value}")
        assigned.add(index)

    if plan.tag_field >= 0:
        assign(plan.tag_field, "_e.tag")
    many: dict[int, list[str]] = {}
    extra: list[str] = []
    for i, tag in enumerate(shape):
        if type(tag) is not str:  # comments and processing instructions are skipped
            continue
        entry = plan.tags.get(tag)
        if entry is None:
            extra.append(f"(_shape[{i}], _plain(_k[{i}]))")
            continue
        index, kind, how = entry
        if kind == _TEXT:
            assign(index, f"_k[{i}].text or ''")
        elif kind == _CONVERT:
            namespace[f"_c{i}"], namespace[f"_x{i}"] = how
            body += [f"    _t = _k[{i}].text or ''", "    try:", f"        _s{index} = _c{i}(_t)"]
            body += [f"    except _x{i}:", f"        _s{index} = _t"]
            assigned.add(index)
        elif kind == _REF:
            assign(index, f"_ref(_k[{i}])")
        elif kind == _BOOL:
            body.append(f"    _f = _bools.get(_k[{i}].text)")
            assign(index, f"_read_bool(_k[{i}]) if _f is None else _f")
        elif kind in (_RECORD, _MANY_RECORDS):
            namespace[f"_p{i}"] = how
            if kind == _RECORD:
                assign(index, f"_build(_p{i}, _k[{i}])")
            else:
                many.setdefault(index, []).append(f"_build(_p{i}, _k[{i}])")
        elif kind in (_MANY, _READ):
            namespace[f"_r{i}"] = how
            if kind == _MANY:
                many.setdefault(index, []).append(f"_r{i}(_k[{i}])")
            else:
                assign(index, f"_r{i}(_k[{i}])")
        else:  # an aggregate merged into the record: its own children vary, so walk it
            return None
    for index, values in many.items():
        assign(index, f"({', '.join(values)},)")
    if extra:
        assign(plan.extra, f"({', '.join(extra)},)")
    body.append("    _o = _new(_filling)")
    for index, name in enumerate(plan.names):
        if index not in assigned:
            namespace[f"_s{index}"] = plan.defaults[index]
        body.append(f"    _o.{name} = _s{index}")
    body += ["    _o.__class__ = _cls", "    return _o"]
    exec("\n".join(["def convert(_k, _e):", *body]), namespace)  # positions and slots only
    convert = namespace["convert"]
    plan.shapes[shape] = convert
    return convert  # type: ignore[no-any-return]


def build(cls: type[Record], elem: etree._Element) -> Any:
    """The record of class ``cls`` read from ``elem`` (``GenericRecord`` and ``Preferences`` excluded)."""
    return _build(_plan(cls, _TAG_FIELDS.get(cls)), elem)


_new = object.__new__
_FillingRef = _constructor(RefValue)[1]
_TAG = operator.attrgetter("tag")


def read_ref(elem: etree._Element) -> RefValue:
    """A ``ListID``/``FullName`` reference, built by plain stores (references are a third of all
    elements)."""
    list_id = full_name = None
    extra: list[tuple[str, Any]] | None = None
    for part in elem[:]:
        tag = part.tag
        if tag == "ListID":
            list_id = part.text or ""
        elif tag == "FullName":
            full_name = part.text or ""
        elif type(tag) is str:
            if extra is None:
                extra = []
            extra.append((tag, read_plain(part)))
    ref = _new(_FillingRef)
    ref.list_id = list_id
    ref.full_name = full_name
    ref.extra = () if extra is None else tuple(extra)
    ref.__class__ = RefValue
    return ref  # type: ignore[no-any-return]


def read_address(elem: etree._Element) -> AddressValue:
    return build(AddressValue, elem)  # type: ignore[no-any-return]


def read_dataext(elem: etree._Element) -> DataExtValue:
    return build(DataExtValue, elem)  # type: ignore[no-any-return]


def read_linked(elem: etree._Element) -> LinkedTxn:
    return build(LinkedTxn, elem)  # type: ignore[no-any-return]


def read_line(elem: etree._Element) -> TxnLine:
    return build(TxnLine, elem)  # type: ignore[no-any-return]


def read_unit(elem: etree._Element) -> UnitValue:
    return build(UnitValue, elem)  # type: ignore[no-any-return]


def _merge_marker(elem: etree._Element) -> None:
    raise AssertionError("merged aggregates are read by _fill")


_READERS: dict[str, Reader] = {
    "str": read_str,
    "decimal": read_decimal,
    "int": read_int,
    "bool": read_bool,
    "date": read_date,
    "datetime": read_datetime,
    "ref": read_ref,
    "address": read_address,
    "dataext": read_dataext,
    "linked": read_linked,
    "line": read_line,
    "unit": read_unit,
    "merge": _merge_marker,
}

# The field that records which element a record came from, for classes read from several elements.
_TAG_FIELDS: dict[type[Record], str] = {TxnLine: "kind", Item: "item_type"}
_SUBRECORDS.update(
    {
        "address": (AddressValue, None),
        "dataext": (DataExtValue, None),
        "linked": (LinkedTxn, None),
        "line": (TxnLine, "kind"),
        "unit": (UnitValue, None),
    }
)
_RET_PLANS: dict[str, _Plan] = {tag: _plan(cls, _TAG_FIELDS.get(cls)) for tag, cls in RET_CLASSES.items()}


def read_record(elem: etree._Element) -> Record:
    """The typed record for one ``*Ret`` element (a :class:`GenericRecord` for types we do not model)."""
    tag = elem.tag
    plan = _RET_PLANS.get(tag)  # type: ignore[arg-type]
    if plan is not None:
        return _build(plan, elem)  # type: ignore[no-any-return]
    if tag == "PreferencesRet":
        return Preferences(
            sections=tuple((child.tag, read_plain(child)) for child in elem if isinstance(child.tag, str))
        )
    return GenericRecord(tag=str(tag), data=read_plain(elem))
