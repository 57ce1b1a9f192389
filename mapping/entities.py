"""What Fusion Operations sends us: the payload of each send flow, as validated pydantic models.

These models are the API contract (the OpenAPI document is generated from them). Keys are camelCase as
in the Fusion Operations API; unknown keys are ignored because Fusion Operations sends much more than a
flow uses. A payload that cannot describe a QuickBooks document is refused here, with the exact path of
the offending field (``rows.0.quantity``), before anything is planned.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from mapping.fields import STORABLE, Day, Instant, SafeText


def _finite(value: Any) -> Any:
    # JSON as Python reads it allows NaN and Infinity (and 1e400 becomes Infinity): none of them is a
    # value QuickBooks can store, and as text ("nan", "inf") they would become codes and names.
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("NaN and Infinity are not values QuickBooks can store; send a number or text")
    return value


def _not_negative_zero(value: Decimal) -> Decimal:
    # -0 is not a quantity or a price anyone means; QuickBooks would store 0. Refused rather than guessed.
    if value.is_zero() and value.is_signed():
        raise ValueError("negative zero is not a value; send 0")
    return value


# Fusion Operations limits codes to 255 characters; surrounding blanks are never meaningful in a code.
# (A before-validator runs first whatever its place; put before the constraints, it would drop them.)
Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    BeforeValidator(_finite),
    STORABLE,
]
Text = Annotated[str, StringConstraints(strip_whitespace=True), BeforeValidator(_finite), STORABLE]
CustomValue = Annotated[SafeText | int | float | Decimal | bool | None, BeforeValidator(_finite)]
# A quantity or price: finite (pydantic refuses NaN and Infinity), never -0. Its precision and size
# are QuickBooks' (requests_builder/fields.py): checked when the plan is built, with the payload path.
Number = Annotated[Decimal, AfterValidator(_not_negative_zero)]
# Times without an offset are taken as UTC: Fusion Operations reads them in the company's time zone,
# which we cannot know here, and its API documents ``Z`` times (mapping/fields.py).
Moment = Instant


class FusionModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", coerce_numbers_to_str=True
    )


# --- References ---------------------------------------------------------------------------------------


# A party's name beside its code: shown to people, never matched against QuickBooks.
PartyName = Annotated[Text | None, Field(description="Name (informative: QuickBooks is matched by code).")]


class ClientRef(FusionModel):
    id: int | None = Field(None, description="Fusion Operations id of the client.")
    code: Code = Field(description="Client code; the QuickBooks customer name by default.")
    name: PartyName = None


class SupplierRef(FusionModel):
    code: Code = Field(description="Supplier code; the QuickBooks vendor name.")
    name: PartyName = None


class Marketplace(FusionModel):
    name: Code = Field(description="Marketplace (sales channel) name.")
    quickbooks_customer: Code | None = Field(
        None,
        description='The marketplace\'s "Quickbooks Customer" field (marketplace integration page).',
    )


class OrderRef(FusionModel):
    code: Code = Field(description="Code of the order this movement belongs to.")


# The fields a product carries wherever a document names it (set to None when absent).
ProductName = Annotated[Text | None, Field(description="Product name.")]
ProductObservations = Annotated[Text | None, Field(description="Product observations.")]


class ProductRef(FusionModel):
    """A product by its code, as a receiving or shipping row names it."""

    code: Code = Field(description="Product code; the QuickBooks item full name (`Parent:Child` allowed).")
    name: ProductName = None


class Product(ProductRef):
    """A product as an order row carries it: the reference, with its id and observations."""

    id: int | None = Field(None, description="Fusion Operations id of the product.")
    observations: ProductObservations = None


# --- Documents ----------------------------------------------------------------------------------------


class OrderRow(FusionModel):
    product: Product = Field(description="The product ordered.")
    quantity: Number = Field(gt=0, description="Quantity ordered (more than 0).")
    unit_price: Number | None = Field(None, ge=0, description="Price (or cost) per unit; 0 or more.")
    observations: Text | None = Field(None, description="Observations of this row.")


class MovementRow(FusionModel):
    product: ProductRef = Field(description="The product shipped or received.")
    quantity: Number = Field(gt=0, description="Quantity shipped or received (more than 0).")
    observations: Text | None = Field(None, description="Observations of this row (e.g. the lot).")


CustomFields = Annotated[
    dict[str, CustomValue],
    Field(default_factory=dict, description="Custom fields by name (names are case-sensitive)."),
]


# The fields every document has alike (set to None when absent: a default cannot sit in Annotated).
DocumentDate = Annotated[Day | None, Field(description="Document date.")]
OwnDocumentDate = Annotated[Day | None, Field(description="Document date, when it differs from `date`.")]
Observations = Annotated[Text | None, Field(description="Observations; the QuickBooks memo.")]
OrderRows = Annotated[list[OrderRow], Field(min_length=1, description="Products ordered; at least one.")]


class Order(FusionModel):
    """What a sales order and a purchase order share. Each adds who it is with and its own dates."""

    code: Code = Field(description="Sales or purchase order code.")
    document_date: DocumentDate = None
    due_date: Day | None = Field(
        None, description="Due date: delivery for a sales order, expected delivery for a purchase order."
    )
    observations: Observations = None
    rows: OrderRows
    custom_fields: CustomFields


class SalesOrder(Order):
    """A Fusion Operations sales order, sent to QuickBooks as a sales order."""

    client: ClientRef = Field(description="The client who ordered.")
    marketplace: Marketplace | None = Field(None, description="Marketplace the order came from.")
    created_at: Moment = Field(description="When the order was created in Fusion Operations.")
    transfer_date: Day | None = Field(None, description="Transfer date.")


class PurchaseOrder(Order):
    """A Fusion Operations purchase order, sent to QuickBooks as a purchase order."""

    supplier: SupplierRef = Field(description="The supplier ordered from.")
    created_at: Moment | None = Field(None, description="When the order was created in Fusion Operations.")


class Movement(FusionModel):
    """Goods moved against an order: what a receiving and a shipping share. Each adds its order."""

    code: Code = Field(description="Receiving or shipping code.")
    date: Day = Field(description="When the receiving or shipping was created in Fusion Operations.")
    document_date: OwnDocumentDate = None
    rows: list[MovementRow] = Field(min_length=1, description="Products received or shipped; at least one.")
    observations: Observations = None
    custom_fields: CustomFields


class Receiving(Movement):
    """Goods received against a purchase order, sent to QuickBooks as a bill for that purchase order."""

    purchase_order: OrderRef = Field(description="The purchase order received against.")


class Shipping(Movement):
    """Goods shipped for a sales order, sent to QuickBooks as an invoice for that sales order."""

    sales_order: OrderRef = Field(description="The sales order shipped.")


# --- Production orders and their time ------------------------------------------------------------------


class Worker(FusionModel):
    number: Code = Field(description="Worker number.")
    name: Code = Field(description="Worker name; the QuickBooks employee name.")


class Named(FusionModel):
    name: Code = Field(description="Name.")


def _minutes_or_iso(value: Any) -> Any:
    # A bare number is minutes (Fusion Operations reports labour in minutes); pydantic would read seconds.
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        try:
            minutes = float(value)
            if not math.isfinite(minutes):
                raise ValueError
            return dt.timedelta(minutes=minutes)
        except (OverflowError, ValueError):
            raise ValueError("give the duration in minutes, as a finite number") from None
    return value


def _positive(value: dt.timedelta) -> dt.timedelta:
    if value <= dt.timedelta(0):
        raise ValueError("the duration must be more than zero")
    return value


Duration = Annotated[dt.timedelta, BeforeValidator(_minutes_or_iso), AfterValidator(_positive)]


class TimeRecord(FusionModel):
    worker: Worker = Field(description="Who worked.")
    operation: Named = Field(description="The operation worked on.")
    section: Named = Field(description="The section (work centre) of the operation.")
    start_time: Moment = Field(description="Start of the work.")
    end_time: Moment | None = Field(None, description="End of the work; or give `duration`.")
    duration: Duration | None = Field(
        None, description="Time worked, in minutes or as ISO-8601 (`PT1H30M`); used when `endTime` is absent."
    )

    @field_validator("end_time")
    @classmethod
    def _after_start(cls, value: dt.datetime | None, info: ValidationInfo) -> dt.datetime | None:
        start = info.data.get("start_time")
        if value is not None and start is not None and value <= start:
            raise ValueError("endTime must be after startTime")
        return value

    @model_validator(mode="after")
    def _has_length(self) -> TimeRecord:
        if self.end_time is None and self.duration is None:
            raise ValueError("give endTime or duration")
        return self

    def worked(self) -> dt.timedelta:
        if self.end_time is not None:
            return self.end_time - self.start_time
        assert self.duration is not None
        return self.duration


class ProductionOrder(FusionModel):
    """A production order (job) whose time records become QuickBooks timesheet entries."""

    code: Code = Field(description="Production order (job) code.")
    description: Text | None = Field(None, description="Production order description.")
    client: ClientRef | None = Field(None, description="Client the order is produced for.")
    sales_order: OrderRef | None = Field(None, description="Sales order the order is produced for.")
    time_records: list[TimeRecord] = Field(min_length=1, description="Time worked; at least one record.")


# --- Inventory ----------------------------------------------------------------------------------------


class InventoryProduct(FusionModel):
    code: Code = Field(description="Product code; the QuickBooks item full name unless matched otherwise.")
    name: ProductName = None
    quantity: Number = Field(ge=0, description="Quantity in stock in Fusion Operations (0 or more).")
    tags: list[Text] = Field(default_factory=list, description="Product tags.")
    custom_fields: CustomFields
    observations: ProductObservations = None
    category: Text | None = Field(None, description="Product category.")


class InventorySend(FusionModel):
    """The stock of one or more products ("Send All Inventory to Quickbooks" or "Update Inventory in
    Quickbooks" for a single product, which may be sent as the product itself)."""

    products: list[InventoryProduct] = Field(min_length=1, description="Products; at least one.")
    # The article shows these options when sending; given here, they override the tenant's settings.
    adjustment_account: Code | None = Field(None, description="Adjustment account for this send.")
    adjustment_memo: Text | None = Field(None, description="Adjustment memo for this send.")

    @model_validator(mode="before")
    @classmethod
    def _single_product(cls, data: Any) -> Any:
        if isinstance(data, dict) and "products" not in data and "code" in data:
            return {"products": [data]}
        return data
