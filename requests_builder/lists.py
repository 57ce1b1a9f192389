"""List requests: customers and jobs, employees, and items (non-inventory, inventory, service)."""

from __future__ import annotations

from requests_builder.enums import EmployeeType, Gender, JobStatus
from requests_builder.errors import BuildError
from requests_builder.model import Address, EmployeeAddress, QBObject, Ref, Request, qbxml
from requests_builder.request_fields import (
    Amount,
    Day,
    ExternalGuid,
    Flag,
    Ident,
    LeafName,
    Number,
    Text,
    el,
)


@qbxml
class CustomerAdd(Request, body="CustomerAdd"):
    """A customer, or a job when ``parent`` names its customer (QuickBooks then calls it
    ``Customer:Job``)."""

    name: LeafName = el(required=True)
    is_active: Flag
    class_ref: Ref | None
    parent: Ref | None
    company_name: Ident
    salutation: Text
    first_name: Text
    middle_name: Text
    last_name: Text
    job_title: Text
    bill_address: Address | None
    ship_address: Address | None
    print_as: Text
    phone: Text
    mobile: Text
    alt_phone: Text
    fax: Text
    email: Ident
    cc: Ident
    contact: Text
    alt_contact: Text
    customer_type: Ref | None
    terms: Ref | None
    sales_rep: Ref | None
    sales_tax_code: Ref | None
    item_sales_tax: Ref | None
    resale_number: Ident
    account_number: Ident
    credit_limit: Amount
    job_status: JobStatus
    job_start_date: Day
    job_projected_end_date: Day
    job_end_date: Day
    job_desc: Text
    job_type: Ref | None
    notes: Text
    price_level: Ref | None
    external_guid: ExternalGuid
    currency: Ref | None


@qbxml
class EmployeeAdd(Request, body="EmployeeAdd"):
    is_active: Flag
    salutation: Text
    first_name: Ident
    middle_name: Ident
    last_name: Ident
    job_title: Text
    supervisor: Ref | None
    department: Text
    description: Text
    employee_address: EmployeeAddress | None
    print_as: Text
    phone: Text
    mobile: Text
    fax: Text
    email: Ident
    employee_type: EmployeeType
    gender: Gender
    hired_date: Day
    released_date: Day
    birth_date: Day
    account_number: Ident
    notes: Text
    billing_rate: Ref | None
    external_guid: ExternalGuid

    def check(self, field: str, version: tuple[int, int]) -> None:
        # The schema makes every field optional (its Name is QuickBooks Online only); QuickBooks Desktop
        # still refuses an employee with no name.
        if self.first_name is None and self.last_name is None:
            raise BuildError(f"{field}.last_name", "an employee needs a first_name or a last_name")


@qbxml
class SalesOrPurchase(QBObject):
    """An item bought or sold but not both (one description, one price, one account)."""

    desc: Text
    price: Number
    price_percent: Number
    account: Ref | None

    def check(self, field: str, version: tuple[int, int]) -> None:
        if self.price is not None and self.price_percent is not None:
            raise BuildError(field, "give only one of price, price_percent")


@qbxml(slots=False)
class _SalesAndPurchaseSides:
    """The sales and purchase sides of an item that is both bought and sold, shared by the
    ``SalesAndPurchase`` aggregate and the inventory item add, which sits in another class chain.

    A field group with no instance layout of its own (empty ``__slots__``, not slotted by qbxml),
    so a slotted request can take it beside its own base; the class using it makes the slots."""

    __slots__ = ()

    sales_desc: Text
    sales_price: Number
    income_account: Ref | None
    purchase_desc: Text
    purchase_cost: Number
    purchase_tax_code: Ref | None
    pref_vendor: Ref | None


@qbxml
class SalesAndPurchase(QBObject, _SalesAndPurchaseSides):
    """An item both bought and sold, with separate sales and purchase descriptions, prices and accounts."""

    expense_account: Ref | None


@qbxml
class _ItemAdd(Request):
    """The fields every item add (non-inventory, service, inventory) has; the writer orders them."""

    name: LeafName = el(required=True)
    is_active: Flag
    class_ref: Ref | None
    parent: Ref | None
    unit_of_measure_set: Ref | None
    sales_tax_code: Ref | None
    external_guid: ExternalGuid


@qbxml
class _SalesOrPurchaseItemAdd(_ItemAdd):
    """An item whose prices and accounts come in one of two aggregates (non-inventory and service)."""

    sales_or_purchase: SalesOrPurchase | None
    sales_and_purchase: SalesAndPurchase | None

    def check(self, field: str, version: tuple[int, int]) -> None:
        if (self.sales_or_purchase is None) == (self.sales_and_purchase is None):
            raise BuildError(field, "give exactly one of sales_or_purchase, sales_and_purchase")


@qbxml
class ItemNonInventoryAdd(_SalesOrPurchaseItemAdd, body="ItemNonInventoryAdd"):
    manufacturer_part_number: Ident


@qbxml
class ItemServiceAdd(_SalesOrPurchaseItemAdd, body="ItemServiceAdd"): ...


@qbxml
class ItemInventoryAdd(_ItemAdd, _SalesAndPurchaseSides, body="ItemInventoryAdd"):
    """An inventory part. The schema makes the three accounts optional; QuickBooks requires them."""

    manufacturer_part_number: Ident
    income_account: Ref | None = el(required=True)
    cogs_account: Ref | None = el(required=True)
    asset_account: Ref | None = el(required=True)
    reorder_point: Number
    max_quantity: Number = el("Max")
    quantity_on_hand: Number
    total_value: Amount
    inventory_date: Day
