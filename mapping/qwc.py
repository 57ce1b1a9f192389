"""The ``.qwc`` file the customer imports into the Web Connector (QBWCXML)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

# One OwnerID for the product, for ever: QuickBooks ties the customer's authorisation and our
# private data extensions to it, so changing it would make every customer authorise again.
OWNER_ID = "{6DB6FA3C-BD43-4B0D-B18D-294CE1A59DB6}"
APP_NAME = "qbbridge"
APP_DESCRIPTION = "Fusion Operations and QuickBooks Desktop, kept in sync by qbbridge"
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


def render_qwc(settings: QwcSettings) -> str:
    check_app_url(settings.app_url)
    if not 1 <= settings.run_every_minutes <= 1440:
        raise QwcError("RunEveryNMinutes must be between 1 and 1440 minutes")
    fields = [
        ("AppName", APP_NAME),
        ("AppID", ""),
        ("AppURL", settings.app_url),
        ("AppDescription", f"{APP_DESCRIPTION} ({settings.tenant_name})"[:200]),
        ("AppSupport", settings.support_url),
        ("UserName", settings.username),
        ("OwnerID", OWNER_ID),
        ("FileID", settings.file_id),
        ("QBType", "QBFS"),
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
