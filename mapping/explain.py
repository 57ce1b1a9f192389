"""Plain-language explanations for the person who must act, from the error catalogue.

The catalogue (``responses_parser.catalogue``) knows every QuickBooks status code and Web Connector
hresult; this module is the one place the business side asks it, and decides what is transient and
which settings an explanation may offer as a way out. Those are decided when a send is planned, for
its flow, each request it sends and the tenant's settings (:func:`remedies_for`), and kept with the
step: an explanation names only a setting that exists and that would change the outcome of that flow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mapping.settings import Settings, setting_label, setting_value
from requests_builder import Request
from responses_parser.catalogue import Category, Explanation, SettingMention
from responses_parser.catalogue import explain_hresult as _catalogue_hresult
from responses_parser.catalogue import explain_status as _catalogue_status
from responses_parser.status import ResponseStatus
from responses_parser.stream import RsResult

# (flow, request type) -> the object type QuickBooks names -> settings that decide that object: a
# boolean is offered as "turn on" (while it is off), any other as "choose another".
_WAYS_OUT: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("salesOrder", "SalesOrderAdd"): {"Customer": ("customerName",)},
    ("purchaseOrder", "PurchaseOrderAdd"): {"Item": ("createMissingItems.enabled",)},
    ("productionOrder", "TimeTrackingAdd"): {
        "Employee": ("timesheets.createMissingEmployee",),
        "Entity": ("timesheets.createMissingEmployee",),
        "Customer": ("timesheets.createMissingCustomerJob", "timesheets.customerJob"),
        "Item": ("timesheets.serviceItem",),
        "PayrollItemWage": ("timesheets.payrollItem",),
    },
    ("inventory", "InventoryAdjustmentAdd"): {"Account": ("inventory.adjustmentAccount",)},
    **{
        (flow, "DataExtAdd"): {"DataExt": ("entityCodeCustomField", "customFieldsToQuickbooks")}
        for flow in ("salesOrder", "purchaseOrder", "receiving", "shipping")
    },
}

# A way out as kept with a step: {"Item": [{"key": "createMissingItems.enabled", "turnOn": true}]}.
StoredRemedies = Mapping[str, Sequence[Mapping[str, object]]]


def remedies_for(flow: str, request: Request, settings: Settings) -> dict[str, list[dict[str, object]]]:
    """The settings an explanation of this flow's ``request`` may offer, by object type: those that
    would change which object the request names, and that are not already what they offer."""
    remedies: dict[str, list[dict[str, object]]] = {}
    for object_type, keys in _WAYS_OUT.get((flow, type(request).__name__), {}).items():
        for key in keys:
            if object_type == "DataExt" and not _sets_custom_field(request, key, settings):
                continue
            value = setting_value(settings, key)
            if value is True or value is None or value == [] or value == "":
                # Already on (turning it on changes nothing), or not set (nothing to choose another of).
                continue
            remedies.setdefault(object_type, []).append({"key": key, "turnOn": value is False})
    return remedies


def _sets_custom_field(request: Request, key: str, settings: Settings) -> bool:
    """Whether the custom field this request sets is the one ``key`` names: the entity code's, or one
    of the copied pairs'."""
    name = getattr(request, "name", None)
    if key == "entityCodeCustomField":
        return name == settings.entity_code_custom_field
    return any(pair.quickbooks == name for pair in settings.custom_fields_to_quickbooks)


def _mentions(remedies: StoredRemedies | None) -> dict[str, list[SettingMention]]:
    return {
        object_type: [
            SettingMention(key=str(m["key"]), label=setting_label(str(m["key"])), turn_on=bool(m["turnOn"]))
            for m in mentions
        ]
        for object_type, mentions in (remedies or {}).items()
    }


def explanation_of(
    status_code: int,
    status_message: str,
    *,
    severity: str,
    request_type: str | None,
    remedies: StoredRemedies | None = None,
) -> Explanation:
    """The catalogue's explanation of a status, offering the settings of ``remedies`` (a step's)."""
    return _catalogue_status(
        status_code,
        status_message,
        severity=severity,
        request_type=request_type,
        remedies=_mentions(remedies),
    )


def explain_status(status: ResponseStatus | RsResult, remedies: StoredRemedies | None = None) -> str:
    """The catalogue's text for what QuickBooks said about one request, offering the settings of
    ``remedies`` (a step's)."""
    return status.explain(remedies=_mentions(remedies)).text


# QuickBooks reports "someone else has this open" under several codes; the message tells it apart
# from other errors with the same code (the phrases QuickBooks uses, as seen in real answers).
_IN_USE_CODES = frozenset({3170, 3175, 3176, 3180})
_IN_USE_PHRASES = (
    "modified by another user",
    "could not be locked",
    "failed to acquire the lock",
    "is in use",
    "in use by another user",
)


def is_retryable_status(status_code: int, status_message: str = "") -> bool:
    """Something is in use in QuickBooks (3170, 3175, 3176, 3180): the same request succeeds later."""
    if status_code in _IN_USE_CODES and any(p in status_message.lower() for p in _IN_USE_PHRASES):
        return True
    return _catalogue_status(status_code, status_message, severity="Error").category == Category.RETRY_LATER


def explain_hresult(hresult: str, message: str, *, opening: bool = False) -> str:
    # The code stays in the text: it is what support and Intuit's documentation go by.
    explanation = _catalogue_hresult(hresult, message, opening=opening)
    return f"{explanation.text} Web Connector error code: {explanation.code}."


def explain_connection_error(hresult: str, message: str) -> str:
    """What ``connectionError`` means: the Web Connector could not open QuickBooks."""
    return explain_hresult(hresult, message, opening=True)


def is_retryable_hresult(hresult: str, message: str = "") -> bool:
    return _catalogue_hresult(hresult, message).category == Category.RETRY_LATER
