"""Every setting of the integration as a form, grouped and worded as the spec's help-center article
groups and words them, with each option's default from ``mapping.settings``.

A form field is named by the option's path in the settings document (``syncWindow.start``,
``customFieldsToQuickbooks.0.fusion``), so a problem ``merge_settings`` reports is shown beside the
field it names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mapping.settings import CUSTOM_FIELD_PAIRS_MAX, Settings, SettingsError, merge_settings

SOURCES = {
    "orderCode": "Production Order / Job Code",
    "orderDescription": "Production Order / Job Description",
    "operationName": "Operation Name",
    "sectionName": "Section Name",
}


@dataclass(frozen=True, slots=True)
class Field:
    path: str
    label: str
    kind: str  # "bool", "choice", "text", "number"
    help: str = ""
    choices: dict[str, str] = field(default_factory=dict)
    # Blank means "not set" (null) rather than an empty text.
    nullable: bool = False


@dataclass(frozen=True, slots=True)
class Group:
    title: str
    intro: str
    fields: tuple[Field, ...]


def _flow(key: str, label: str, *, automatic: bool = True) -> tuple[Field, ...]:
    on = Field(f"sends.{key}.enabled", f"{label}: on", "bool")
    if not automatic:
        return (on,)
    return on, Field(
        f"sends.{key}.automatic",
        f"{label}: automatic",
        "bool",
        "Send as soon as Fusion Operations reports it.",
    )


def _retrieval(key: str, label: str) -> tuple[Field, ...]:
    return (
        Field(f"retrievals.{key}.enabled", f"{label}: on", "bool"),
        Field(
            f"retrievals.{key}.automatic",
            f"{label}: automatic",
            "bool",
            "Synced every interval, inside the synchronization interval.",
        ),
    )


GROUPS: tuple[Group, ...] = (
    Group(
        "Send from Fusion Operations to QuickBooks Desktop",
        "The flows from Fusion Operations to QuickBooks Desktop, manual and/or automatic.",
        (
            *_flow("salesOrder", "Sales Order creates Sales Order"),
            *_flow("purchaseOrder", "Purchase Order creates Purchase order"),
            *_flow("receiving", "Receiving creates Bill"),
            *_flow("shipping", "Shipping creates Invoice"),
            *_flow("productionOrder", "Production Order creates Timesheet Entry"),
            *_flow("inventory", "Inventory updates Inventory", automatic=False),
        ),
    ),
    Group(
        "Retrieve from QuickBooks Desktop/Enterprise to Fusion Operations",
        "Orders modified or created in QuickBooks become Fusion Operations orders (all but cancelled ones).",
        (
            *_retrieval("salesOrder", "Sales Order creates Sales Order"),
            *_retrieval("purchaseOrder", "Purchase Order creates Purchase Order"),
            *_retrieval("invoice", "Invoice creates Sales Order"),
            *_retrieval("estimate", "Estimate creates Sales Order"),
            Field(
                "retrievalIntervalMinutes",
                "Minutes between automatic retrievals",
                "number",
                "1 to 10080 (a week).",
            ),
            Field("retrievedCodePrefixes.salesOrder", "Code prefix of retrieved sales orders", "text"),
            Field("retrievedCodePrefixes.purchaseOrder", "Code prefix of retrieved purchase orders", "text"),
            Field("retrievedCodePrefixes.invoice", "Code prefix of retrieved invoices", "text"),
            Field("retrievedCodePrefixes.estimate", "Code prefix of retrieved estimates", "text"),
        ),
    ),
    Group(
        "Synchronization Interval Start and End Time",
        "The time interval in which orders sync from QuickBooks Desktop to Fusion Operations; the automatic "
        "option needs to be active for the synchronization to take place.",
        (
            Field("syncWindow.anyTime", "Any time of day (no interval)", "bool"),
            Field("syncWindow.start", "Synchronization Interval Start Time", "text", "HH:MM, 24-hour clock."),
            Field("syncWindow.end", "Synchronization Interval End Time", "text", "HH:MM, 24-hour clock."),
            Field("timezone", "Time zone of the company", "text", "An IANA name such as America/Chicago."),
        ),
    ),
    Group(
        "Create Timesheet Entry settings",
        "How timesheet entries are created in QuickBooks Desktop from Fusion Operations' data.",
        (
            Field(
                "timesheets.customerJob",
                "Customer:Job",
                "choice",
                "Used to determine how to populate the customer:job in QBD in case it is not found.",
                SOURCES,
            ),
            Field(
                "timesheets.serviceItem",
                "Service item",
                "choice",
                "Used to populate the service item in QBD.",
                SOURCES,
            ),
            Field(
                "timesheets.payrollItem",
                "Payroll item",
                "choice",
                "Used to populate the payroll item in QBD.",
                SOURCES,
            ),
            Field(
                "timesheets.createMissingEmployee",
                "Create missing employee",
                "bool",
                "Creates employees that aren't found in QBD, named after the worker.",
            ),
            Field(
                "timesheets.createMissingCustomerJob",
                "Create missing customer job",
                "bool",
                'Creates the customer job as chosen in "Customer:Job".',
            ),
            Field("timesheets.billable", 'Set "Billable" to true when submitting time entries', "bool"),
        ),
    ),
    Group(
        "Inventory Sync options",
        "Sending inventory from Fusion Operations to QuickBooks Desktop (always manual).",
        (
            Field(
                "inventory.adjustmentAccount",
                "Adjustment Account",
                "text",
                "Required to send inventory: the account that tracks your adjustments.",
                nullable=True,
            ),
            Field(
                "inventory.adjustmentMemo",
                "Adjustment Memo",
                "text",
                "Comment added on the inventory adjustment records.",
            ),
            Field(
                "inventory.onlyTaggedProducts",
                "Only Sync the Inventory for products marked with the Quickbooks Tag",
                "bool",
            ),
            Field("inventory.tag", "The tag", "text", "Case-insensitive."),
            Field(
                "inventory.itemMatchCustomField",
                "Custom field to match quickbooks item",
                "text",
                "Product custom field whose value names the QBD item.",
                nullable=True,
            ),
        ),
    ),
    Group(
        "Additional options",
        "",
        (
            Field(
                "createMissingItems.enabled",
                "Create missing items",
                "bool",
                "Creates missing products in QuickBooks Desktop for purchase orders.",
            ),
            Field("createMissingItems.incomeAccountId", "IncomeAccountId", "text", nullable=True),
            Field("createMissingItems.incomeAccountFullName", "IncomeAccountFullName", "text", nullable=True),
            Field(
                "lineDescription",
                "Quickbooks Item Line Description",
                "choice",
                choices={
                    "productName": "Product Name",
                    "productObservations": "Product Observations",
                    "movementObservations": "Shipping/Receiving Product Observations",
                },
            ),
            Field(
                "documentNumber",
                "Quickbooks Document Number",
                "choice",
                choices={"quickbooks": "QBD generated (sequential) - Default", "orderCode": "Order Code"},
            ),
            Field(
                "customerName",
                "Quickbooks Customer Name",
                "choice",
                choices={
                    "customerCode": "Empty (=customer code) - Default",
                    "marketplaceName": "Marketplace Name",
                    "marketplaceQuickbooksCustomer": "QB Customer Custom Field",
                },
            ),
            Field(
                "documentDate",
                "Quickbooks Document Creation Date",
                "choice",
                choices={
                    "default": "Empty (=Transfer Date or Creation Date)",
                    "documentDate": "Document Date",
                    "synchronizationDate": "Synchronization Date",
                },
            ),
            Field(
                "shipDate",
                "QuickBooks Document Ship Date",
                "choice",
                choices={"empty": "Empty (nothing will be sent)", "dueDate": "Due Date"},
            ),
            Field(
                "customFieldFromQuickbooks.quickbooks",
                "Save QBD Custom Field to Fusion Operations Custom Field: QuickBooks Custom Field Name",
                "text",
            ),
            Field(
                "customFieldFromQuickbooks.fusion",
                "Save QBD Custom Field to Fusion Operations Custom Field: "
                "Fusion Operations Custom Field Name",
                "text",
            ),
            Field("ignoreCategoryNames", "Ignore Category Names on Products Import", "bool"),
            Field(
                "entityCodeCustomField",
                "Save Fusion Operations Entity Code to Quickbooks Custom Field",
                "text",
                "The QuickBooks custom field name.",
                nullable=True,
            ),
            *(
                item
                for n in range(CUSTOM_FIELD_PAIRS_MAX)
                for item in (
                    Field(
                        f"customFieldsToQuickbooks.{n}.quickbooks",
                        f"Save PS Custom Field to QB Field: QuickBook Custom field Name {n + 1}",
                        "text",
                    ),
                    Field(
                        f"customFieldsToQuickbooks.{n}.fusion",
                        f"Save PS Custom Field to QB Field: Fusion Operations Custom Field Name {n + 1}",
                        "text",
                        "Case sensitive.",
                    ),
                )
            ),
        ),
    ),
)
FIELDS = {item.path: item for group in GROUPS for item in group.fields}
TEXT_MAX = 5000


def form_values(settings: Settings) -> dict[str, Any]:
    """The form's value of every field, from the settings that apply."""
    document = settings.model_dump(mode="json", by_alias=True)
    values: dict[str, Any] = {}
    for path, item in FIELDS.items():
        if path == "syncWindow.anyTime":
            values[path] = document["syncWindow"] is None
            continue
        node: Any = document
        for part in path.split("."):
            if isinstance(node, list):
                index = int(part)
                node = node[index] if index < len(node) else None
            elif isinstance(node, dict):
                node = node.get(part)
            else:
                node = None
        if node is None and path.startswith("syncWindow."):
            node = Settings().sync_window.model_dump(by_alias=True)[path.split(".")[1]]  # type: ignore[union-attr]
        values[path] = node if node is not None else ("" if item.kind != "bool" else False)
    return values


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = document
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def document_from_form(form: dict[str, Any]) -> dict[str, Any]:
    """The whole settings document the posted form describes (every field: the form shows them all)."""
    document: dict[str, Any] = {}
    for path, item in FIELDS.items():
        raw = form.get(path)
        raw = raw[-1] if isinstance(raw, list) else raw
        if item.kind == "bool":
            value: Any = raw is not None
        else:
            value = str(raw if raw is not None else "")[:TEXT_MAX]
            if item.kind == "number":
                value = value.strip()
            elif item.nullable and not value.strip():
                value = None
        if path.startswith(("customFieldsToQuickbooks.", "customFieldFromQuickbooks.", "syncWindow.")):
            continue
        _set(document, path, value)
    pairs = []
    for n in range(CUSTOM_FIELD_PAIRS_MAX):
        quickbooks = str(form.get(f"customFieldsToQuickbooks.{n}.quickbooks") or "")[:TEXT_MAX]
        fusion = str(form.get(f"customFieldsToQuickbooks.{n}.fusion") or "")[:TEXT_MAX]
        if quickbooks.strip() or fusion.strip():
            pairs.append({"quickbooks": quickbooks, "fusion": fusion})
    document["customFieldsToQuickbooks"] = pairs
    quickbooks = str(form.get("customFieldFromQuickbooks.quickbooks") or "")[:TEXT_MAX]
    fusion = str(form.get("customFieldFromQuickbooks.fusion") or "")[:TEXT_MAX]
    document["customFieldFromQuickbooks"] = (
        {"quickbooks": quickbooks, "fusion": fusion} if quickbooks.strip() or fusion.strip() else None
    )
    if form.get("syncWindow.anyTime") is not None:
        document["syncWindow"] = None
    else:
        document["syncWindow"] = {
            "start": str(form.get("syncWindow.start") or "")[:TEXT_MAX],
            "end": str(form.get("syncWindow.end") or "")[:TEXT_MAX],
        }
    return document


def field_for(path: str) -> str | None:
    """The form field a problem's path names (or the nearest one that holds it)."""
    parts = path.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in FIELDS:
            return candidate
        for known in FIELDS:
            if known.startswith(candidate + "."):
                return known
        parts.pop()
    return None


@dataclass
class Outcome:
    settings: Settings | None
    errors: dict[str, list[str]]
    unplaced: list[str]


def validate(current: dict[str, Any], form: dict[str, Any]) -> Outcome:
    try:
        return Outcome(merge_settings(current, document_from_form(form)), {}, [])
    except SettingsError as exc:
        errors: dict[str, list[str]] = {}
        unplaced = []
        for path, message in exc.problems:
            target = field_for(path)
            if target is None:
                unplaced.append(f"{path}: {message}")
            else:
                errors.setdefault(target, []).append(message)
        return Outcome(None, errors, unplaced)


def changes(before: Settings, after: Settings) -> list[tuple[str, Any, Any]]:
    """(label, old value, new value) of every field the save changed, in the form's order."""
    old, new = form_values(before), form_values(after)
    return [(FIELDS[path].label, old[path], new[path]) for path in FIELDS if old[path] != new[path]]
