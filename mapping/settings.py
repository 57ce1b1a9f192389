"""A tenant's integration settings: every option of the help-center article, with its defaults.

Stored and exchanged as camelCase JSON. Unknown keys are refused (a mistyped option would otherwise be
silently ignored). Partial documents are merged into the current settings with :func:`merge_settings`;
combinations that cannot work are refused with the path of the option to change. Every option has a
bound (lengths, ranges), so nothing accepted here can fail later, where it is used.

A stored document that no longer validates (written by an older version with looser rules, or by
hand) never stops a tenant from working: :func:`read_stored_settings` drops each option that fails,
so its default applies, and reports and logs what it dropped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from mapping.fields import SafeText

log = logging.getLogger(__name__)

# QuickBooks custom field names (DataExtName) are at most 31 characters.
CUSTOM_FIELD_NAME_MAX = 31
# The article offers "QuickBook Custom field Name 1-3".
CUSTOM_FIELD_PAIRS_MAX = 3
# Fusion Operations limits names and codes to 255 characters.
FUSION_NAME_MAX = 255
# QuickBooks account full names (`Parent:Child`) are at most 159 characters, ListIDs at most 36.
ACCOUNT_FULL_NAME_MAX = 159
LIST_ID_MAX = 36
# QuickBooks memos (STRTYPE) hold at most 4095 characters.
MEMO_MAX = 4095
# IANA zone names are short ("America/Argentina/ComodRivadavia" is among the longest).
TIMEZONE_NAME_MAX = 64
# Automatic retrievals at most once a minute (the Web Connector polls no faster) and at least once a
# week: a larger interval would leave a company's documents behind for longer than anyone expects.
RETRIEVAL_INTERVAL_MINUTES_MAX = 7 * 24 * 60

TimesheetSource = Literal["orderCode", "orderDescription", "operationName", "sectionName"]


def shown(label: str, *flows: str) -> dict[str, Any]:
    """A setting's name as users see it (the integration page's) and the send flows it changes: what
    an explanation that offers it as a way out names (``mapping/explain.py``)."""
    return {"label": label, "flows": list(flows)}


_TIME = ("productionOrder",)
# "This option is allowed in the following flows: Sales Order to Sales Order, Purchase Order to
# Purchase order, Receiving to Bill, and Shipping to Invoice."
_CUSTOM = ("salesOrder", "purchaseOrder", "receiving", "shipping")


class SettingsModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class SendOptions(SettingsModel):
    enabled: bool = Field(True, description="The flow may be used.")
    automatic: bool = Field(False, description="Send as soon as Fusion Operations reports the entity.")


class InventorySendOptions(SettingsModel):
    # The article: the inventory trigger "can only be manual", so there is no `automatic` here.
    enabled: bool = Field(True, description="Inventory may be sent (manually or in bulk).")


class Sends(SettingsModel):
    sales_order: SendOptions = Field(default_factory=SendOptions)
    purchase_order: SendOptions = Field(default_factory=SendOptions)
    receiving: SendOptions = Field(default_factory=SendOptions)
    shipping: SendOptions = Field(default_factory=SendOptions)
    production_order: SendOptions = Field(default_factory=SendOptions)
    inventory: InventorySendOptions = Field(default_factory=InventorySendOptions)


class RetrievalOptions(SettingsModel):
    enabled: bool = Field(False, description="Retrieve these documents from QuickBooks.")
    automatic: bool = Field(False, description="Retrieve on a schedule instead of on request.")


class Retrievals(SettingsModel):
    # Titles are the article's names of the options ("Entity in QBD" → "Action in Fusion Operations").
    sales_order: RetrievalOptions = Field(
        default_factory=RetrievalOptions, title="Sales Order creates Sales Order"
    )
    purchase_order: RetrievalOptions = Field(
        default_factory=RetrievalOptions, title="Purchase Order creates Purchase Order"
    )
    invoice: RetrievalOptions = Field(default_factory=RetrievalOptions, title="Invoice creates Sales Order")
    estimate: RetrievalOptions = Field(default_factory=RetrievalOptions, title="Estimate creates Sales Order")


# A prefix is short: Fusion Operations codes hold 255 characters and QuickBooks numbers 11.
CODE_PREFIX_MAX = 20
# QuickBooks documents that become Fusion Operations sales orders, whose codes must not meet.
SALES_ORDER_SOURCES = ("salesOrder", "invoice", "estimate")


class RetrievedCodePrefixes(SettingsModel):
    """Put before the QuickBooks number to make a retrieved document's Fusion Operations code, so an
    invoice, an estimate and a sales order with the same number stay three orders."""

    sales_order: SafeText = Field(
        "", max_length=CODE_PREFIX_MAX, title="Sales Order", description="Prefix of retrieved sales orders."
    )
    purchase_order: SafeText = Field(
        "",
        max_length=CODE_PREFIX_MAX,
        title="Purchase Order",
        description="Prefix of retrieved purchase orders.",
    )
    invoice: SafeText = Field(
        "INV-", max_length=CODE_PREFIX_MAX, title="Invoice", description="Prefix of retrieved invoices."
    )
    estimate: SafeText = Field(
        "EST-", max_length=CODE_PREFIX_MAX, title="Estimate", description="Prefix of retrieved estimates."
    )

    @field_validator("sales_order", "purchase_order", "invoice", "estimate")
    @classmethod
    def _no_blanks_around(cls, value: str) -> str:
        if value != value.strip():
            raise ValueError("a code prefix cannot start or end with a blank (Fusion Operations trims codes)")
        return value


class CreateMissingItems(SettingsModel):
    enabled: bool = Field(
        False,
        description="Create missing items before a purchase order is sent.",
        json_schema_extra=shown("Create missing items", "purchaseOrder"),
    )
    income_account_id: SafeText | None = Field(
        None, max_length=LIST_ID_MAX, description="ListID of the account of created items."
    )
    income_account_full_name: SafeText | None = Field(
        None, max_length=ACCOUNT_FULL_NAME_MAX, description="Full name of the account of created items."
    )


class CustomFieldPair(SettingsModel):
    quickbooks: SafeText = Field(
        min_length=1, max_length=CUSTOM_FIELD_NAME_MAX, description="QuickBooks name."
    )
    fusion: SafeText = Field(
        min_length=1,
        max_length=FUSION_NAME_MAX,
        description="Fusion Operations custom field name (case-sensitive).",
    )


class Timesheets(SettingsModel):
    customer_job: TimesheetSource = Field(
        "orderCode",
        description="Source of the Customer:Job.",
        json_schema_extra=shown("Customer:Job", *_TIME),
    )
    service_item: TimesheetSource = Field(
        "operationName",
        description="Source of the service item.",
        json_schema_extra=shown("Service item", *_TIME),
    )
    payroll_item: TimesheetSource = Field(
        "sectionName",
        description="Source of the payroll item.",
        json_schema_extra=shown("Payroll item", *_TIME),
    )
    create_missing_employee: bool = Field(
        False,
        description="Create employees QuickBooks lacks.",
        json_schema_extra=shown("Create missing employee", *_TIME),
    )
    create_missing_customer_job: bool = Field(
        False,
        description="Create Customer:Jobs QuickBooks lacks.",
        json_schema_extra=shown("Create missing customer job", *_TIME),
    )
    billable: bool = Field(False, description='Send time entries as "Billable".')


class InventoryOptions(SettingsModel):
    adjustment_account: SafeText | None = Field(
        None,
        max_length=ACCOUNT_FULL_NAME_MAX,
        description="Full name of the adjustment account; required to send inventory.",
        json_schema_extra=shown("Adjustment Account", "inventory"),
    )
    adjustment_memo: SafeText = Field(
        "", max_length=MEMO_MAX, description="Memo of the inventory adjustments."
    )
    only_tagged_products: bool = Field(False, description="Send only products carrying `tag`.")
    tag: SafeText = Field(
        "Quickbooks",
        max_length=FUSION_NAME_MAX,
        description="The tag of products to send (case-insensitive).",
    )
    item_match_custom_field: SafeText | None = Field(
        None,
        max_length=FUSION_NAME_MAX,
        description="Product custom field whose value names the QuickBooks item.",
    )


# ASCII digits only: ``\d`` would take other scripts' digits, which no clock parser reads.
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


class SyncWindow(SettingsModel):
    start: SafeText = Field("19:00", description="Start of the synchronization interval (HH:MM, local time).")
    end: SafeText = Field("07:00", description="End of the synchronization interval (HH:MM, local time).")

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.fullmatch(value):
            raise ValueError("write the time as HH:MM on a 24-hour clock, e.g. 19:00")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> SyncWindow:
        if self.start == self.end:
            raise ValueError(
                "start and end are the same time; give different times or set syncWindow to null"
            )
        return self


def _problem(path: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(
        "settings_combination", "{path}: {message}", {"path": path, "message": message}
    )


class Settings(SettingsModel):
    """Every option of the integration page. Defaults are the article's ("Default", "Empty")."""

    sends: Sends = Field(default_factory=Sends)
    document_number: Literal["quickbooks", "orderCode"] = Field(
        "quickbooks", description="QuickBooks numbers documents, or the Fusion Operations code is used."
    )
    customer_name: Literal["customerCode", "marketplaceName", "marketplaceQuickbooksCustomer"] = Field(
        "customerCode",
        description="Where the QuickBooks customer name comes from.",
        json_schema_extra=shown("Quickbooks Customer Name", "salesOrder", "shipping"),
    )
    document_date: Literal["default", "documentDate", "synchronizationDate"] = Field(
        "default", description="Where the QuickBooks document date comes from."
    )
    ship_date: Literal["empty", "dueDate"] = Field("empty", description="Send the due date as ship date.")
    line_description: Literal["productName", "productObservations", "movementObservations"] = Field(
        "productName", description="What fills the QuickBooks line description."
    )
    create_missing_items: CreateMissingItems = Field(default_factory=CreateMissingItems)
    entity_code_custom_field: SafeText | None = Field(
        None,
        min_length=1,
        max_length=CUSTOM_FIELD_NAME_MAX,
        description="QuickBooks custom field that receives the Fusion Operations entity code.",
        json_schema_extra=shown("Save Fusion Operations Entity Code to Quickbooks Custom Field", *_CUSTOM),
    )
    custom_fields_to_quickbooks: list[CustomFieldPair] = Field(
        default_factory=list,
        description="Fusion Operations custom fields copied to QuickBooks (1-3).",
        json_schema_extra=shown("Save PS Custom Field to QB Field", *_CUSTOM),
    )
    timesheets: Timesheets = Field(default_factory=Timesheets)
    inventory: InventoryOptions = Field(default_factory=InventoryOptions)
    retrievals: Retrievals = Field(default_factory=Retrievals)
    timezone: SafeText = Field(
        "America/New_York", max_length=TIMEZONE_NAME_MAX, description="The company's IANA time zone."
    )
    sync_window: SyncWindow | None = Field(
        default_factory=SyncWindow, description="When automatic retrievals may run; null for any time."
    )
    retrieval_interval_minutes: int = Field(
        30,
        ge=1,
        le=RETRIEVAL_INTERVAL_MINUTES_MAX,
        description="Minutes between automatic retrievals (1 to 10080, a week).",
    )
    custom_field_from_quickbooks: CustomFieldPair | None = Field(
        None, description="QuickBooks custom field saved to a Fusion Operations custom field on retrieval."
    )
    ignore_category_names: bool = Field(
        False, description="Drop QuickBooks item categories from product codes on retrieval."
    )
    retrieved_code_prefixes: RetrievedCodePrefixes = Field(
        default_factory=RetrievedCodePrefixes,
        title="Fusion Operations Code of Retrieved Documents",
        description="Prefix put before the QuickBooks number, per QuickBooks document type.",
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a time zone; use an IANA name such as America/Chicago"
            ) from None
        return value

    @model_validator(mode="after")
    def _combinations(self) -> Settings:
        if self.custom_fields_to_quickbooks and self.entity_code_custom_field is None:
            raise _problem(
                "customFieldsToQuickbooks",
                'custom fields are copied only when "Save Fusion Operations Entity Code to Quickbooks Custom '
                'Field" is set: set entityCodeCustomField, or remove these pairs',
            )
        if len(self.custom_fields_to_quickbooks) > CUSTOM_FIELD_PAIRS_MAX:
            raise _problem(
                "customFieldsToQuickbooks",
                f"at most {CUSTOM_FIELD_PAIRS_MAX} custom fields can be copied; remove "
                f"{len(self.custom_fields_to_quickbooks) - CUSTOM_FIELD_PAIRS_MAX}",
            )
        items = self.create_missing_items
        if items.enabled and not (items.income_account_id or items.income_account_full_name):
            raise _problem(
                "createMissingItems",
                "creating missing items needs the account of the new items: set incomeAccountId or "
                "incomeAccountFullName",
            )
        if self.inventory.only_tagged_products and not self.inventory.tag.strip():
            raise _problem("inventory.tag", "onlyTaggedProducts needs the tag that marks the products")
        prefixes = self.retrieved_code_prefixes.model_dump(by_alias=True)
        for index, first in enumerate(SALES_ORDER_SOURCES):
            for second in SALES_ORDER_SOURCES[index + 1 :]:
                if prefixes[first] == prefixes[second]:
                    raise _problem(
                        f"retrievedCodePrefixes.{second}",
                        f"{second} and {first} both become Fusion Operations sales orders, so they need "
                        f"different prefixes (both are {prefixes[first]!r}), or the same number gives the "
                        "same code twice",
                    )
        return self


