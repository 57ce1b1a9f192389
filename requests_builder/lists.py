"""List requests: customers and jobs, employees, and items (non-inventory, inventory, service)."""

# `el()` returns a dataclasses.field (see requests_builder.model), which RUF009 cannot see through.
# ruff: noqa: RUF009

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from requests_builder.enums import EMPLOYEE_TYPE, GENDER, JOB_STATUS
from requests_builder.errors import BuildError
from requests_builder.model import Address, EmployeeAddress, QBObject, Ref, Request, el

Number = Decimal | int | float | str
Day = date | str


@dataclass(kw_only=True, slots=True)
class CustomerAdd(Request, body="CustomerAdd"):
    """A customer, or a job when ``parent`` names its customer (QuickBooks then calls it
    ``Customer:Job``)."""

    name: str | None = el("Name", ident=True, required=True, leaf_name=True)
    is_active: bool | None = el("IsActive", "bool")
    class_ref: Ref | None = el("ClassRef", "ref")
    parent: Ref | None = el("ParentRef", "ref")
    company_name: str | None = el("CompanyName", ident=True)
    salutation: str | None = el("Salutation")
    first_name: str | None = el("FirstName")
    middle_name: str | None = el("MiddleName")
    last_name: str | None = el("LastName")
    job_title: str | None = el("JobTitle")
    bill_address: Address | None = el("BillAddress", "agg", cls=Address)
    ship_address: Address | None = el("ShipAddress", "agg", cls=Address)
    print_as: str | None = el("PrintAs")
    phone: str | None = el("Phone")
    mobile: str | None = el("Mobile")
    alt_phone: str | None = el("AltPhone")
    fax: str | None = el("Fax")
    email: str | None = el("Email", ident=True)
    cc: str | None = el("Cc", ident=True)
    contact: str | None = el("Contact")
    alt_contact: str | None = el("AltContact")
    customer_type: Ref | None = el("CustomerTypeRef", "ref")
    terms: Ref | None = el("TermsRef", "ref")
    sales_rep: Ref | None = el("SalesRepRef", "ref")
    sales_tax_code: Ref | None = el("SalesTaxCodeRef", "ref")
    item_sales_tax: Ref | None = el("ItemSalesTaxRef", "ref")
    resale_number: str | None = el("ResaleNumber", ident=True)
    account_number: str | None = el("AccountNumber", ident=True)
    credit_limit: Number | None = el("CreditLimit", "amount")
    job_status: str | None = el("JobStatus", "enum", choices=JOB_STATUS)
    job_start_date: Day | None = el("JobStartDate", "date")
    job_projected_end_date: Day | None = el("JobProjectedEndDate", "date")
    job_end_date: Day | None = el("JobEndDate", "date")
    job_desc: str | None = el("JobDesc")
    job_type: Ref | None = el("JobTypeRef", "ref")
    notes: str | None = el("Notes")
    price_level: Ref | None = el("PriceLevelRef", "ref")
    external_guid: str | None = el("ExternalGUID", "guid", drop_if_old=True)
    currency: Ref | None = el("CurrencyRef", "ref")


@dataclass(kw_only=True, slots=True)
class EmployeeAdd(Request, body="EmployeeAdd"):
    is_active: bool | None = el("IsActive", "bool")
    salutation: str | None = el("Salutation")
    first_name: str | None = el("FirstName", ident=True)
    middle_name: str | None = el("MiddleName", ident=True)
    last_name: str | None = el("LastName", ident=True)
    job_title: str | None = el("JobTitle")
    supervisor: Ref | None = el("SupervisorRef", "ref")
    department: str | None = el("Department")
    description: str | None = el("Description")
    employee_address: EmployeeAddress | None = el("EmployeeAddress", "agg", cls=EmployeeAddress)
    print_as: str | None = el("PrintAs")
    phone: str | None = el("Phone")
    mobile: str | None = el("Mobile")
    fax: str | None = el("Fax")
    email: str | None = el("Email", ident=True)
    employee_type: str | None = el("EmployeeType", "enum", choices=EMPLOYEE_TYPE)
    gender: str | None = el("Gender", "enum", choices=GENDER)
    hired_date: Day | None = el("HiredDate", "date")
    released_date: Day | None = el("ReleasedDate", "date")
    birth_date: Day | None = el("BirthDate", "date")
    account_number: str | None = el("AccountNumber", ident=True)
    notes: str | None = el("Notes")
    billing_rate: Ref | None = el("BillingRateRef", "ref")
    external_guid: str | None = el("ExternalGUID", "guid", drop_if_old=True)

    def check(self, field: str, version: tuple[int, int]) -> None:
        # The schema makes every field optional (its Name is QuickBooks Online only); QuickBooks Desktop
        # still refuses an employee with no name.
        if self.first_name is None and self.last_name is None:
            raise BuildError(f"{field}.last_name", "an employee needs a first_name or a last_name")


