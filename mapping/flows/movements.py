"""What receivings and shippings share: the order they belong to, and what QuickBooks copies from it.

A bill (invoice) is linked to the whole QuickBooks purchase order (sales order) with LinkToTxnID, and
QuickBooks pulls all of its open lines at their ordered quantities: partial bills and invoices are not
supported (FAQ 6), so we send no lines of our own and say so when the quantities moved differ.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TypeVar

from pydantic import ValidationError

from mapping.entities import Movement, MovementRow, Order, OrderRow
from mapping.flows.assembly import PlanBuilder
from mapping.flows.context import PlanContext
from mapping.flows.documents import DocumentKind
from mapping.plan import LinkInfo, LinkKey, PlanError
from mapping.settings import Settings

OrderModel = TypeVar("OrderModel", bound=Order)


def linked_order(
    ctx: PlanContext,
    entity: str,
    code: str,
    model: type[OrderModel],
    *,
    path: str,
    noun: str,
    movement: str,
    verb: str,
) -> tuple[LinkInfo, OrderModel]:
    """The link of the order a movement belongs to, and the order as it was sent. ``noun``: the order
    ("purchase order"), ``movement``: the entity sent ("receiving"), ``verb``: what its document does
    against the order ("bill")."""
    link = ctx.link_lookup(entity, code)
    if link is None:
        raise PlanError(
            path,
            f"{noun} {code} has not been sent to QuickBooks, so there is no {noun} there to {verb} this "
            f"{movement} against: send the {noun} first, then send this {movement} again",
        )
    try:
        order = model.model_validate(link.data)
    except ValidationError:
        raise PlanError(
            path,
            f"qbbridge has no record of what {noun} {code} contained when it was sent (it is "
            f"{link.status}); wait until it is in QuickBooks, or send it again, then retry",
        ) from None
    return link, order


def movement_builder(
    kind: DocumentKind,
    movement: Movement,
    order_key: LinkKey,
    order: Order,
    *,
    noun: str,
) -> PlanBuilder:
    """The plan of ``movement``: it waits for the link of its order (``order_key``, what a message
    calls a ``noun``) and warns of the quantities the document will not follow (:func:`quantity_warnings`)."""
    builder = PlanBuilder(kind.flow, LinkKey(kind.flow, movement.code))
    builder.plan.requires = [order_key]
    for warning in quantity_warnings(
        movement.rows, order.rows, noun=noun, code=order.code, document=kind.document
    ):
        builder.warn(warning)
    return builder


def quantity_warnings(
    movement_rows: list[MovementRow], order_rows: list[OrderRow], *, noun: str, code: str, document: str
) -> list[str]:
    """Products whose moved quantity differs from the ordered one: QuickBooks bills (invoices) the
    order's quantity regardless."""
    ordered: dict[str, Decimal] = defaultdict(Decimal)
    for row in order_rows:
        ordered[row.product.code] += row.quantity
    moved: dict[str, Decimal] = defaultdict(Decimal)
    for moved_row in movement_rows:
        moved[moved_row.product.code] += moved_row.quantity
    warnings = []
    for product, quantity in moved.items():
        if product not in ordered:
            warnings.append(
                f"rows: {product} is not on {noun} {code}; the {document} carries only what the {noun} "
                "ordered"
            )
        elif quantity != ordered[product]:
            warnings.append(
                f"rows: {quantity} of {product} moved but the {document} carries the {noun}'s full "
                f"{ordered[product]} (partial {document}s are not supported)"
            )
    for product, quantity in ordered.items():
        if product not in moved:
            warnings.append(
                f"rows: {product} is not in this movement but the {document} carries the {noun}'s full "
                f"{quantity} (partial {document}s are not supported)"
            )
    return warnings


def movement_memo(settings: Settings, observations: str | None, rows: list[MovementRow]) -> str | None:
    """The document memo: the movement's observations and, with "Shipping/Receiving Product
    Observations" as line description, each row's (the lines come from the order, so they cannot carry
    them)."""
    parts = [observations] if observations else []
    if settings.line_description == "movementObservations":
        parts += [f"{row.product.code}: {row.observations}" for row in rows if row.observations]
    return "\n".join(parts) or None
