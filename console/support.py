"""``/support``: the help page a bookkeeper opens from the Web Connector (the ``.qwc``'s AppSupport).

Reached through the tenant's own link (``?file=<FileID>``, qbwc/qwc.py) it says, in plain words, how
that connection stands: when the Web Connector last reached us, the last connection problem and how
many jobs need someone. Nothing secret is shown and no sign-in is needed; an unknown or malformed
link gets the same page without a status, with the same answer code, so links cannot be probed.
The Web Connector fetches this address when the ``.qwc`` is added and needs a 200.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from console import web
from console.tenants import attention_counts
from db.models import Tenant

router = APIRouter(include_in_schema=False)
_FILE_ID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")

# The Web Connector's own error codes people meet (Intuit's QBWC programmer's guide, appendix A),
# each with what a bookkeeper can do about it.
WEB_CONNECTOR_ERRORS: tuple[tuple[str, str, str], ...] = (
    (
        "QBWC1039",
        "There was a problem adding the application. The QWC file may be missing some required elements.",
        "Download the .qwc file again from your integration page (do not edit it) and add it with "
        "File → Add an application.",
    ),
    (
        "QBWC1003 / QBWC1004",
        "The support page of the application could not be reached when it was added.",
        "Check this computer reaches the internet (open this page in a browser), then add the .qwc again.",
    ),
    (
        "QBWC1048 / QBWC1051",
        "The server certificate could not be verified, or the address is not secure (https).",
        "Check Windows' date and time are right and Windows Update has run (it brings the root "
        "certificates); behind a company proxy or antivirus that inspects https, ask IT to allow this "
        "service's address.",
    ),
    (
        "QBWC1012",
        "Authentication failed due to an application error.",
        "A temporary problem on our side: click Update Selected again in a few minutes. If it stays, contact "
        "support with the time it happened.",
    ),
    (
        "QBWC1040 / QBWC1030",
        "No valid username/password, or no password set.",
        "Click the Password column of qbbridge in the Web Connector and enter the token from your "
        'integration page; check "Save password". A new token replaces the old one: use the newest.',
    ),
    (
        "QBWC1013 / QBWC1007 / QBWC1008",
        "Error connecting to QuickBooks, or the Web Connector could not start QuickBooks.",
        "Open QuickBooks with the company file you set up, logged in as the Admin user, then click Update "
        "Selected. Close any open QuickBooks window that waits for an answer (a dialog, a report).",
    ),
    (
        "QBWC1026",
        "There was a problem adding the application: the FileID is in use.",
        "This company file is already connected with another .qwc file. Remove the old qbbridge entry in "
        "the Web Connector and add the newest .qwc, or ask support to disconnect the old connection.",
    ),
    (
        "QBWC1031",
        "Update completed with some error.",
        "Some of the work could not be done; the status line says which. Fusion Operations shows the "
        "details of each failed document.",
    ),
    (
        "QBWC1085",
        "The Web Connector cannot write its log file.",
        "Run the Web Connector as the same Windows user every time, or ask IT to give that user write "
        "access to the Web Connector's log folder.",
    ),
)

# What QuickBooks itself asks or answers when the Web Connector reaches it.
QUICKBOOKS_PROMPTS: tuple[tuple[str, str], ...] = (
    (
        '"An application is requesting access to the following QuickBooks company file" '
        "(the first time qbbridge connects)",
        'Choose "Yes, always; allow access even if QuickBooks is not running", check "Allow this '
        'application to access personal data" only if you send timesheets with employees, and click '
        "Continue, then Done. QuickBooks must be open as the Admin user in single-user mode for this.",
    ),
    (
        '"The QuickBooks user has denied access" (0x80040420)',
        "In QuickBooks, as Admin: Edit → Preferences → Integrated Applications → Company Preferences; "
        "select qbbridge, click Properties and allow access (or remove it and run Update Selected to be "
        "asked again).",
    ),
    (
        '"This application is not allowed to log into this QuickBooks company data file automatically"',
        'Same place (Integrated Applications → Properties): check "Allow this application to login '
        'automatically" and choose the Admin user.',
    ),
    (
        '"Could not start QuickBooks" (0x80040408)',
        "Open QuickBooks yourself with the company file, close every dialog, then click Update Selected.",
    ),
    (
        '"The QuickBooks company data file is already open with a different company file"',
        "Close the other company file, open the one you set up with qbbridge, and update again.",
    ),
)

SUPPORT_CONTACT = (
    "Contact your Fusion Operations support team through the Live-chat in Fusion Operations or your "
    "customer success manager. Tell them your company name, the Web Connector's error code (QBWC…) or "
    "message, and when it happened. Never send your Web Connector password."
)


def _status_of(request: Request, file: str) -> dict[str, Any] | None:
    """What the page may say of the connection: nothing secret (no user name, token or file path)."""
    if not _FILE_ID.fullmatch(file):
        return None
    with web.transaction(request) as db:
        tenant = db.scalars(select(Tenant).where(Tenant.file_id == "{" + file.upper() + "}")).first()
        if tenant is None:
            return None
        return {
            "name": tenant.name,
            "has_token": tenant.token_digest is not None,
            "last_contact_at": tenant.last_contact_at,
            "quickbooks_product": tenant.qb_product,
            "last_connection_error": tenant.last_connection_error,
            "last_connection_error_at": tenant.last_connection_error_at,
            "counts": attention_counts(db, [tenant.id])[tenant.id],
        }


@router.get("/support")
async def support_page(request: Request, file: str = "") -> Response:
    file = web.text_input(file, 64)
    tenant = _status_of(request, file) if file else None
    context = {
        "who": None,
        "tenant": tenant,
        "linked": bool(file),
        "errors": WEB_CONNECTOR_ERRORS,
        "prompts": QUICKBOOKS_PROMPTS,
        "contact": SUPPORT_CONTACT,
    }
    return web.page(request, "support.html", context)
