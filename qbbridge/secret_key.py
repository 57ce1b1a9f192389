"""The service's secret key, which seals the secrets qbbridge keeps to send elsewhere (db/sealing.py).

Where it comes from, first found:

1. ``QBBRIDGE_SECRET_KEY``: one Fernet key, or several separated by commas while rotating (the first
   seals, all open).
2. The key file (``QBBRIDGE_SECRET_KEY_FILE``, default ``var/secret-key`` beside the default SQLite
   database): one key per line, the same way. When neither exists, the first start generates a key
   into the file (created with mode 0600, never overwritten).

The key is kept apart from the database on purpose: a copy of the database alone (a backup, a
replica, a dump handed to support) does not open the secrets in it. Deployments with several hosts
set ``QBBRIDGE_SECRET_KEY`` on all of them.
"""

from __future__ import annotations

import os
from pathlib import Path

from db.sealing import Keyring, SecretKeyError, new_key
from qbbridge.config import Settings


class SecretKeyUnavailable(Exception):
    """The secret key cannot be read or made; ``str()`` says what to set."""


def _keys_in(text: str, separator: str) -> list[str]:
    return [key.strip() for key in text.split(separator) if key.strip() and not key.strip().startswith("#")]


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once never write two different keys.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w") as handle:
        handle.write(new_key() + "\n")


def load_keyring(settings: Settings, *, create: bool = True) -> Keyring:
    """The keyring the settings name, generating the key file on first start when ``create``."""
    if settings.secret_key:
        keys = _keys_in(settings.secret_key, ",")
        where = "QBBRIDGE_SECRET_KEY"
    else:
        path = settings.secret_key_file
        try:
            if create and not path.exists():
                _create_key_file(path)
            keys = _keys_in(path.read_text(encoding="ascii"), "\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise SecretKeyUnavailable(
                f"cannot read or create the secret key file {path}: {exc}. Set QBBRIDGE_SECRET_KEY, or "
                "QBBRIDGE_SECRET_KEY_FILE to a file qbbridge can read"
            ) from None
        where = str(path)
    try:
        return Keyring(keys)
    except SecretKeyError as exc:
        raise SecretKeyUnavailable(f"{where}: {exc}") from None


def key_source(settings: Settings) -> str:
    """Where the secret key comes from, for messages (never the key itself)."""
    return "QBBRIDGE_SECRET_KEY" if settings.secret_key else f"the key file {settings.secret_key_file}"
