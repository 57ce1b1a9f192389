"""qbXML status codes and QuickBooks' own wording for them.

The texts follow what real QuickBooks returns (see docs/simulator.md for sources): two spaces after
sentences and the trailing space of 3200 are QuickBooks' own.
"""

from __future__ import annotations

OK = 0
NO_MATCH = 1
PARTIAL = 500
NAME_IN_USE = 3100
NOT_FOUND = 3120
INVALID_REFERENCE = 3140
SAVE_ERROR = 3180
STALE_EDIT_SEQUENCE = 3200
INVALID_VALUE = 3210
NOT_PROCESSED = 3231
NOT_AVAILABLE = 3250
NO_PERMISSION = 3260

PARSE_HRESULT = "0x80040400"
PARSE_MESSAGE = "QuickBooks found an error when parsing the provided XML text stream."
COULD_NOT_START_HRESULT = "0x80040408"
COULD_NOT_START_MESSAGE = "Could not start QuickBooks."
DENIED_HRESULT = "0x80040420"
DENIED_MESSAGE = "The QuickBooks user has denied access."
DIALOG_HRESULT = "0x80040414"
DIALOG_MESSAGE = (
    "A modal dialog box is showing in the QuickBooks user interface. Your application cannot access "
    "QuickBooks until the user dismisses the dialog box."
)


def no_permission() -> QBStatus:
    return QBStatus(NO_PERMISSION, "Insufficient permission level to perform this action.")


# QuickBooks' own reason when a ListID, TxnID or name matches no record.
_RECORD_MISSING = "Invalid argument.  The specified record does not exist in the list."


def severity(code: int) -> str:
    if code < 500:
        return "Info"
    if code < 1000:
        return "Warn"
    return "Error"


def is_error(code: int) -> bool:
    return severity(code) == "Error"


class QBStatus(Exception):
    """A request-level outcome other than success; becomes the *Rs status attributes."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def status_ok() -> tuple[int, str]:
    return OK, "Status OK"


def no_match() -> QBStatus:
    return QBStatus(NO_MATCH, "A query request did not find a matching object in QuickBooks")


def partial(missing: str) -> QBStatus:
    return QBStatus(
        PARTIAL,
        "The query request has not been fully completed. There was a required element "
        f'("{missing}") that could not be found in QuickBooks.',
    )


def name_in_use(name: str) -> QBStatus:
    return QBStatus(NAME_IN_USE, f'The name "{name}" of the list element is already in use.')


def _with_reason(code: int, what: str, reason: str) -> QBStatus:
    """QuickBooks' two-part wording: what went wrong, then its own error message (two spaces apart)."""
    return QBStatus(code, f"{what}  QuickBooks error message: {reason}")


def not_found(ident: str) -> QBStatus:
    what = f'Object "{ident}" specified in the request cannot be found.'
    return _with_reason(NOT_FOUND, what, _RECORD_MISSING)


def invalid_reference(kind: str, name: str, where: str) -> QBStatus:
    what = f'There is an invalid reference to QuickBooks {kind} "{name}" in the {where}.'
    return _with_reason(INVALID_REFERENCE, what, _RECORD_MISSING)


def stale_edit_sequence(edit_sequence: str) -> QBStatus:
    return QBStatus(STALE_EDIT_SEQUENCE, f'The provided edit sequence "{edit_sequence}" is out-of-date. ')


def in_use(kind: str) -> QBStatus:
    return save_error(kind, "The record is in use by another user.")


def save_error(kind: str, reason: str) -> QBStatus:
    return _with_reason(SAVE_ERROR, f"There was an error when saving a {kind}.", reason)


def invalid_value(field: str, value: str, reason: str) -> QBStatus:
    return _with_reason(INVALID_VALUE, f'The "{field}" field has an invalid value "{value}".', reason)


def not_processed() -> QBStatus:
    return QBStatus(NOT_PROCESSED, "The request has not been processed.")


def not_available() -> QBStatus:
    return QBStatus(
        NOT_AVAILABLE, "This feature is not enabled or not available in this version of QuickBooks."
    )
