"""Secrets qbbridge must use again, encrypted at rest: the tenants' Fusion Operations API keys.

Tokens, tickets and API keys that people send us are kept as digests (``db/secrets.py``). A key that
qbbridge itself sends elsewhere cannot be: it is sealed with Fernet (AES-128-CBC with an HMAC-SHA256,
from ``cryptography``) under the service's secret key, and opened only to make the call.

A :class:`Keyring` holds one or more Fernet keys: the first seals, every one opens
(``MultiFernet``), so a key is rotated by putting a new one first, re-sealing what is stored
(:func:`reseal_all`, ``qbbridge secret-key rotate``), then dropping the old one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models import Tenant


class SecretKeyError(ValueError):
    """A configured secret key is not a Fernet key."""


class UnreadableSecret(Exception):
    """A stored secret was sealed under a key that is not in the keyring (or was altered)."""


def new_key() -> str:
    """A new random Fernet key (32 bytes, URL-safe base64)."""
    return Fernet.generate_key().decode("ascii")


class Keyring:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise SecretKeyError("no secret key given")
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.strip().encode("ascii")))
            except (ValueError, UnicodeEncodeError):
                raise SecretKeyError(
                    f"secret key {position} is not a Fernet key (44 characters of URL-safe base64; "
                    "make one with 'qbbridge secret-key generate')"
                ) from None
        self._keys = MultiFernet(fernets)
        self._first = keys[0].strip().encode("ascii")
        self.size = len(fernets)

    def __repr__(self) -> str:
        return f"Keyring({self.size} key{'s' if self.size != 1 else ''})"

    def derive(self, purpose: str) -> bytes:
        """A key of its own for ``purpose`` (signing the console's cookies), from the first secret key:
        every host with the same secret key derives the same one, and nothing sealed can be read with it."""
        return hmac.new(self._first, f"qbbridge:{purpose}".encode(), hashlib.sha256).digest()

    def seal(self, secret: str) -> str:
        return self._keys.encrypt(secret.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        return _readable(lambda: self._keys.decrypt(sealed.encode("ascii")).decode("utf-8"))

    def reseal(self, sealed: str) -> str:
        """The same secret sealed under the first key (raises :class:`UnreadableSecret`)."""
        return _readable(lambda: self._keys.rotate(sealed.encode("ascii")).decode("ascii"))


def _readable(unseal: Callable[[], str]) -> str:
    """What ``unseal`` gives, or :class:`UnreadableSecret` when no configured key opens it (a value
    that is not ASCII cannot be a sealed secret either)."""
    try:
        return unseal()
    except (InvalidToken, UnicodeEncodeError):
        raise UnreadableSecret(
            "the stored secret cannot be decrypted with the configured secret key(s)"
        ) from None


# Every column holding a sealed secret: the Fusion Operations API key and the webhook secret
# (mapping/webhooks.py).
SEALED_COLUMNS = (Tenant.fusion_api_key_sealed, Tenant.webhook_secret_sealed)


def _sealed_secrets(session: Session) -> list[tuple[str, str, str]]:
    """Each stored secret: its tenant, its column's name and the sealed value."""
    found: list[tuple[str, str, str]] = []
    for column in SEALED_COLUMNS:
        rows = session.execute(select(Tenant.id, column).where(column.is_not(None))).all()
        found.extend((tenant_id, column.key, sealed) for tenant_id, sealed in rows if sealed is not None)
    return found


def reseal_all(session: Session, keyring: Keyring) -> tuple[int, list[str]]:
    """Seal every stored secret under the keyring's first key. Returns how many were re-sealed and
    the ids of tenants with a secret no key opens (left as it is)."""
    resealed = 0
    unreadable: list[str] = []
    for tenant_id, column, sealed in _sealed_secrets(session):
        try:
            fresh = keyring.reseal(sealed)
        except UnreadableSecret:
            if tenant_id not in unreadable:
                unreadable.append(tenant_id)
            continue
        session.execute(update(Tenant).where(Tenant.id == tenant_id).values({column: fresh}))
        resealed += 1
    return resealed, unreadable


def unreadable_secrets(session: Session, keyring: Keyring) -> list[str]:
    """Ids of tenants with a stored secret no key of ``keyring`` opens."""
    found: list[str] = []
    for tenant_id, _column, sealed in _sealed_secrets(session):
        try:
            keyring.open(sealed)
        except UnreadableSecret:
            if tenant_id not in found:
                found.append(tenant_id)
    return found