class SettingsError(ValueError):
    """Settings that cannot be saved; ``problems`` lists (camelCase path, message to the user)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))


def _deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            # Lists and null replace what was there: a list of pairs is one option, and null is a value
            # for nullable options (syncWindow: null means "any time", not "back to the default").
            merged[key] = value
    return merged


def _path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "settings"


def settings_errors(error: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for item in error.errors():
        if item["type"] == "settings_combination":
            problems.append((item["ctx"]["path"], item["ctx"]["message"]))
        elif item["type"] == "extra_forbidden":
            problems.append((_path(item["loc"]), "not a setting qbbridge knows; check the spelling"))
        else:
            problems.append((_path(item["loc"]), item["msg"].removeprefix("Value error, ")))
    return problems


def merge_settings(current: dict[str, Any] | None, patch: dict[str, Any]) -> Settings:
    """Apply a partial settings document (camelCase) to the stored one and validate the result.

    Nested objects merge key by key; lists and nulls replace. Raises :class:`SettingsError` naming
    each option to change.
    """
    if not isinstance(patch, dict):
        raise SettingsError([("settings", "send a JSON object of the settings to change")])
    base = current if current is not None else default_settings_document()
    try:
        return Settings.model_validate(_deep_merge(base, patch))
    except ValidationError as exc:
        raise SettingsError(settings_errors(exc)) from None


@dataclass(frozen=True, slots=True)
class StoredSettings:
    """A tenant's settings as they apply, and what of the stored document could not (path, message)."""

    settings: Settings
    problems: tuple[tuple[str, str], ...] = ()


