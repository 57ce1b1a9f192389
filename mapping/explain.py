"""Plain-language explanations for the person who must act, from the error catalogue.

The catalogue (``responses_parser.catalogue``) knows every QuickBooks status code and Web Connector
hresult; this module is the one place the business side asks it, and decides what is transient.
"""

from __future__ import annotations

from responses_parser.catalogue import Category
from responses_parser.catalogue import explain_hresult as _catalogue_hresult
from responses_parser.catalogue import explain_status as _catalogue_status


def explain_status(status_code: int, status_message: str, *, severity: str, request_type: str | None) -> str:
    return _catalogue_status(status_code, status_message, severity=severity, request_type=request_type).text


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


def explain_hresult(hresult: str, message: str) -> str:
    # The code stays in the text: it is what support and Intuit's documentation go by.
    return f"{_catalogue_hresult(hresult, message).text} (Web Connector error {hresult})"


def is_retryable_hresult(hresult: str, message: str = "") -> bool:
    return _catalogue_hresult(hresult, message).category == Category.RETRY_LATER
