"""What each Web Connector argument may hold, checked before the service acts on it.

The Web Connector sends short identifiers (a ticket, a user name, versions, a country code, a company
file path, an error code) and three free texts (QuickBooks' answer, the host description, an error
message). Anything else is not the Web Connector talking: a value that is too long, not a number
where one is expected, a version QuickBooks does not have, or an identifier with control characters
is refused with the protocol's own answer (docs/qbwc.md, "What each argument may hold"), before it
reaches the database, whose columns have limits of their own. Values that cannot be XML at all (NUL,
other C0 controls, lone surrogates) never get here: the guard refuses the request.

Each check returns the value to use, or raises :class:`ArgumentError` with a message that names the
argument and says what was wrong, without repeating the value (it may be anything, of any length).
"""

from __future__ import annotations

import re

from mapping.host import MAX_QBXML_VERSION

# Limits: the database column each value is kept in, or what the Web Connector can send.
MAX_TICKET = 128  # ours are 32 characters
MAX_USERNAME = 64  # tenants.qbwc_username
MAX_PASSWORD = 200  # tokens are 43 characters
MAX_CLIENT_VERSION = 64  # tenants.qbwc_version
MAX_COMPANY_FILE = 1000  # qbwc_sessions.company_file, tenants.connected_company_file
MAX_MESSAGE = 2000  # an error message from QuickBooks or the Web Connector
# qbXML versions QuickBooks has: 1.0 to 16.0 so far; a newer host is spoken to at MAX_QBXML_VERSION.
MAX_QBXML_MAJOR = 99
MAX_QBXML_MINOR = 99

_TICKET = re.compile(r"[A-Za-z0-9_-]+")
_CLIENT_VERSION = re.compile(r"[0-9]{1,9}(\.[0-9]{1,9}){0,5}")
_COUNTRY = re.compile(r"[A-Za-z]{2,3}")
# An hresult as the Web Connector writes it ("0x80040400"), or as a signed 32-bit decimal.
_HRESULT = re.compile(r"0[xX][0-9A-Fa-f]{1,8}|-?[0-9]{1,10}")
# C0 and C1 controls, DEL, and the noncharacters XML allows (U+FDD0–U+FDEF).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")


class ArgumentError(ValueError):
    """An argument the Web Connector could not have sent; the message names it."""

    def __init__(self, argument: str, problem: str) -> None:
        super().__init__(f"{argument} {problem}")
        self.argument = argument


def ticket(value: str | None) -> str | None:
    """The ticket, or None when it cannot be one of ours (then no session has it)."""
    if not value or len(value) > MAX_TICKET or not _TICKET.fullmatch(value):
        return None
    return value


def username(value: str | None) -> str | None:
    """The user name, or None when no tenant can have it."""
    if not value or len(value) > MAX_USERNAME or _CONTROL.search(value):
        return None
    return value


def password(value: str | None) -> str | None:
    """The password, or None when no token can be it."""
    if not value or len(value) > MAX_PASSWORD or _CONTROL.search(value):
        return None
    return value


def client_version(value: str | None) -> tuple[int, ...] | None:
    """The Web Connector's version as numbers, or None when it cannot be read."""
    text = (value or "").strip()
    if len(text) > MAX_CLIENT_VERSION or not _CLIENT_VERSION.fullmatch(text):
        return None
    return tuple(int(part) for part in text.split("."))


def company_file(value: str | None) -> str | None:
    """``strCompanyFileName``: a path of printable characters, or None when empty."""
    if not value:
        return None
    if len(value) > MAX_COMPANY_FILE:
        raise ArgumentError("strCompanyFileName", f"is longer than {MAX_COMPANY_FILE} characters")
    if _CONTROL.search(value):
        raise ArgumentError("strCompanyFileName", "contains control characters")
    return value


def country(value: str | None) -> str | None:
    """``qbXMLCountry``: a country code (US, CA, UK…) in capitals, or None when not given."""
    text = (value or "").strip()
    if not text:
        return None
    if not _COUNTRY.fullmatch(text):
        raise ArgumentError("qbXMLCountry", "is not a country code of two or three letters (US, CA, UK)")
    return text.upper()


def qbxml_version(major: int | None, minor: int | None) -> str:
    """The qbXML version the host reported (``qbXMLMajorVers``.``qbXMLMinorVers``)."""
    if major is None or not 1 <= major <= MAX_QBXML_MAJOR:
        raise ArgumentError(
            "qbXMLMajorVers",
            f"is not the major number of a qbXML version (1 to {MAX_QBXML_MAJOR}; "
            f"qbbridge speaks up to {MAX_QBXML_VERSION})",
        )
    if minor is None or not 0 <= minor <= MAX_QBXML_MINOR:
        raise ArgumentError(
            "qbXMLMinorVers", f"is not the minor number of a qbXML version (0 to {MAX_QBXML_MINOR})"
        )
    return f"{major}.{minor}"


def hresult(value: str | None) -> str:
    """An error code of the Web Connector ("" for none)."""
    text = (value or "").strip()
    if text and not _HRESULT.fullmatch(text):
        raise ArgumentError("hresult", "is not an error code (0x followed by up to 8 hexadecimal digits)")
    return text


def message(value: str | None, argument: str = "message") -> str:
    """A free-text message from QuickBooks or the Web Connector."""
    text = value or ""
    if len(text) > MAX_MESSAGE:
        raise ArgumentError(argument, f"is longer than {MAX_MESSAGE} characters")
    return text