# Each round drops at least one option, so this only bounds a document with very many broken options.
_MAX_REPAIRS = 100


def _drop_option(document: dict[str, Any], path: str) -> bool:
    """Remove the option ``path`` names from ``document`` so its default applies; False if none can be.

    A list is one option (``customFieldsToQuickbooks.0.fusion`` drops the whole list), and an object
    that lacks a required key is dropped whole (``customFieldFromQuickbooks.fusion`` missing).
    """
    node: Any = document
    holder: tuple[dict[str, Any], str] | None = None
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            break
        holder = (node, part)
        node = node[part]
    if holder is None:
        return False
    container, key = holder
    del container[key]
    return True


def read_stored_settings(document: Any, *, tenant_id: str | None = None) -> StoredSettings:
    """A tenant's stored settings (``None`` or ``{}``: never changed, so the defaults).

    An option that does not validate is dropped, so its default applies, and reported in
    ``problems``; a document that is not an object at all gives the defaults. Each problem document
    is logged once per process (with ``tenant_id`` when given), not at every read.
    """
    if not document:
        return StoredSettings(Settings())
    if not isinstance(document, dict):
        problems: list[tuple[str, str]] = [
            ("settings", "the stored settings are not a JSON object; every option has its default")
        ]
        _log_problems(document, problems, tenant_id)
        return StoredSettings(Settings(), tuple(problems))
    working = json.loads(json.dumps(document))  # a deep copy: the caller's document is not changed
    problems = []
    for _ in range(_MAX_REPAIRS):
        try:
            settings = Settings.model_validate(working)
        except ValidationError as exc:
            found = settings_errors(exc)
            problems.extend(found)
            dropped = [_drop_option(working, path) for path in dict.fromkeys(path for path, _ in found)]
            if not any(dropped):
                break
            continue
        if problems:
            _log_problems(document, problems, tenant_id)
        return StoredSettings(settings, tuple(problems))
    problems.append(("settings", "the stored settings could not be repaired; every option has its default"))
    _log_problems(document, problems, tenant_id)
    return StoredSettings(Settings(), tuple(problems))


