"""Plain-language explanations of QuickBooks' status codes and the Web Connector's hresults."""

from __future__ import annotations

# 3170/3175/3176/3180: a record or list is locked or in use by someone else in QuickBooks; trying
# again later succeeds once the user is done (see the status code table in docs/qbwc.md).
_RETRYABLE_STATUS = frozenset({3170, 3175, 3176, 3180})
# 0x8004041A "application cannot start: QuickBooks busy" style conditions are transient as well.
_RETRYABLE_HRESULT = frozenset({"0x80040408", "0x8004041a"})


def is_retryable_status(status_code: int) -> bool:
    return status_code in _RETRYABLE_STATUS


def is_retryable_hresult(hresult: str) -> bool:
    return hresult.strip().lower() in _RETRYABLE_HRESULT


def explain_status(status_code: int, status_message: str, *, severity: str, request_type: str | None) -> str:
    what = f" ({request_type})" if request_type else ""
    return f"QuickBooks refused the request{what} with status {status_code}: {status_message}".strip()


def explain_hresult(hresult: str, message: str) -> str:
    if hresult.strip().lower() == "0x80040400":
        return (
            "QuickBooks could not read the request (error 0x80040400: it is not valid qbXML for this "
            f"QuickBooks version). QuickBooks said: {message}"
        )
    return f"QuickBooks could not process the request (error {hresult}): {message}"
