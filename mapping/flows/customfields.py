"""Custom field steps: the entity code and the mapped custom fields, set on the document just created.

QuickBooks custom fields that a user sees (OwnerID 0) can only be defined for customers, vendors,
employees and items; sales and purchase documents inherit them from their customer or vendor. A
definition cannot be attached to a transaction type, so we never send DataExtDefAdd: the user defines the
field in QuickBooks (the article asks them to "identify the custom field name in QBD"), and a missing
definition fails the step with QuickBooks' explained error.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mapping.flows.assembly import PlanBuilder
from mapping.plan import Binding, PlanError, PlannedStep
from mapping.settings import Settings
from requests_builder import DataExtAdd

# Custom fields a QuickBooks user sees are STR255TYPE.
VALUE_MAX = 255


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | float):
        return format(Decimal(str(value)).normalize(), "f")
    return str(value).strip() or None


def add_custom_field_steps(
    builder: PlanBuilder,
    *,
    settings: Settings,
    txn_type: str,
    document_step: int,
    code: str,
    custom_fields: dict[str, Any],
    noun: str,
) -> None:
    """After the document step: the entity code, then each mapped custom field the entity has."""
    if settings.entity_code_custom_field is None:
        return
    values: list[tuple[str, str, str]] = [(settings.entity_code_custom_field, code, "code")]
    for pair in settings.custom_fields_to_quickbooks:
        path = f"customFields.{pair.fusion}"
        if pair.fusion not in custom_fields:
            builder.warn(
                f"{path}: {noun} {code} has no custom field {pair.fusion!r} (names are case-sensitive), so "
                f"QuickBooks custom field {pair.quickbooks!r} is left empty"
            )
            continue
        text = _text(custom_fields[pair.fusion])
        if text is None:
            builder.warn(f"{path}: empty, so QuickBooks custom field {pair.quickbooks!r} is left empty")
            continue
        if len(text) > VALUE_MAX:
            raise PlanError(
                path,
                f"{len(text)} characters, but a QuickBooks custom field holds at most {VALUE_MAX}: "
                "shorten it",
            )
        values.append((pair.quickbooks, text, path))
    for name, value, path in values:
        step = PlannedStep(
            request=DataExtAdd(owner_id="0", name=name, txn_data_ext_type=txn_type, value=value),
            description=f'Set custom field "{name}" of the {noun} {code} to {value!r}',
            purpose="custom_field",
            bindings=[Binding(path="txn_id", step=document_step)],
        )
        builder.add(step, {"value": path})