# Digests of the problem documents already logged by this process (bounded by clearing).
_LOGGED: set[str] = set()


def _log_problems(document: Any, problems: list[tuple[str, str]], tenant_id: str | None) -> None:
    fingerprint = hashlib.sha256(f"{tenant_id}:{json.dumps(document, sort_keys=True)}".encode()).hexdigest()
    if fingerprint in _LOGGED:
        return
    if len(_LOGGED) >= _PARSED_MAX:
        _LOGGED.clear()
    _LOGGED.add(fingerprint)
    log.warning(
        "tenant %s: stored settings do not validate; the default applies to each option named: %s",
        tenant_id or "?",
        "; ".join(f"{path}: {message}" for path, message in problems),
    )


def stored_settings(document: Any, *, tenant_id: str | None = None) -> Settings:
    """The settings that apply for a stored document (see :func:`read_stored_settings`)."""
    return read_stored_settings(document, tenant_id=tenant_id).settings


# Parsed settings by their stored text. A send used to validate the whole document on every call
# (more than planning the send itself); tenants' settings change rarely, so the text is a good key.
# Bounded by clearing: the next calls simply parse again.
_PARSED: dict[str, Settings] = {}
_PARSED_MAX = 1024


def settings_from_text(document: str | None, *, tenant_id: str | None = None) -> Settings:
    """``stored_settings`` of a stored document given as JSON text (None: never changed).

    The same ``Settings`` object is returned for the same text: callers must not change it.
    """
    key = document or "{}"
    settings = _PARSED.get(key)
    if settings is None:
        try:
            parsed = json.loads(key)
        except ValueError:
            parsed = key  # not JSON: reported as "not a JSON object", the defaults apply
        settings = stored_settings(parsed, tenant_id=tenant_id)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[key] = settings
    return settings


