"""What every console page shares: the templates, the signed-in session, CSRF checks, answers."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from console.session import COOKIE, ConsoleSession, CookieSigner, admin_fingerprint, same_token
from db import secrets as secret_values
from db import tenants as tenant_repo
from db.models import ApiKey, Tenant, utcnow

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Pages show people's data and one-time tokens: never kept by the browser or a proxy.
NO_STORE = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}


class NotSignedIn(Exception):
    """The request has no valid console session: the sign-in page, then back here."""


class NotFound(Exception):
    """A page that does not exist for whoever is signed in (another tenant's looks the same)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class BadCsrf(Exception):
    """A form without this session's CSRF token (another site's form, or a page from an old session)."""


# Identifiers are UUIDs and numbers; anything longer names nothing.
ID_MAX = 64
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_input(value: object, limit: int) -> str:
    """What a person typed or a link carried, safe to compare with stored text: no NUL (PostgreSQL
    refuses it in a statement) nor lone surrogates, at most ``limit`` characters, trimmed."""
    return _UNSTORABLE.sub("", str(value if value is not None else ""))[:limit].strip()


def identifier(value: object) -> str:
    return text_input(value, ID_MAX)


def number(value: object) -> int | None:
    """A page cursor (a row number, a 64-bit integer in the database); None when it is not one."""
    text = text_input(value, 20)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def signer(request: Request) -> CookieSigner:
    signer: CookieSigner = request.app.state.console_signer
    return signer


def secure_cookies(request: Request) -> bool:
    return str(request.app.state.settings.public_url).startswith("https://")


def ago(moment: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """'3 minutes ago' in plain words; 'never' for no moment."""
    if moment is None:
        return "never"
    seconds = int(((now or utcnow()) - moment).total_seconds())
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def when(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"


TEMPLATES.env.filters["ago"] = ago
TEMPLATES.env.filters["when"] = when
TEMPLATES.env.globals["quote"] = quote


def current_session(request: Request, db: Session) -> ConsoleSession:
    """The signed-in session, still valid for the key it was opened with; else ``NotSignedIn``."""
    found = signer(request).read(request.cookies.get(COOKIE))
    if found is None:
        raise NotSignedIn()
    if found.is_admin:
        digest = admin_key_digest(request, db)
        if digest is None or found.credential != admin_fingerprint(digest):
            raise NotSignedIn()
        return found
    key = db.get(ApiKey, found.credential)
    if key is None or key.revoked_at is not None or key.tenant_id != found.tenant_id:
        raise NotSignedIn()
    return found


def admin_key_digest(request: Request, db: Session) -> str | None:
    configured = request.app.state.settings.admin_api_key
    if configured:
        return secret_values.digest(configured)
    return tenant_repo.admin_key_digest(db)


def tenant_for(db: Session, who: ConsoleSession, tenant_id: str) -> Tenant:
    tenant_id = identifier(tenant_id)
    tenant = tenant_repo.get_tenant(db, tenant_id) if who.can_see(tenant_id) else None
    if tenant is None:
        raise NotFound("No such tenant.")
    return tenant


async def check_csrf(request: Request, who: ConsoleSession) -> dict[str, Any]:
    """The posted form, once its CSRF token is this session's."""
    form = await request.form()
    if not same_token(who.csrf, str(form.get("csrf", ""))):
        raise BadCsrf()
    return {key: form.getlist(key) if len(form.getlist(key)) > 1 else form.get(key) for key in form}


async def posted_to_tenant(
    request: Request, db: Session, tenant_id: str
) -> tuple[ConsoleSession, Tenant, dict[str, Any]]:
    """A form posted about a tenant: who posted it, the tenant (when their key reaches it) and the
    form, once its CSRF token is theirs."""
    who = current_session(request, db)
    tenant = tenant_for(db, who, tenant_id)
    return who, tenant, await check_csrf(request, who)


def page(request: Request, template: str, context: dict[str, Any], *, status_code: int = 200) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code, headers=NO_STORE)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=NO_STORE)


@contextmanager
def transaction(request: Request) -> Iterator[Session]:
    with request.app.state.database.transaction() as db:
        yield db


def not_signed_in(request: Request) -> Response:
    target = request.url.path
    if request.url.query and request.method == "GET":
        target += "?" + request.url.query
    return see_other("/console/sign-in?next=" + quote(target, safe=""))
