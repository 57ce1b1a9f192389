"""Signing in to the console with the admin key or a tenant API key, and signing out.

Wrong keys are counted like wrong Web Connector passwords (``db/login_throttle.py``, the same rule and
limits), per client address (as ``console <address>``, apart from the Web Connector's counts).
The key travels only in the POST body of the sign-in form; it is never put in a URL, a page or a log.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from console import web
from console.session import (
    COOKIE,
    COOKIE_PATH,
    SESSION_SECONDS,
    SIGN_IN_COOKIE,
    SIGN_IN_SECONDS,
    admin_fingerprint,
    same_token,
)
from db import audit, login_throttle
from db import secrets as secret_values
from db import tenants as tenant_repo
from db.models import utcnow

log = logging.getLogger("qbbridge.console")
router = APIRouter(include_in_schema=False)
THROTTLE_USERNAME = "console"
ADDRESS_PREFIX = "console "
KEY_MAX = 500


def _next_page(value: str | None) -> str:
    # Only a page of the console itself: never another site (an open redirect).
    if value and value.startswith("/console/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/console/tenants"


def _set_cookie(answer: Response, request: Request, name: str, value: str, *, max_age: int) -> None:
    # Never readable by a script, never sent by another site's page, https-only behind an https URL.
    answer.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=web.secure_cookies(request),
    )


def _sign_in_page(request: Request, *, next_page: str, error: str | None, status_code: int) -> Response:
    value, cookie = web.signer(request).sign_in_token()
    answer = web.page(
        request,
        "sign_in.html",
        {"csrf": value, "next": next_page, "error": error, "who": None},
        status_code=status_code,
    )
    _set_cookie(answer, request, SIGN_IN_COOKIE, cookie, max_age=SIGN_IN_SECONDS)
    return answer


@router.get("/console/sign-in")
async def sign_in_form(request: Request, next: str = "") -> Response:
    return _sign_in_page(
        request, next_page=_next_page(web.text_input(next, 2000)), error=None, status_code=200
    )


@router.post("/console/sign-in")
async def sign_in(
    request: Request,
    key: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    # Whatever was posted gets the sign-in page back, never a bare 422: a key too long is a wrong key.
    next_page = _next_page(web.text_input(next, 2000))
    key = key[: KEY_MAX + 1]
    expected = web.signer(request).sign_in_value(request.cookies.get(SIGN_IN_COOKIE))
    if not same_token(expected, csrf):
        return _sign_in_page(
            request,
            next_page=next_page,
            error="The sign-in form had expired. Enter the key again.",
            status_code=400,
        )
    settings = request.app.state.settings
    # Counted apart from Web Connector logins (the same rule and limits): an office whose connector
    # has a wrong password does not lock its support staff out of the console, nor the other way round.
    address = (ADDRESS_PREFIX + login_throttle.address_key(request.client.host if request.client else ""))[
        : login_throttle.MAX_ADDRESS
    ]
    now = utcnow()
    key = key.strip()
    with web.transaction(request) as db:
        if login_throttle.is_blocked(db, THROTTLE_USERNAME, address, now):
            log.warning("console sign-in refused: too many wrong keys from %s", address)
            blocked = True
        else:
            blocked = False
            digest = web.admin_key_digest(request, db)
            is_admin = bool(key) and digest is not None and secret_values.matches(key, digest)
            api_key = None if is_admin or not key else tenant_repo.find_api_key(db, key)
            if is_admin or api_key is not None:
                login_throttle.clear_failures(db, THROTTLE_USERNAME, address)
                if is_admin:
                    assert digest is not None
                    cookie, who = web.signer(request).issue(
                        is_admin=True, tenant_id=None, credential=admin_fingerprint(digest)
                    )
                else:
                    assert api_key is not None
                    cookie, who = web.signer(request).issue(
                        is_admin=False, tenant_id=api_key.tenant_id, credential=api_key.id
                    )
                audit.record(db, actor=who.actor, action="console.sign_in", tenant_id=who.tenant_id)
                if not who.is_admin and next_page == "/console/tenants":
                    next_page = f"/console/tenants/{who.tenant_id}"
                answer = web.see_other(next_page)
                _set_cookie(answer, request, COOKIE, cookie, max_age=SESSION_SECONDS)
                answer.delete_cookie(SIGN_IN_COOKIE, path=COOKIE_PATH)
                return answer
            rule = login_throttle.ThrottleRule(
                limit=settings.auth_failure_limit,
                address_limit=settings.auth_address_failure_limit,
                window=dt.timedelta(minutes=settings.auth_failure_window_minutes),
            )
            counted = login_throttle.record_failure(db, THROTTLE_USERNAME, address, now, rule=rule)
            if counted.blocked or counted.address_blocked:
                log.warning("console sign-in blocked for %s after %d wrong keys", address, counted.failures)
    minutes = settings.auth_failure_window_minutes
    if blocked:
        return _sign_in_page(
            request,
            next_page=next_page,
            error=f"Too many wrong keys from your address. Try again in {minutes} minutes.",
            status_code=429,
        )
    return _sign_in_page(
        request,
        next_page=next_page,
        error="That key is not valid. Use the service's admin key or a tenant API key.",
        status_code=401,
    )


@router.post("/console/sign-out")
async def sign_out(request: Request) -> Response:
    with web.transaction(request) as db:
        try:
            who = web.current_session(request, db)
        except web.NotSignedIn:
            who = None
        if who is not None:
            await web.check_csrf(request, who)
    answer = web.see_other("/console/sign-in")
    answer.delete_cookie(COOKIE, path=COOKIE_PATH)
    return answer
