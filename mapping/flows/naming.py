"""Names, numbers, dates and identities every flow derives the same way from the settings."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from mapping.entities import SalesOrder
from mapping.flows.context import PlanContext
from mapping.plan import PlanError
from mapping.settings import Settings

# Fixed forever: changing it would make every document sent before unfindable by reconciliation.
GUID_NAMESPACE = uuid.UUID("6f0b8a52-3c1e-5d4b-9a57-2f4e1c0d7b31")

# QuickBooks' RefNumber limits (qbxml-notes §4): 20 on bills (the vendor's invoice number), else 11.
REF_NUMBER_LIMIT = {"SalesOrder": 11, "PurchaseOrder": 11, "Invoice": 11, "Bill": 20}


def external_guid(tenant_id: str, flow: str, *parts: str) -> str:
    """The document's ExternalGUID: the same for the same tenant, flow and entity, so a document whose
    answer was lost can be found again."""
    name = "/".join((tenant_id, flow, *parts))
    return "{" + str(uuid.uuid5(GUID_NAMESPACE, name)).upper() + "}"


def local_day(moment: dt.datetime, settings: Settings) -> dt.date:
    """The calendar day of ``moment`` in the company's time zone (what the user calls that day)."""
    return moment.astimezone(ZoneInfo(settings.timezone)).date()


def document_date(
    settings: Settings, ctx: PlanContext, *, default: dt.date | None, document: dt.date | None
) -> dt.date | None:
    """TxnDate per the "Quickbooks Document Creation Date" option. ``default`` is the flow's own date
    (transfer date or creation date); a missing document date falls back to it."""
    if settings.document_date == "synchronizationDate":
        return local_day(ctx.now, settings)
    if settings.document_date == "documentDate" and document is not None:
        return document
    return default


def ref_number(settings: Settings, code: str, txn_type: str, noun: str) -> str | None:
    """RefNumber per "Quickbooks Document Number": QuickBooks numbers it, or the entity code is used."""
    if settings.document_number != "orderCode":
        return None
    limit = REF_NUMBER_LIMIT[txn_type]
    if len(code) > limit:
        raise PlanError(
            "code",
            f"the {noun} code {code!r} has {len(code)} characters but a QuickBooks {noun} number holds at "
            f'most {limit}: shorten the code, or set documentNumber to "quickbooks" so QuickBooks numbers it',
        )
    return code


def customer_name(order: SalesOrder, settings: Settings, prefix: str = "") -> tuple[str, str]:
    """The QuickBooks customer of a sales order per "Quickbooks Customer Name", and its payload path."""
    if settings.customer_name == "marketplaceName":
        if order.marketplace is None:
            raise PlanError(
                f"{prefix}marketplace.name",
                f"sales order {order.code} has no marketplace, and the customer name is set to come from "
                "the marketplace name: give the order a marketplace, or change customerName",
            )
        return order.marketplace.name, f"{prefix}marketplace.name"
    if settings.customer_name == "marketplaceQuickbooksCustomer":
        customer = order.marketplace.quickbooks_customer if order.marketplace else None
        if customer is None:
            raise PlanError(
                f"{prefix}marketplace.quickbooksCustomer",
                f'sales order {order.code} has no marketplace "Quickbooks Customer", and the customer name '
                'is set to come from it: fill "Quickbooks Customer" on the marketplace integration page, or '
                "change customerName",
            )
        return customer, f"{prefix}marketplace.quickbooksCustomer"
    return order.client.code, f"{prefix}client.code"


def line_description(
    settings: Settings,
    *,
    product_name: str | None,
    product_observations: str | None,
    row_observations: str | None,
) -> str | None:
    """The line Desc per "Quickbooks Item Line Description" (None lets QuickBooks use the item's)."""
    if settings.line_description == "productObservations":
        return product_observations or None
    if settings.line_description == "movementObservations":
        return row_observations or None
    return product_name or None


def line_description_path(settings: Settings, row_path: str) -> str:
    return {
        "productName": f"{row_path}.product.name",
        "productObservations": f"{row_path}.product.observations",
        "movementObservations": f"{row_path}.observations",
    }[settings.line_description]


def split_full_name(full_name: str) -> tuple[str | None, str]:
    """``Parent:Child:Leaf`` -> (``Parent:Child``, ``Leaf``): QuickBooks adds a list entry as its leaf
    name under its parent."""
    parent, _, leaf = full_name.rpartition(":")
    return (parent or None), leaf


def ancestors(full_name: str) -> list[str]:
    """Every level of a ``:`` path, top first: ``A:B:C`` -> ``A``, ``A:B``, ``A:B:C``."""
    parts = full_name.split(":")
    return [":".join(parts[: i + 1]) for i in range(len(parts))]
