"""What every document flow plans alike: an order's lines from its rows, and the document's step
followed by its custom-field steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from mapping.entities import OrderRow
from mapping.flows.assembly import PlanBuilder
from mapping.flows.customfields import add_custom_field_steps
from mapping.flows.naming import line_description, line_description_path
from mapping.plan import PlannedStep
from mapping.settings import Settings
from requests_builder import Ref

Line = TypeVar("Line")


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


def add_document(
    builder: PlanBuilder,
    step: PlannedStep,
    fields: dict[str, str],
    *,
    settings: Settings,
    txn_type: str,
    code: str,
    custom_fields: dict[str, Any],
    noun: str,
) -> int:
    """The document's step, then the steps that set its custom fields (``add_custom_field_steps``);
    the document step's index."""
    document = builder.add(step, fields)
    add_custom_field_steps(
        builder,
        settings=settings,
        txn_type=txn_type,
        document_step=document,
        code=code,
        custom_fields=custom_fields,
        noun=noun,
    )
    return document

