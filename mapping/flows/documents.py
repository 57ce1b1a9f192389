"""What every document flow plans alike: the document (:func:`start_document`: whose it is, its number,
GUID and date; :class:`Document`: its request, then its step followed by its custom-field steps and the
plan's summary), and an order's lines from its rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from mapping.entities import Order, OrderRow
from mapping.flows.assembly import PlanBuilder
from mapping.flows.context import PlanContext
from mapping.flows.customfields import add_custom_field_steps
from mapping.flows.naming import (
    document_date,
    external_guid,
    line_description,
    line_description_path,
    ref_number,
)
from mapping.flows.reconcile import reconcile_document
from mapping.plan import Binding, LinkKey, Plan, PlannedStep
from mapping.settings import Settings
from requests_builder import Ref, Request

Line = TypeVar("Line")
Made = TypeVar("Made", bound=Request)


@dataclass(frozen=True, slots=True)
class DocumentKind:
    """What one document flow creates: ``flow`` (its name), the QuickBooks ``txn_type`` and what a
    message calls that document (``document``), the request field naming the other ``party``
    (``"customer"`` or ``"vendor"``), and ``noun``, what custom-field messages call the entity sent."""

    flow: str
    txn_type: str
    document: str
    party: str
    noun: str


class SentEntity(Protocol):
    """The entity a document flow sends, as far as its custom fields need it."""

    @property
    def code(self) -> str: ...

    @property
    def custom_fields(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Document:
    """The QuickBooks document a flow creates for ``entity``, as far as it is decided before its
    request: whose it is (``party``, the customer's or vendor's full name), its RefNumber (None:
    QuickBooks numbers it), its ExternalGUID and its TxnDate (None: QuickBooks dates it the day it
    saves it). :meth:`finish` plans it once its request is built."""

    kind: DocumentKind
    entity: SentEntity
    settings: Settings
    party: str
    ref_number: str | None
    external_guid: str
    txn_date: dt.date | None

    def fields(self, party: str) -> dict[str, str]:
        """Where the request's values come from in the payload (for messages): the party from the
        path ``party``, the number (when the entity code is used) and the memo as in every flow."""
        return {self.kind.party: party, "ref_number": "code", "memo": "observations"}

    def request(self, make: Callable[..., Made], **fields: Any) -> Made:
        """The document's request: ``make`` (its class) given the party, number, GUID and date, and
        ``fields``, the rest."""
        return make(
            **{self.kind.party: Ref(full_name=self.party)},
            txn_date=self.txn_date,
            ref_number=self.ref_number,
            external_guid=self.external_guid,
            **fields,
        )

    def finish(
        self,
        builder: PlanBuilder,
        request: Request,
        fields: dict[str, str],
        description: str,
        order: tuple[LinkKey, str] | None = None,
    ) -> Plan:
        """Add the document's step (found again by party, number and GUID; for a movement, ``order``:
        the link key and the code of the order it is linked to), its custom-field steps, and give the
        plan its summary."""
        link = None if order is None else order[0]
        step = PlannedStep(
            request=request,
            description=description,
            bindings=[] if link is None else [Binding(path="link_to_txn_ids.0", link=link)],
            reconcile=reconcile_document(
                self.kind.txn_type,
                party=self.party,
                guid=self.external_guid,
                ref_number=self.ref_number,
                order=link,
            ),
            creates_link=True,
        )
        document = builder.add(step, fields)
        add_custom_field_steps(
            builder,
            settings=self.settings,
            txn_type=self.kind.txn_type,
            document_step=document,
            code=self.entity.code,
            custom_fields=self.entity.custom_fields,
            noun=self.kind.noun,
        )
        builder.plan.summary = {
            self.kind.party: self.party,
            **({} if order is None else {order[0].entity: order[1]}),
            "refNumber": self.ref_number,
            "txnDate": self.txn_date.isoformat() if self.txn_date else None,
            "externalGuid": self.external_guid,
        }
        return builder.plan


def start_document(
    kind: DocumentKind,
    entity: SentEntity,
    party: str,
    ctx: PlanContext,
    settings: Settings,
    *,
    default: dt.date | None,
    document: dt.date | None,
) -> Document:
    """The document sent for ``entity``; ``default`` and ``document`` are the dates
    :func:`document_date` chooses from."""
    number = ref_number(settings, entity.code, kind.txn_type, kind.document)
    guid = external_guid(ctx.tenant_id, kind.flow, entity.code)
    txn_date = document_date(settings, ctx, default=default, document=document)
    return Document(kind, entity, settings, party, number, guid, txn_date)


def order_lines(
    settings: Settings,
    rows: list[OrderRow],
    line: Callable[..., Line],
    fields: dict[str, str],
) -> list[Line]:
    """One line per order row: the product, its description as the settings compose it, the quantity
    and the unit price; where each line's values come from is added to ``fields``."""
    lines = []
    for index, row in enumerate(rows):
        lines.append(
            line(
                item=Ref(full_name=row.product.code),
                desc=line_description(
                    settings,
                    product_name=row.product.name,
                    product_observations=row.product.observations,
                    row_observations=row.observations,
                ),
                quantity=row.quantity,
                rate=row.unit_price,
            )
        )
        fields[f"lines[{index}].item"] = f"rows[{index}].product.code"
        fields[f"lines[{index}].desc"] = line_description_path(settings, f"rows[{index}]")
        fields[f"lines[{index}].quantity"] = f"rows[{index}].quantity"
        fields[f"lines[{index}].rate"] = f"rows[{index}].unitPrice"
    return lines


def order_request(
    doc: Document,
    make: Callable[..., Made],
    line: Callable[..., Any],
    order: Order,
    fields: dict[str, str],
    **dates: dt.date | None,
) -> Made:
    """An order's request (``make``): a ``line`` per row (:func:`order_lines`), the order's
    observations as memo, and ``dates``."""
    lines = order_lines(doc.settings, order.rows, line, fields)
    return doc.request(make, memo=order.observations or None, lines=lines, **dates)
