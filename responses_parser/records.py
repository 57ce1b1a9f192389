"""Typed, immutable records for what QuickBooks returns inside ``*Ret`` elements: the declarations.

Each record class declares, per field, the XML element it comes from and how its text is read
(:func:`x`); :mod:`responses_parser.record_reader` builds them from the elements. Elements we do not
model are kept, never dropped, in ``extra`` as ``(tag, value)`` pairs (value: text, or a nested dict
for aggregates), and values outside the schema's enumerations are kept as text: QuickBooks adds
elements and values in new versions, and a reader must not fail on them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

# `x()` returns a dataclasses.field, which RUF009 cannot see through.
# ruff: noqa: RUF009


def x(tag: str, read: str = "str", *, many: bool = False) -> Any:
    """Declare a field read from child ``tag`` with reader ``read`` (a name in ``_READERS``)."""
    meta = {"tag": tag, "read": read, "many": many}
    if many:
        return dataclasses.field(default=(), metadata=meta)
    return dataclasses.field(default=None, metadata=meta)


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


LINE_TAGS = (
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
class TxnRecord(Record):
    """The identity every transaction record begins with, in the order QuickBooks writes it."""

    txn_id: str | None = x("TxnID")
    time_created: dt.datetime | str | None = x("TimeCreated", "datetime")
    time_modified: dt.datetime | str | None = x("TimeModified", "datetime")
    edit_sequence: str | None = x("EditSequence")
    txn_number: int | str | None = x("TxnNumber", "int")


@dataclass(frozen=True, slots=True)
class Transaction(TxnRecord):
    """Fields shared by sales orders, purchase orders, invoices, estimates and bills.

    Every transaction record (these, :class:`TimeTracking` and :class:`InventoryAdjustment`) answers
    ``txn_id``, ``edit_sequence``, ``time_modified``, ``ref_number``, ``memo`` and ``external_guid``
    (see :data:`TXN_IDENTITY`), so a document sent before an answer was lost can be found again by the
    same code whatever its type."""

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
class TimeTracking(TxnRecord):
    """A time entry. QuickBooks gives it no reference number and calls its free text ``Notes``; the
    ``ref_number`` and ``memo`` properties answer like the other transaction records (None, and the
    notes) so matching code need not know the type."""

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
class InventoryAdjustment(TxnRecord):
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
