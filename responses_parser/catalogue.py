"""What a QuickBooks status code or Web Connector HRESULT means, in words a bookkeeper can act on.

Each code maps to a :class:`Category` that tells the queue what to do (carry on, retry later, stop and
ask the user, or report our own bug) and to a plain-language text that quotes the object from
QuickBooks' own message and says what to do. Codes and meanings: Intuit's "Status codes in response
messages" table and observed messages (docs/qbxml.md lists the sources).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    SUCCESS = "success"
    NO_MATCH = "no_match"
    WARNING = "warning"
    RETRY_LATER = "retry_later"
    NEEDS_USER_ACTION = "needs_user_action"
    OUR_BUG = "our_bug"


@dataclass(frozen=True, slots=True)
class SettingMention:
    """A setting an explanation may name as a way out, given by the caller (which knows the flow and
    the tenant's settings): ``key`` is its API path (``createMissingItems.enabled``), ``label`` its
    name as users see it, ``turn_on`` whether the way out is to turn it on (else to choose another
    value). Rendered as ``turn on "Create missing items" (setting createMissingItems.enabled)``."""

    key: str
    label: str
    turn_on: bool = False


# The settings an explanation may offer, by the object type QuickBooks names ("Item", "Customer",
# "DataExt" for a custom field): the caller's, so the catalogue never names a setting on its own.
Remedies = Mapping[str, Sequence[SettingMention]]


@dataclass(frozen=True, slots=True)
class Explanation:
    category: Category
    code: str  # the statusCode as text ("3140") or the HRESULT ("0x80040400")
    text: str
    object_type: str | None = None  # e.g. "Item", from QuickBooks' message when it names one
    object_name: str | None = None  # e.g. "WIDGET-1"
    settings: tuple[SettingMention, ...] = ()  # the settings the text names


# Words for the object types QuickBooks names in its messages: (short, long).
_NOUNS = {
    "Customer": ("customer", "customer or job"),
    "Item": ("item", "item"),
    "Vendor": ("vendor", "vendor"),
    "Employee": ("employee", "employee"),
    # A time entry's EntityRef: an employee, a vendor or an "other name".
    "Entity": ("employee", "employee, vendor or other name"),
    "Account": ("account", "account"),
    "Class": ("class", "class"),
    "Terms": ("payment terms", "payment terms"),
    "SalesTaxCode": ("sales tax code", "sales tax code"),
    "ItemSalesTax": ("sales tax item", "sales tax item"),
    "SalesRep": ("sales rep", "sales rep"),
    "ShipMethod": ("shipping method", "shipping method"),
    "PayrollItemWage": ("payroll item", "payroll wage item"),
    "Template": ("form template", "form template"),
    "InventorySite": ("inventory site", "inventory site"),
    "PriceLevel": ("price level", "price level"),
}
# The object types a test (and a reader) can walk: every noun the catalogue knows.
OBJECT_TYPES = tuple(_NOUNS)

_TXN_WORDS = {
    "DataExt": "custom field",
    "SalesOrder": "sales order",
    "PurchaseOrder": "purchase order",
    "Invoice": "invoice",
    "Bill": "bill",
    "Estimate": "estimate",
    "TimeTracking": "time entry",
    "InventoryAdjustment": "inventory adjustment",
    "ItemReceipt": "item receipt",
}

_INVALID_REF = re.compile(
    r'invalid reference to QuickBooks (?P<type>[A-Za-z ]+?) "(?P<name>.*?)" in the (?P<where>\w+)'
)
_NAME_IN_USE = re.compile(r'The name "(?P<name>.*?)" of the list element is already in use')
_NOT_FOUND = re.compile(r'Object "(?P<name>.*?)" specified in the request cannot be found')
_SAVING = re.compile(
    r'error when (?:saving|modifying) an? (?P<type>[A-Za-z ]+?)(?: list)?, element "(?P<name>.*?)"'
)
_EDIT_SEQUENCE = re.compile(r'edit sequence "(?P<name>.*?)" is out-of-date')
_INVALID_VALUE = re.compile(r'The "(?P<field>.*?)" field has an invalid value "(?P<name>.*?)"')
_MISSING_ELEMENT = re.compile(r'required element \("(?P<name>.*?)"\) that could not be found')
_QB_DETAIL = re.compile(r"QuickBooks error message:\s*(?P<detail>.*)$", re.S)
_FIRST_QUOTED = re.compile(r'"(?P<name>[^"]*)"')
_BUSY = re.compile(r"another user|in use|could not be locked|lock", re.I)


def _quote(words: str) -> str:
    """``"words."`` as the end of a sentence: a full stop inside the quotes, added if it has none."""
    words = words.strip()
    return f'"{words}"' if words[-1:] in (".", "!", "?") else f'"{words}."'


def _detail(message: str) -> str:
    match = _QB_DETAIL.search(message)
    return f" QuickBooks said: {_quote(match.group('detail'))}" if match else ""


def _txn_word(request_type: str | None, where: str | None = None) -> str:
    for name in (where, request_type):
        if name:
            base = re.sub(r"(Add|Mod|Query|Del)(Rq|Rs)?$", "", name)
            if base in _TXN_WORDS:
                return _TXN_WORDS[base]
    return "record"


def _noun(object_type: str | None) -> tuple[str, str]:
    if object_type and object_type.replace(" ", "") in _NOUNS:
        return _NOUNS[object_type.replace(" ", "")]
    word = (object_type or "record").lower()
    return word, word


def _mentions(remedies: Remedies | None, object_type: str | None) -> tuple[SettingMention, ...]:
    if not remedies or not object_type:
        return ()
    return tuple(remedies.get(object_type.replace(" ", ""), ()))


def _ways_out(mentions: Sequence[SettingMention], created: str) -> str:
    """``, or turn on "A" (setting a) so qbbridge creates the item, or choose another "B" (setting b)``."""
    parts = []
    for mention in mentions:
        named = f'"{mention.label}" (setting {mention.key})'
        if mention.turn_on:
            parts.append(f"turn on {named} so qbbridge creates the {created}")
        else:
            parts.append(f"choose another {named}")
    return "".join(f", or {part}" for part in parts)


def _explain_invalid_reference(
    code: str, message: str, request_type: str | None, context: dict, remedies: Remedies | None
) -> Explanation:
    match = _INVALID_REF.search(message)
    object_type = match.group("type").strip() if match else context.get("object_type")
    name = match.group("name") if match else context.get("object_name")
    where = match.group("where") if match else None
    short, long_word = _noun(object_type)
    in_line = " line" if match and message[match.end() : match.end() + 5] == " line" else ""
    txn = _txn_word(request_type, where)
    mentions = _mentions(remedies, object_type)
    text = (
        f'QuickBooks has no {long_word} "{name}", which this {txn}{in_line} refers to. '
        f"Create the {short} in QuickBooks with exactly that name"
        + _ways_out(mentions, short)
        + (", or change the name in Fusion Operations" if not mentions else "")
        + ", then retry."
    )
    return Explanation(Category.NEEDS_USER_ACTION, code, text, object_type, name, mentions)


def _explain_not_found(
    code: str, message: str, request_type: str | None, context: dict, remedies: Remedies | None
) -> Explanation:
    """3120: an object the request names by ID or name is not in QuickBooks. For a custom field value
    (``DataExtAdd``/``DataExtMod``) it is the custom field's definition that is missing."""
    name = context.get("object_name") or _quoted(message, _NOT_FOUND) or "?"
    detail = _detail(message)
    if _txn_word(request_type) == "custom field":
        mentions = _mentions(remedies, "DataExt")
        text = (
            f'QuickBooks has no custom field "{name}" for this kind of record.{detail} Define the custom '
            "field in QuickBooks with exactly that name"
            + "".join(f', or choose another "{m.label}" (setting {m.key})' for m in mentions)
            + ", then retry."
        )
        return Explanation(Category.NEEDS_USER_ACTION, code, text, "DataExt", name, mentions)
    text = (
        f'QuickBooks cannot find "{name}"; it was probably deleted or merged in QuickBooks.{detail} '
        "Restore or recreate it in QuickBooks, then retry."
    )
    return Explanation(Category.NEEDS_USER_ACTION, code, text, context.get("object_type"), name)


def _quoted(message: str, pattern: re.Pattern[str]) -> str | None:
    match = pattern.search(message) or _FIRST_QUOTED.search(message)
    return match.group("name") if match else None


# code -> (category, text), grouped by category; texts may use {name}, {object}, {txn}, {detail}, {field}.
_BY_CATEGORY: dict[Category, dict[int, str]] = {
    Category.SUCCESS: {0: "Done."},
    Category.NO_MATCH: {1: "QuickBooks found nothing matching the query."},
    Category.WARNING: {
        500: (
            'Some of the requested records ("{name}") do not exist in QuickBooks; the others were returned. '
            "Check whether they were deleted or renamed in QuickBooks."
        ),
        501: "This QuickBooks version does not know part of the request; that part was skipped.",
        510: "QuickBooks saved the {txn} but could not return it. Check it in QuickBooks.",
        530: "This QuickBooks edition ignored a field we sent.{detail}",
        531: "This QuickBooks edition ignored a value it does not support.{detail}",
        550: "QuickBooks saved the {txn} but not its notes.{detail}",
        560: "QuickBooks accepted the request but reported a deprecated field.{detail}",
        570: (
            "QuickBooks saved the {txn} but could not link it to a closed transaction. Reopen that order in "
            "QuickBooks if the link matters, then retry."
        ),
        600: "QuickBooks had no saved state for this message set; it will be sent again.",
    },
    Category.RETRY_LATER: {
        1000: "QuickBooks had an internal error; qbbridge will retry at the next sync.{detail}",
        1010: "QuickBooks was not available; qbbridge will retry at the next sync.",
        **dict.fromkeys(
            (3175, 3176), "The record is locked by someone working in QuickBooks; qbbridge will retry."
        ),
        3200: (
            'The {txn} was changed in QuickBooks since qbbridge last read it (edit sequence "{name}"); '
            "qbbridge will retry at the next sync."
        ),
        3231: (
            "QuickBooks skipped this request because an earlier request in the same batch failed; "
            "it will be sent again once that one is resolved."
        ),
    },
    Category.OUR_BUG: {
        1030: "QuickBooks does not know this request type; qbbridge sent it by mistake.",
        1060: "The request ID qbbridge sent was invalid; this is a qbbridge problem.",
        3000: 'QuickBooks rejected the identifier "{name}" as malformed; this is a qbbridge problem.',
        # Values we wrote in a form QuickBooks does not accept.
        **{
            code: f"QuickBooks rejected {value}; this is a qbbridge problem.{{detail}}"
            for code, value in (
                (3010, "a true/false value"), (3020, "a date"), (3030, "a date range"),
                (3031, "a name range"), (3035, "a duration"),
            )
        },
        3070: 'A value was too long for QuickBooks ("{name}"); this is a qbbridge problem.{detail}',
        3150: "QuickBooks says a required field is missing; this is a qbbridge problem.{detail}",
    },
    Category.NEEDS_USER_ACTION: {
        3100: (
            'The name "{name}" is already used in QuickBooks, possibly by a customer, vendor, employee or '
            "other name of another type (QuickBooks names must be unique across them). "
            "Rename one of them in QuickBooks, then retry."
        ),
        3210: (
            'QuickBooks refused the value "{name}" for "{field}".{detail} Correct it in Fusion Operations or '
            "QuickBooks, then retry."
        ),
        3250: (
            "This feature is turned off or not available in this QuickBooks edition (for example sales "
            "orders need QuickBooks Premier or Enterprise, inventory needs "
            "Edit > Preferences > Items & Inventory).{detail}"
            " Turn it on in QuickBooks, then retry."
        ),
        3260: (
            "The QuickBooks user the Web Connector runs as lacks permission for this. "
            "In QuickBooks, give that user "
            "(or the integrated application) access, then retry.{detail}"
        ),
        3261: (
            "QuickBooks does not allow qbbridge to read personal data (such as SSNs or birth dates). "
            "Allow it under Edit > Preferences > Integrated Applications in QuickBooks, or leave those "
            "fields out."
        ),
    },
}
_FIXED: dict[int, tuple[Category, str]] = {
    code: (category, text) for category, texts in _BY_CATEGORY.items() for code, text in texts.items()
}


# Every status code with a text of its own (others fall back on Intuit's ranges: ``_by_range``).
STATUS_CODES = tuple(sorted({*_FIXED, 3120, 3140, 3170, 3180}))


def explain_status(
    status_code: int,
    status_message: str,
    *,
    severity: str = "Error",
    request_type: str | None = None,
    context: dict | None = None,
    remedies: Remedies | None = None,
) -> Explanation:
    """Explain one ``*Rs`` status. ``request_type`` (``"SalesOrderAdd"`` or ``"SalesOrderAddRs"``) and
    ``context`` (``object_type``/``object_name`` when the caller knows better) sharpen the text;
    ``remedies`` are the settings the text may offer as a way out (none by default)."""
    context = context or {}
    message = status_message or ""
    code = str(status_code)
    txn = _txn_word(request_type)
    if status_code == 3140:
        return _explain_invalid_reference(code, message, request_type, context, remedies)
    if status_code == 3120:
        return _explain_not_found(code, message, request_type, context, remedies)
    if status_code in (3170, 3180):
        match = _SAVING.search(message)
        object_type = match.group("type").strip() if match else context.get("object_type")
        name = match.group("name") if match else context.get("object_name")
        what = f'{_noun(object_type)[0]} "{name}"' if name else txn
        if _BUSY.search(message):
            return Explanation(
                Category.RETRY_LATER,
                code,
                f"QuickBooks could not save the {what} because someone else is editing it in QuickBooks; "
                "qbbridge will retry at the next sync.",
                object_type,
                name,
            )
        return Explanation(
            Category.NEEDS_USER_ACTION,
            code,
            f"QuickBooks refused to save the {what}.{_detail(message)} Fix this in QuickBooks (for example a "
            "closed accounting period or a required field), then retry.",
            object_type,
            name,
        )
    fixed = _FIXED.get(status_code)
    if fixed is not None:
        category, template = fixed
        pattern = {
            3100: _NAME_IN_USE,
            3200: _EDIT_SEQUENCE,
            3210: _INVALID_VALUE,
            500: _MISSING_ELEMENT,
        }.get(status_code, _FIRST_QUOTED)
        name = context.get("object_name") or _quoted(message, pattern) or "?"
        field_match = _INVALID_VALUE.search(message)
        text = template.format(
            name=name,
            txn=txn,
            detail=_detail(message),
            field=field_match.group("field") if field_match else "a field",
        )
        return Explanation(category, code, text, context.get("object_type"), None if name == "?" else name)
    return _by_range(status_code, message, severity, code)


def _by_range(status_code: int, message: str, severity: str, code: str) -> Explanation:
    # Codes QuickBooks may add later: fall back on Intuit's ranges and the severity it reports.
    quoted = f" QuickBooks said: {_quote(message)}" if message.strip() else ""
    if severity.lower() == "info" or 0 <= status_code < 500:
        return Explanation(Category.SUCCESS, code, "Done." + quoted)
    if severity.lower() == "warn" or 500 <= status_code < 1000:
        return Explanation(
            Category.WARNING, code, "QuickBooks processed the request with a warning." + quoted
        )
    if 1000 <= status_code < 3000 or 3000 <= status_code < 3100 or 9100 <= status_code < 9200:
        return Explanation(
            Category.OUR_BUG,
            code,
            "QuickBooks rejected the request as malformed; this is a qbbridge problem." + quoted,
        )
    return Explanation(
        Category.NEEDS_USER_ACTION,
        code,
        f"QuickBooks refused the request (status {status_code}).{quoted} "
        "Fix the cause in QuickBooks, then retry.",
    )


_HRESULTS: dict[str, tuple[Category, str]] = {
    "0x80040400": (
        Category.OUR_BUG,
        "QuickBooks could not read the request it was sent (not valid qbXML for this QuickBooks "
        "version). For a raw qbXML job, correct the document and queue it again; otherwise this is a "
        "qbbridge problem: contact support with the job ID.",
    ),
    "0x80040401": (
        Category.RETRY_LATER,
        "The Web Connector could not reach QuickBooks; it will retry at the next sync.",
    ),
    "0x80040402": (
        Category.RETRY_LATER,
        "QuickBooks hit an unexpected error; qbbridge will retry at the next sync.",
    ),
    "0x80040408": (
        Category.NEEDS_USER_ACTION,
        "The Web Connector could not start QuickBooks. "
        "Open QuickBooks with the company file on that computer "
        "(and close any dialog it shows), then run the Web Connector again.",
    ),
    "0x8004040d": (
        Category.RETRY_LATER,
        "The Web Connector session expired; a new one will start at the next sync.",
    ),
    "0x80040414": (
        Category.NEEDS_USER_ACTION,
        "QuickBooks is showing a window (a dialog) that must be closed before qbbridge can use it. "
        "On the QuickBooks computer, answer or close the open QuickBooks window, then run the Web "
        "Connector again.",
    ),
    "0x80040416": (
        Category.NEEDS_USER_ACTION,
        "QuickBooks is not running and no company file is set for unattended access. "
        "Open the company file in "
        "QuickBooks, or allow qbbridge to log in automatically under Edit > Preferences > Integrated "
        "Applications, then run the Web Connector again.",
    ),
    "0x80040420": (
        Category.NEEDS_USER_ACTION,
        "The QuickBooks user denied qbbridge access. In QuickBooks (as Admin, single-user mode) open Edit > "
        "Preferences > Integrated Applications > Company Preferences and allow qbbridge, then run the Web "
        "Connector again.",
    ),
}


# The HRESULTs the catalogue knows (a test walks them all).
HRESULTS = tuple(_HRESULTS)


def explain_hresult(hresult: str, message: str, *, opening: bool = False) -> Explanation:
    """Explain an HRESULT the Web Connector passes to ``receiveResponseXML``/``connectionError``.
    ``opening``: it came with ``connectionError`` (the Web Connector could not open QuickBooks at
    all), which words an unknown code differently."""
    raw = (hresult or "").strip()
    key = raw.lower()
    if key and not key.startswith("0x"):
        # Some clients send the HRESULT as a signed decimal.
        with contextlib.suppress(ValueError):
            key = hex(int(key) & 0xFFFFFFFF)
    quoted = f" The Web Connector said: {_quote(message)}" if message and message.strip() else ""
    known = _HRESULTS.get(key)
    if known is not None:
        return Explanation(known[0], raw or key, known[1] + quoted)
    if opening:
        return Explanation(
            Category.RETRY_LATER,
            raw or "?",
            "The Web Connector could not open QuickBooks." + quoted + " Check that QuickBooks and the "
            "company file open on that computer; the Web Connector will try again at the next sync.",
        )
    return Explanation(
        Category.RETRY_LATER,
        raw or "?",
        "The Web Connector reported an error talking to QuickBooks; qbbridge will retry at the next sync."
        + quoted,
    )