@dataclass(kw_only=True, slots=True)
class SalesOrPurchase(QBObject):
    """An item bought or sold but not both (one description, one price, one account)."""

    desc: str | None = el("Desc")
    price: Number | None = el("Price", "price")
    price_percent: Number | None = el("PricePercent", "price")
    account: Ref | None = el("AccountRef", "ref")

    def check(self, field: str, version: tuple[int, int]) -> None:
        if self.price is not None and self.price_percent is not None:
            raise BuildError(field, "give only one of price, price_percent")


@dataclass(kw_only=True)
class _SalesAndPurchaseSides:
    """The sales and purchase sides of an item that is both bought and sold, shared by the
    ``SalesAndPurchase`` aggregate and the inventory item add, which sits in another class chain.

    A field group with no instance layout of its own (empty ``__slots__``, not a slotted dataclass),
    so a slotted request can take it beside its own base; the class using it makes the slots."""

    __slots__ = ()

    sales_desc: str | None = el("SalesDesc")
    sales_price: Number | None = el("SalesPrice", "price")
    income_account: Ref | None = el("IncomeAccountRef", "ref")
    purchase_desc: str | None = el("PurchaseDesc")
    purchase_cost: Number | None = el("PurchaseCost", "price")
    purchase_tax_code: Ref | None = el("PurchaseTaxCodeRef", "ref")
    pref_vendor: Ref | None = el("PrefVendorRef", "ref")


@dataclass(kw_only=True, slots=True)
class SalesAndPurchase(QBObject, _SalesAndPurchaseSides):
    """An item both bought and sold, with separate sales and purchase descriptions, prices and accounts."""

    expense_account: Ref | None = el("ExpenseAccountRef", "ref")


@dataclass(kw_only=True, slots=True)
class _ItemAdd(Request):
    """The fields every item add (non-inventory, service, inventory) has; the writer orders them."""

    name: str | None = el("Name", ident=True, required=True, leaf_name=True)
    is_active: bool | None = el("IsActive", "bool")
    class_ref: Ref | None = el("ClassRef", "ref")
    parent: Ref | None = el("ParentRef", "ref")
    unit_of_measure_set: Ref | None = el("UnitOfMeasureSetRef", "ref")
    sales_tax_code: Ref | None = el("SalesTaxCodeRef", "ref")
    external_guid: str | None = el("ExternalGUID", "guid", drop_if_old=True)


@dataclass(kw_only=True, slots=True)
class _SalesOrPurchaseItemAdd(_ItemAdd):
    """An item whose prices and accounts come in one of two aggregates (non-inventory and service)."""

    sales_or_purchase: SalesOrPurchase | None = el("SalesOrPurchase", "agg", cls=SalesOrPurchase)
    sales_and_purchase: SalesAndPurchase | None = el("SalesAndPurchase", "agg", cls=SalesAndPurchase)

    def check(self, field: str, version: tuple[int, int]) -> None:
        if (self.sales_or_purchase is None) == (self.sales_and_purchase is None):
            raise BuildError(field, "give exactly one of sales_or_purchase, sales_and_purchase")


@dataclass(kw_only=True, slots=True)
class ItemNonInventoryAdd(_SalesOrPurchaseItemAdd, body="ItemNonInventoryAdd"):
    manufacturer_part_number: str | None = el("ManufacturerPartNumber", ident=True)


@dataclass(kw_only=True, slots=True)
class ItemServiceAdd(_SalesOrPurchaseItemAdd, body="ItemServiceAdd"): ...


@dataclass(kw_only=True, slots=True)
class ItemInventoryAdd(_ItemAdd, _SalesAndPurchaseSides, body="ItemInventoryAdd"):
    """An inventory part. The schema makes the three accounts optional; QuickBooks requires them."""

    manufacturer_part_number: str | None = el("ManufacturerPartNumber", ident=True)
    income_account: Ref | None = el("IncomeAccountRef", "ref", required=True)
    cogs_account: Ref | None = el("COGSAccountRef", "ref", required=True)
    asset_account: Ref | None = el("AssetAccountRef", "ref", required=True)
    reorder_point: Number | None = el("ReorderPoint", "price")
    max_quantity: Number | None = el("Max", "price")
    quantity_on_hand: Number | None = el("QuantityOnHand", "price")
    total_value: Number | None = el("TotalValue", "amount")
    inventory_date: Day | None = el("InventoryDate", "date")
