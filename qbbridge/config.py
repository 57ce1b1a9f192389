"""Configuration from environment variables, read once at start-up.

Every knob is an environment variable so that the same image runs on a laptop (SQLite file, plain
http on localhost) and in production (PostgreSQL, https behind a proxy) without code changes.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SQLITE_PATH = Path("var") / "qbbridge.db"
# The generated secret key (qbbridge/secret_key.py), beside the default SQLite database.
DEFAULT_SECRET_KEY_FILE = Path("var") / "secret-key"
# Admin API bodies: an inventory send of every product of a large catalogue is well under this.
DEFAULT_MAX_API_BODY_BYTES = 10 * 1024 * 1024
# A reverse proxy on the same machine: only a process of this machine can connect from these.
DEFAULT_TRUSTED_PROXIES = ("127.0.0.1", "::1")


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    public_url: str
    admin_api_key: str | None
    secret_key: str | None = None
    secret_key_file: Path = DEFAULT_SECRET_KEY_FILE
    session_timeout_minutes: int = 30
    max_soap_body_bytes: int = 64 * 1024 * 1024
    max_api_body_bytes: int = DEFAULT_MAX_API_BODY_BYTES
    calls_per_connection: int = 100
    min_client_version: str = "2.1.0.30"
    run_every_minutes: int = 30
    auth_failure_limit: int = 5
    auth_address_failure_limit: int = 30
    auth_failure_window_minutes: int = 15
    # The peers whose X-Forwarded-For names the client (docs/security.md); empty: none.
    trusted_proxies: tuple[str, ...] = DEFAULT_TRUSTED_PROXIES
    supersede_after_seconds: float = 60.0
    push_interval_seconds: float = 15.0
    requests_per_message: int = 10
    log_level: str = "info"

    @property
    def qbwc_url(self) -> str:
        return self.public_url.rstrip("/") + "/qbwc"

    @property
    def support_url(self) -> str:
        return self.public_url.rstrip("/") + "/support"


def default_database_url() -> str:
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from exc


# More requests per message set save round trips, but QuickBooks answers only when it has processed
# all of them, and the Web Connector shows progress per message set.
MAX_REQUESTS_PER_MESSAGE = 100


def _requests_per_message() -> int:
    value = _int_env("QBBRIDGE_REQUESTS_PER_MESSAGE", 10)
    if not 1 <= value <= MAX_REQUESTS_PER_MESSAGE:
        raise SystemExit(
            f"QBBRIDGE_REQUESTS_PER_MESSAGE must be between 1 (each request alone) and "
            f"{MAX_REQUESTS_PER_MESSAGE}, got {value}"
        )
    return value


def _max_api_body_bytes() -> int:
    value = _int_env("QBBRIDGE_MAX_API_BODY_BYTES", DEFAULT_MAX_API_BODY_BYTES)
    if value < 1024:
        raise SystemExit(f"QBBRIDGE_MAX_API_BODY_BYTES must be at least 1024 bytes, got {value}")
    return value


def _trusted_proxies() -> tuple[str, ...]:
    """``QBBRIDGE_TRUSTED_PROXIES``: addresses or networks (``10.0.0.0/8``), comma-separated; ``*``
    trusts any peer (only when nothing but the proxy can reach the service); empty trusts none."""
    raw = os.environ.get("QBBRIDGE_TRUSTED_PROXIES")
    if raw is None:
        return DEFAULT_TRUSTED_PROXIES
    entries = tuple(entry.strip() for entry in raw.split(",") if entry.strip())
    for entry in entries:
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError as exc:
            raise SystemExit(
                f"QBBRIDGE_TRUSTED_PROXIES: {entry!r} is not an IP address or network; give the reverse "
                "proxy's addresses, comma-separated (e.g. 10.0.0.5,10.1.0.0/16), or leave it empty to "
                "trust no X-Forwarded-For header"
            ) from exc
    return entries


def _positive_int_env(name: str, default: int) -> int:
    value = _int_env(name, default)
    if value < 1:
        raise SystemExit(f"{name} must be 1 or more, got {value}")
    return value


def load_settings(*, port: int = 8000) -> Settings:
    """Settings from the environment; ``port`` only shapes the default public URL."""
    return Settings(
        database_url=os.environ.get("QBBRIDGE_DATABASE_URL") or default_database_url(),
        public_url=(os.environ.get("QBBRIDGE_PUBLIC_URL") or f"http://localhost:{port}").rstrip("/"),
        admin_api_key=os.environ.get("QBBRIDGE_ADMIN_API_KEY") or None,
        secret_key=os.environ.get("QBBRIDGE_SECRET_KEY") or None,
        secret_key_file=Path(os.environ.get("QBBRIDGE_SECRET_KEY_FILE") or DEFAULT_SECRET_KEY_FILE),
        session_timeout_minutes=_int_env("QBBRIDGE_SESSION_TIMEOUT_MINUTES", 30),
        max_soap_body_bytes=_int_env("QBBRIDGE_MAX_SOAP_BODY_BYTES", 64 * 1024 * 1024),
        max_api_body_bytes=_max_api_body_bytes(),
        calls_per_connection=_int_env("QBBRIDGE_CALLS_PER_CONNECTION", 100),
        min_client_version=os.environ.get("QBBRIDGE_MIN_CLIENT_VERSION") or "2.1.0.30",
        run_every_minutes=_int_env("QBBRIDGE_RUN_EVERY_MINUTES", 30),
        auth_failure_limit=_positive_int_env("QBBRIDGE_AUTH_FAILURE_LIMIT", 5),
        auth_address_failure_limit=_positive_int_env("QBBRIDGE_AUTH_ADDRESS_FAILURE_LIMIT", 30),
        auth_failure_window_minutes=_positive_int_env("QBBRIDGE_AUTH_FAILURE_WINDOW_MINUTES", 15),
        trusted_proxies=_trusted_proxies(),
        supersede_after_seconds=float(os.environ.get("QBBRIDGE_SUPERSEDE_AFTER_SECONDS") or 60),
        push_interval_seconds=float(os.environ.get("QBBRIDGE_PUSH_INTERVAL_SECONDS") or 15),
        requests_per_message=_requests_per_message(),
        log_level=os.environ.get("QBBRIDGE_LOG_LEVEL") or "info",
    )
