"""The ``.qwc`` file the customer imports into the Web Connector (QBWCXML)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from db.models import Tenant
from mapping.setup import OWNER_ID

__all__ = ["OWNER_ID", "QwcError", "QwcService", "QwcSettings", "check_app_url", "download_for", "render_qwc"]

APP_NAME = "qbbridge"
APP_DESCRIPTION = "Fusion Operations and QuickBooks Desktop sync"
# The Web Connector's guide asks for a description of at most 80 characters (it is shown in the
# authorisation dialog and the connector's list).
MAX_DESCRIPTION = 80
# QuickBooks editions qbbridge supports, as the Web Connector's AuthFlags bits: Pro 0x2, Premier 0x4,
# Enterprise 0x8 (SimpleStart, 0x1, has no sales orders, purchase orders or inventory).
AUTH_FLAGS = "0xE"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class QwcError(ValueError):
    """The .qwc file would not work in the Web Connector; the message says what to change."""


@dataclass(frozen=True, slots=True)
class QwcSettings:
    app_url: str
    support_url: str
    username: str
    file_id: str
    tenant_name: str
    run_every_minutes: int = 30


def check_app_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and (parts.hostname or "") in LOCAL_HOSTS:
        return
    raise QwcError(
        f"The Web Connector only connects to https addresses (or http://localhost), but the service's "
        f"public URL gives {url!r}. Set QBBRIDGE_PUBLIC_URL to the https address customers reach this "
        "service at, then download the .qwc file again."
    )


def support_link(support_url: str, file_id: str) -> str:
    """The tenant's own support page: ``/support`` shows that connection's status to whoever holds the
    link. The FileID is random (a UUID) and only in the tenant's .qwc file, so nobody can guess another
    tenant's link."""
    return f"{support_url}?file={file_id.strip('{}')}"


def describe(tenant_name: str) -> str:
    """AppDescription within 80 characters: the product, and as much of the tenant's name as fits."""
    text = f"{APP_DESCRIPTION} ({tenant_name})"
    if len(text) <= MAX_DESCRIPTION:
        return text
    room = MAX_DESCRIPTION - len(APP_DESCRIPTION) - len(" (...)")
    return f"{APP_DESCRIPTION} ({tenant_name[:room].rstrip()}...)" if room > 0 else APP_DESCRIPTION


def render_qwc(settings: QwcSettings) -> str:
    check_app_url(settings.app_url)
    if not 1 <= settings.run_every_minutes <= 1440:
        raise QwcError("RunEveryNMinutes must be between 1 and 1440 minutes")
    # AppName is what QuickBooks' Integrated Applications list shows and what it authorises: one per
    # tenant (its user name never changes nor is reused), so two company files on one computer are
    # two applications, and a tenant renamed later is not a new application for QuickBooks.
    app_name = f"{APP_NAME} {settings.username}"
    fields = [
        ("AppName", app_name),
        # With AppUniqueName the Web Connector replaces the application when the file is added again
        # instead of asking whether to clone or replace it.
        ("AppUniqueName", app_name),
        ("AppDisplayName", f"{APP_NAME}: {settings.tenant_name}"[:100]),
        ("AppID", ""),
        ("AppURL", settings.app_url),
        ("AppDescription", describe(settings.tenant_name)),
        ("AppSupport", support_link(settings.support_url, settings.file_id)),
        ("UserName", settings.username),
        ("OwnerID", OWNER_ID),
        ("FileID", settings.file_id),
        ("QBType", "QBFS"),
        ("AuthFlags", AUTH_FLAGS),
        # Updates run on the connector's schedule, possibly with QuickBooks closed; the customer may
        # allow that ("Yes, always; allow access even if QuickBooks is not running"), not required.
        ("UnattendedModePref", "umpOptional"),
        # qbbridge reads no personal data (SSNs, birth dates, credit cards).
        ("PersonalDataPref", "pdpNotNeeded"),
    ]
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<QBWCXML>"]
    lines += [f"  <{name}>{escape(value)}</{name}>" for name, value in fields]
    lines += [
        "  <Scheduler>",
        f"    <RunEveryNMinutes>{int(settings.run_every_minutes)}</RunEveryNMinutes>",
        "  </Scheduler>",
        "  <IsReadOnly>false</IsReadOnly>",
        "</QBWCXML>",
        "",
    ]
    return "\n".join(lines)


class QwcService(Protocol):
    """What the ``.qwc`` file takes from the service's settings (``qbbridge.config.Settings`` has it)."""

    @property
    def qbwc_url(self) -> str: ...
    @property
    def support_url(self) -> str: ...
    @property
    def run_every_minutes(self) -> int: ...


def download_for(tenant: Tenant, service: QwcService, *, now: dt.datetime) -> tuple[str, str]:
    """The tenant's ``.qwc`` file and its file name, for the admin API and the console alike; the
    download is the setup checklist's first step (``mapping/setup.py``), so it is recorded. Raises
    :class:`QwcError` (nothing recorded) when the file would not work in the Web Connector."""
    body = render_qwc(
        QwcSettings(
            app_url=service.qbwc_url,
            support_url=service.support_url,
            username=tenant.qbwc_username,
            file_id=tenant.file_id,
            tenant_name=tenant.name,
            run_every_minutes=service.run_every_minutes,
        )
    )
    tenant.qwc_downloaded_at = now
    return body, f"qbbridge-{tenant.qbwc_username}.qwc"
