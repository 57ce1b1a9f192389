"""Building a plan's requests before anything is queued, so what QuickBooks would refuse is refused now.

Bound fields are empty in a plan (they are filled when a session claims the step); here they get
placeholder values so the rest of the request can be checked by the builder.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from mapping.plan import Binding, Plan, PlanError, PlannedStep
from requests_builder import BuildError, BuildWarning, Request, build_message_set, request_from_dict

# The version planners check their requests at as they add them (PlanBuilder.add).
CHECK_VERSION = "13.0"

PLACEHOLDERS: dict[str, str] = {
    "txn_id": "0-0",
    "list_id": "0-0",
    "edit_sequence": "0",
    "ref_number": "0",
    "full_name": "placeholder",
}


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path of a request's ``to_dict()`` form, creating objects and list slots on the way."""
    parts = path.split(".")
    node: Any = data
    for part, following in zip(parts, [*parts[1:], None], strict=True):
        last = following is None
        empty: Any = [] if following is not None and following.isdigit() else {}
        if isinstance(node, list):
            index = int(part)
            while len(node) <= index:
                node.append(None)
            if last:
                node[index] = value
            else:
                if node[index] is None:
                    node[index] = empty
                node = node[index]
        else:
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, empty)


def with_placeholders(request: Request, bindings: list[Binding]) -> Request:
    if not bindings:
        return request
    data = request.to_dict()
    for binding in bindings:
        set_path(data, binding.path, PLACEHOLDERS[binding.field])
    return request_from_dict(data)


def _entity_path(builder_field: str, fields: Mapping[str, str]) -> str | None:
    # "SalesOrderAdd.lines[0].item.full_name" -> "lines[0].item.full_name" -> longest mapped prefix.
    _, _, inner = builder_field.partition(".")
    best: str | None = None
    for prefix in fields:
        if (inner == prefix or inner.startswith(prefix + ".")) and (best is None or len(prefix) > len(best)):
            best = prefix
    return fields[best] if best is not None else None


def _plan_error(exc: BuildError, fields: Mapping[str, str], where: str) -> PlanError:
    path = _entity_path(exc.field, fields)
    message = exc.message
    if exc.limit is not None:
        message += f" (limit: {exc.limit})"
    if exc.value is not None:
        # A number as written (0.000001, 1E+400), not as Python shows it (Decimal('0.000001')).
        shown = str(exc.value) if isinstance(exc.value, Decimal | int | float) else repr(exc.value)
        message += f"; value: {shown if len(shown) <= 80 else shown[:77] + '...'}"
    if path is not None:
        return PlanError(
            path, f"{message}. Change it in Fusion Operations so QuickBooks accepts it, then send again"
        )
    return PlanError(f"{where}.{exc.field}", message)


def check_step(
    step: PlannedStep,
    fields: Mapping[str, str] | None = None,
    *,
    version: str = CHECK_VERSION,
    where: str = "steps",
) -> list[str]:
    """Build the step's request (and its reconcile query); return the builder's warnings, naming the
    payload field through ``fields`` (request path prefix -> payload path) where one is known."""
    fields = fields or {}
    try:
        result = build_message_set([with_placeholders(step.request, step.bindings)], version=version)
        if step.reconcile is not None:
            for lookup in step.reconcile.lookups:
                build_message_set([with_placeholders(lookup.query, lookup.bindings)], version=version)
    except BuildError as exc:
        raise _plan_error(exc, fields, where) from None
    step.checked = (version, result.warnings)
    return [_warning_text(warning, fields) for warning in result.warnings]


def _warning_text(warning: BuildWarning, fields: Mapping[str, str]) -> str:
    return f"{_entity_path(warning.field, fields) or warning.field}: {warning.message}"


def _of_step(index: int, step: PlannedStep, text: str) -> str:
    return f"step {index + 1} ({step.description}): {text}"


def validate_plan(plan: Plan, version: str = "13.0") -> list[str]:
    """Build every step as it would be sent to a host of ``version``; return the warnings (text that
    will be changed to fit QuickBooks, fields the version lacks) and raise PlanError for what cannot be
    sent. Used by the dry run."""
    return [
        _of_step(index, step, warning)
        for index, step in enumerate(plan.steps)
        for warning in check_step(step, version=version, where=f"steps[{index}]")
    ]


def planned_warnings(plan: Plan, version: str) -> list[str]:
    """``validate_plan(plan, version)`` for a plan its planner has just built, without building each
    request a second time when the planner already built it at ``version``: the same request at the
    same version builds the same way, so its recorded warnings are the ones a new build would give.
    Only for a plan nothing has changed since it was planned (``queue_send``)."""
    recorded: list[list[BuildWarning]] = []
    for step in plan.steps:
        if step.checked is None or step.checked[0] != version:
            return validate_plan(plan, version)
        recorded.append(step.checked[1])
    return [
        _of_step(index, step, _warning_text(warning, {}))
        for index, (step, warnings) in enumerate(zip(plan.steps, recorded, strict=True))
        for warning in warnings
    ]
