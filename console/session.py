"""Who is signed in to the console: a signed, ``HttpOnly``, ``SameSite=Strict`` cookie.

The cookie holds no key: for the admin key a fingerprint of the key's digest (a new admin key ends
every admin session), for a tenant API key the key's id (a revoked key ends its sessions), the
per-session CSRF token every form carries back, and when it was issued. It is signed (HMAC-SHA256,
itsdangerous) with a key derived from the service's secret key, so every host of a deployment reads
it, and it expires after ``SESSION_HOURS`` whatever happens.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

COOKIE = "qbbridge_console"
# Sign-in form's own CSRF value (no session exists yet), a short-lived cookie of its own.
SIGN_IN_COOKIE = "qbbridge_console_sign_in"
COOKIE_PATH = "/console"
SESSION_HOURS = 8
SESSION_SECONDS = SESSION_HOURS * 3600
SIGN_IN_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    is_admin: bool
    tenant_id: str | None
    # The admin key's fingerprint, or the tenant API key's id.
    credential: str
    csrf: str

    def can_see(self, tenant_id: str) -> bool:
        return self.is_admin or self.tenant_id == tenant_id

    @property
    def actor(self) -> str:
        return "console:admin" if self.is_admin else f"console:tenant-key:{self.tenant_id}"


def admin_fingerprint(admin_key_digest: str) -> str:
    return hashlib.sha256(f"console:{admin_key_digest}".encode()).hexdigest()[:32]


class CookieSigner:
    def __init__(self, key: bytes) -> None:
        self._sessions = URLSafeTimedSerializer(key, salt="console-session")
        self._sign_in = URLSafeTimedSerializer(key, salt="console-sign-in")

    def issue(self, *, is_admin: bool, tenant_id: str | None, credential: str) -> tuple[str, ConsoleSession]:
        session = ConsoleSession(is_admin, tenant_id, credential, secrets.token_urlsafe(24))
        payload = {"a": is_admin, "t": tenant_id, "c": credential, "x": session.csrf}
        return self._sessions.dumps(payload), session

    def read(self, value: str | None) -> ConsoleSession | None:
        """The session a cookie holds; None when it is missing, forged or older than its lifetime."""
        if not value:
            return None
        try:
            payload: Any = self._sessions.loads(value, max_age=SESSION_SECONDS)
        except (BadSignature, SignatureExpired):
            return None
        if not isinstance(payload, dict):
            return None
        try:
            return ConsoleSession(bool(payload["a"]), payload["t"], str(payload["c"]), str(payload["x"]))
        except KeyError:
            return None

    def sign_in_token(self) -> tuple[str, str]:
        """A fresh CSRF value for the sign-in form, and the cookie that vouches for it."""
        value = secrets.token_urlsafe(24)
        return value, self._sign_in.dumps(value)

    def sign_in_value(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            value = self._sign_in.loads(cookie, max_age=SIGN_IN_SECONDS)
        except (BadSignature, SignatureExpired):
            return None
        return value if isinstance(value, str) else None


def same_token(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and secrets.compare_digest(str(expected), str(given))