def default_settings_document() -> dict[str, Any]:
    return Settings().model_dump(by_alias=True, mode="json")


def _setting_field(key: str) -> tuple[type[BaseModel], str]:
    """The model and field name of ``key`` (camelCase API path, ``timesheets.createMissingEmployee``);
    KeyError when there is no such setting."""
    model: type[BaseModel] = Settings
    parts = key.split(".")
    for index, part in enumerate(parts):
        _, name = _setting_field_of(model, part)
        if index == len(parts) - 1:
            return model, name
        annotation = model.model_fields[name].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            raise KeyError(f"{key}: {part} has no settings under it")
        model = annotation
    raise KeyError(key)


def setting_shown(key: str) -> dict[str, Any]:
    """``{"label": …, "flows": […]}`` of a setting an explanation may name; KeyError when it has none."""
    model, name = _setting_field(key)
    extra = model.model_fields[name].json_schema_extra
    if not isinstance(extra, dict) or "label" not in extra:
        raise KeyError(f"{key}: not a setting explanations name")
    return dict(extra)


def setting_label(key: str) -> str:
    return str(setting_shown(key)["label"])


def setting_value(settings: Settings, key: str) -> Any:
    node: Any = settings
    for part in key.split("."):
        node = getattr(node, _setting_field_of(type(node), part)[1])
    return node


def _setting_field_of(model: type[BaseModel], alias: str) -> tuple[type[BaseModel], str]:
    name = next((n for n, f in model.model_fields.items() if (f.alias or n) == alias), None)
    if name is None:
        raise KeyError(f"{alias}: no such setting in {model.__name__}")
    return model, name
