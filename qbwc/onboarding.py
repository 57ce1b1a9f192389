"""The Web Connector side of onboarding: which company file a session may use, and why one is refused.

A tenant is bound to one company file: the first whose QuickBooks answered a session of it
(``db/tenant_life.py``). ``authenticate`` names that file, so the Web Connector opens it (or fails to,
in ``connectionError``); when QuickBooks has another file open, qbbridge asks the Web Connector once
to retry with the file that is open (``connectionError`` returning ``""``), which makes it tell which
file that is, and the first ``sendRequestXML`` of a session is refused, before anything is claimed,
when its file is not the bound one. A refused session hands over no request and nothing queued
changes; ``getLastError`` and ``closeConnection`` give the Web Connector the reason, which names both
files, and the tenant's connection shows it (docs/onboarding.md).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Protocol

from sqlalchemy.orm import Session

from db import queue, tenant_life
from db import tenants as tenant_repo
from db.models import Tenant, WcSession
from db.states import SessionState


class Refusal(enum.StrEnum):
    """Why qbbridge refused a session (``qbwc_sessions.refusal``)."""

    DISABLED = "disabled"
    OTHER_COMPANY_FILE = "other_company_file"
    CONNECTION_ERROR = "connection_error"


# QuickBooks answered for the application itself: retrying with another company file changes nothing.
_NOT_ABOUT_THE_FILE = frozenset({"0x80040420", "0x8004041d", "0x80040414"})


class TenantShown(Protocol):
    """What the connector's messages and ``company_to_open`` read of a tenant: an ORM ``Tenant``, or
    what ``authenticate`` read with a statement (``db.session_start.LoginTenant``)."""

    @property
    def name(self) -> str: ...
    @property
    def qwc_downloaded_at(self) -> dt.datetime | None: ...
    @property
    def bound_company_file(self) -> str | None: ...


def disabled_message(tenant: TenantShown) -> str:
    return (
        f"qbbridge: the connection for {tenant.name!r} is turned off by your Fusion Operations "
        "administrator, so nothing is exchanged with QuickBooks. Nothing queued is lost; it goes out "
        "once the connection is turned on again."
    )


def other_file_message(bound: str, found: str) -> str:
    return (
        f"QuickBooks has the company file {found} open, but this connection belongs to the company "
        f"file {bound}. qbbridge sent nothing to it and nothing queued is lost. Open {bound} in "
        "QuickBooks (File > Open or Restore Company) and run the update again. If that company file "
        "moved to this new place, ask your Fusion Operations administrator to replace the connection's "
        "company file."
    )


def company_to_open(tenant: TenantShown, *, has_work: bool, reached_quickbooks: bool) -> str | None:
    """What ``authenticate`` answers after the ticket: the company file to open (the bound one, or
    ``""`` for the file QuickBooks has open) or None for "none" (nothing to exchange).

    A session without work still opens QuickBooks while no session since the current token has
    reached it (``reached_quickbooks``), once the tenant's ``.qwc`` was downloaded (onboarding has
    begun): that first connection is what tells which QuickBooks and company file the customer has
    (the setup checklist's "test connection" and "request access"), and binds the tenant."""
    onboarding = tenant.qwc_downloaded_at is not None
    if has_work or (onboarding and not reached_quickbooks):
        return tenant.bound_company_file or ""
    return None


def check_company_file(
    session: Session, wc_session: WcSession, company_file: str | None, now: dt.datetime
) -> str | None:
    """At a session's first ``sendRequestXML``: the reason to refuse it (its tenant was disabled, or
    QuickBooks has a company file other than the bound one open), recorded on the session and the
    tenant; None when it may go on."""
    tenant = session.get(Tenant, wc_session.tenant_id)
    if tenant is None:
        return None
    if tenant.disabled_at is not None:
        reason, kind = disabled_message(tenant), Refusal.DISABLED
    elif (
        tenant.bound_company_file
        and company_file
        and not tenant_life.same_company_file(tenant.bound_company_file, company_file)
    ):
        reason, kind = other_file_message(tenant.bound_company_file, company_file), Refusal.OTHER_COMPANY_FILE
        tenant_repo.note_connection_error(session, tenant.id, reason, now=now)
    else:
        return None
    wc_session.refusal = kind.value
    wc_session.company_file = company_file
    wc_session.last_error = reason
    wc_session.wait_requested = False
    wc_session.last_seen_at = now
    # Ended at once, so no later call of it can be handed work; getLastError and closeConnection
    # still give the Web Connector the reason.
    queue.end_session(
        session, wc_session, state=SessionState.CLOSED, reason=f"refused: {kind.value}", now=now
    )
    return reason


def retry_with_open_file(wc_session: WcSession, hresult: str) -> bool:
    """Whether ``connectionError`` should answer ``""`` (retry with the company file QuickBooks has
    open): once per session, when qbbridge had asked for the bound file and QuickBooks' refusal may
    be about the file. The retry's ``sendRequestXML`` then tells which file is open."""
    if wc_session.retried_open_file or not wc_session.requested_company_file:
        return False
    if hresult.strip().lower() in _NOT_ABOUT_THE_FILE:
        return False
    wc_session.retried_open_file = True
    return True


def requested_file_note(wc_session: WcSession) -> str:
    """Added to a connection error's explanation when qbbridge had named the company file to open."""
    if not wc_session.requested_company_file:
        return ""
    return (
        f" qbbridge asked the Web Connector to open {wc_session.requested_company_file}, the company "
        "file this connection belongs to; if it moved, ask your Fusion Operations administrator to "
        "replace the connection's company file."
    )
