"""Random secrets and their digests.

Tokens, tickets and API keys carry at least 128 bits from ``secrets``; only their SHA-256 digest is
stored. A plain digest is enough here (no slow hash): the values are random, not chosen by people,
so there is nothing to brute-force from a leaked digest.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_secret(nbytes: int = 24) -> str:
    """A URL-safe random string of ``nbytes`` bytes of entropy (default 192 bits)."""
    return secrets.token_urlsafe(nbytes)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def matches(value: str, stored_digest: str | None) -> bool:
    if not stored_digest:
        return False
    return hmac.compare_digest(digest(value), stored_digest)
