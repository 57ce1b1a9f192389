"""Configuration from environment variables, read and checked once at start-up.

Every knob is an environment variable so that the same image runs on a laptop (SQLite file, plain
http on localhost) and in production (PostgreSQL, https behind a proxy) without code changes.

Each variable is declared once in ``VARIABLES``: its default, how its text becomes a value, and an
example of a good value. ``load_settings`` refuses the first bad variable with a ``ConfigError``
that names it, says what is wrong with its value and gives an example, so ``qbbridge serve`` can stop
with one line before anything listens; ``describe`` lists every variable for ``qbbridge config check``.
"""

from __future__ import annotations

import base64
import ipaddress
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_SQLITE_PATH = Path("var") / "qbbridge.db"
# The generated secret key (qbbridge/secret_key.py), beside the default SQLite database.
DEFAULT_SECRET_KEY_FILE = Path("var") / "secret-key"
# Admin API bodies: an inventory send of every product of a large catalogue is well under this.
DEFAULT_MAX_API_BODY_BYTES = 10 * 1024 * 1024
# A reverse proxy on the same machine: only a process of this machine can connect from these.
DEFAULT_TRUSTED_PROXIES = ("127.0.0.1", "::1")
PREFIX = "QBBRIDGE_"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
# Plain http is accepted for these hosts only: the Web Connector itself refuses http elsewhere.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# More requests per message set save round trips, but QuickBooks answers only when it has processed
# all of them, and the Web Connector shows progress per message set.
MAX_REQUESTS_PER_MESSAGE = 100
MASK = "********"


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
    # Web Connector calls a worker process serves at once on threads, on PostgreSQL (qbwc/endpoint.py);
    # 0: one at a time in its event loop. SQLite serves them in the event loop whatever this says.
    call_threads: int = 0
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
    # "json", "console" or "auto" (console on a terminal): qbbridge/logs.py.
    log_format: str = "auto"
    allow_insecure_public_url: bool = False
    database_wait_seconds: float = 10.0
    # Payloads of finished jobs and acknowledged imports older than this are removed (0: never).
    payload_retention_days: int = 90
    # The bearer token /metrics asks for; None: /metrics answers 404 (qbbridge/metrics_endpoint.py).
    metrics_token: str | None = None
    database_prepared_statements: bool = True

    @property
    def qbwc_url(self) -> str:
        return self.public_url.rstrip("/") + "/qbwc"

    @property
    def support_url(self) -> str:
        return self.public_url.rstrip("/") + "/support"


# A dataclass for its fields only: compared and shown like any exception (eq=False, repr=False).
@dataclass(eq=False, repr=False)
class ConfigError(ValueError):
    """One variable's value cannot be used; ``str()`` is the one line to show the operator."""

    variable: str
    shown_value: str | None
    problem: str
    example: str

    def __post_init__(self) -> None:
        super().__init__(self.line())

    def line(self) -> str:
        where = f"{self.variable}={self.shown_value!r}" if self.shown_value is not None else self.variable
        return f"{where}: {self.problem} (for example {self.variable}={self.example})"


def default_database_url() -> str:
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


# --- parsers: the variable's text in, its value out, or ValueError saying what is wrong ----------


def _whole_number(low: int, high: int, meaning: str = "") -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(f"not a whole number; it must be between {low} and {high}{meaning}") from None
        if not low <= value <= high:
            raise ValueError(f"out of range; it must be between {low} and {high}{meaning}")
        return value

    return parse


def _seconds(low: float, high: float, meaning: str = "") -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError(
                f"not a number of seconds; it must be between {low:g} and {high:g}{meaning}"
            ) from None
        if not math.isfinite(value):
            raise ValueError(f"not a number of seconds; it must be between {low:g} and {high:g}{meaning}")
        if not low <= value <= high:
            raise ValueError(f"out of range; it must be between {low:g} and {high:g}{meaning}")
        return value

    return parse


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def _boolean(raw: str) -> bool:
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("not a yes/no value; use 1 (yes) or 0 (no)")


def _log_level(raw: str) -> str:
    level = raw.strip().lower()
    if level not in LOG_LEVELS:
        raise ValueError(f"not a log level; use one of {', '.join(LOG_LEVELS)}")
    return level


LOG_FORMATS = ("auto", "json", "console")


def _log_format(raw: str) -> str:
    chosen = raw.strip().lower()
    if chosen not in LOG_FORMATS:
        raise ValueError(
            "not a log format; use json (one JSON object per line), console (lines for people) or auto "
            "(console on a terminal, json otherwise)"
        )
    return chosen


_VERSION = re.compile(r"^\d+(\.\d+){0,3}$")


def _client_version(raw: str) -> str:
    version = raw.strip()
    if not _VERSION.match(version):
        raise ValueError("not a Web Connector version; write up to four numbers separated by dots")
    return version


def _admin_api_key(raw: str) -> str | None:
    if raw == "":
        return None
    if any(not 0x21 <= ord(char) <= 0x7E for char in raw):
        raise ValueError(
            "contains a space, a control character or a non-ASCII character, which an "
            "'Authorization: Bearer' header cannot carry"
        )
    return raw


MIN_METRICS_TOKEN_CHARS = 16


def _metrics_token(raw: str) -> str:
    if any(not 0x21 <= ord(char) <= 0x7E for char in raw):
        raise ValueError(
            "contains a space, a control character or a non-ASCII character, which an "
            "'Authorization: Bearer' header cannot carry"
        )
    if len(raw) < MIN_METRICS_TOKEN_CHARS:
        raise ValueError(f"is shorter than {MIN_METRICS_TOKEN_CHARS} characters; use a long random string")
    return raw


def _trusted_proxies(raw: str) -> tuple[str, ...]:
    """Addresses or networks (``10.0.0.0/8``), comma-separated; ``*`` trusts any peer (only when nothing
    but the proxy can reach the service); ``-`` trusts none."""
    if raw.strip() == "-":
        return ()
    entries = tuple(entry.strip() for entry in raw.split(",") if entry.strip())
    for entry in entries:
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(
                f"{entry!r} is not an IP address or network; give the reverse proxy's addresses, "
                "comma-separated, or - to trust no X-Forwarded-For header"
            ) from None
    return entries


def _secret_key(raw: str) -> str:
    """One Fernet key, or several separated by commas while rotating (docs/security.md)."""
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
        except (ValueError, UnicodeEncodeError):
            valid = False
        if not valid:
            # The key itself is never repeated: the value is masked like every secret.
            raise ValueError(
                f"key {position} is not a Fernet key (44 characters of URL-safe base64); make one with "
                "'qbbridge secret-key generate'"
            )
    if not keys:
        raise ValueError("holds no key")
    return raw


def _secret_key_file(raw: str) -> Path:
    path = Path(raw.strip())
    if "\x00" in raw or path.is_dir():
        raise ValueError("is not a file path (a directory, or a NUL character)")
    return path


def database_url(raw: str) -> str:
    """A SQLAlchemy URL qbbridge can run on: PostgreSQL through psycopg 3, or a SQLite file."""
    text = raw.strip()
    try:
        url = make_url(text)
    except ArgumentError:
        raise ValueError("not a database URL") from None
    backend, driver = url.get_backend_name(), url.get_driver_name()
    if backend == "postgresql":
        if "+" in url.drivername and driver != "psycopg":
            raise ValueError(
                f"qbbridge talks to PostgreSQL through psycopg 3, not {driver}; write postgresql+psycopg://"
            )
        # The only PostgreSQL driver qbbridge installs is psycopg 3; SQLAlchemy's own default is psycopg2.
        url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    if backend == "sqlite":
        if driver != "pysqlite":
            raise ValueError(
                f"SQLite is used through Python's own sqlite3 module, not {driver}; write sqlite:///"
            )
        if not url.database or url.database == ":memory:" or url.database.startswith("file::memory:"):
            raise ValueError(
                "an in-memory database starts empty every time and is not shared by the worker processes; "
                "give a file path"
            )
        return text
    raise ValueError(
        "qbbridge runs on PostgreSQL (postgresql+psycopg://…) or SQLite (sqlite:///…), "
        f"not {url.drivername!r}"
    )


def public_url(raw: str) -> str:
    """An absolute http(s) URL: the base the Web Connector and browsers reach the service at."""
    text = raw.strip()
    if any(char.isspace() or ord(char) < 0x20 for char in text):
        raise ValueError("contains spaces or control characters")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an absolute http:// or https:// URL with a host name")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry a user name or password")
    if parts.query or parts.fragment:
        raise ValueError("must not have a query (?…) or a fragment (#…): it is the base of /qbwc")
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise ValueError("has a port that is not a number between 0 and 65535") from None
    return text.rstrip("/")


def _public_url_allowed(url: str, allow_insecure: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" or allow_insecure or (parts.hostname or "") in LOCAL_HOSTS:
        return
    raise ValueError(
        "plain http is accepted for localhost only: the Web Connector connects to https addresses only. "
        "Use https, or set QBBRIDGE_ALLOW_INSECURE_PUBLIC_URL=1 for a test setup"
    )


# --- the variables ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    field: str | None  # the Settings attribute it sets; None: read elsewhere
    default: str  # as written in the environment ("" = not set)
    parse: Callable[[str], Any]
    example: str
    secret: bool = False
    default_shown: str | None = None  # how config check shows the default, when "" would mislead


def _setting(
    name: str,
    default: str,
    parse: Callable[[str], Any],
    example: str | None = None,
    *,
    secret: bool = False,
    default_shown: str | None = None,
) -> Variable:
    """A variable that sets the Settings attribute its name gives (``QBBRIDGE_LOG_LEVEL`` ->
    ``log_level``), shown by its default as the example unless another is given."""
    field = name.removeprefix(PREFIX).lower()
    return Variable(
        name, field, default, parse, default if example is None else example, secret, default_shown
    )


VARIABLES: tuple[Variable, ...] = (
    _setting(
        "QBBRIDGE_DATABASE_URL",
        default_database_url(),
        database_url,
        "postgresql+psycopg://qbbridge:secret@db.example.com:5432/qbbridge",
    ),
    # 0 behind a pooler that hands each transaction another server connection (PgBouncer's
    # transaction pooling before 1.21), where a statement prepared on one is unknown on the next.
    _setting("QBBRIDGE_DATABASE_PREPARED_STATEMENTS", "1", _boolean, "0"),
    _setting("QBBRIDGE_DATABASE_WAIT_SECONDS", "10", _seconds(0, 600, " (0: try once)")),
    _setting("QBBRIDGE_PUBLIC_URL", "", public_url, "https://qbbridge.example.com"),
    _setting("QBBRIDGE_ALLOW_INSECURE_PUBLIC_URL", "0", _boolean, "1"),
    _setting(
        "QBBRIDGE_ADMIN_API_KEY",
        "",
        _admin_api_key,
        "a-long-random-string",
        secret=True,
        default_shown="(generated at first start)",
    ),
    _setting(
        "QBBRIDGE_SECRET_KEY",
        "",
        _secret_key,
        "<the output of 'qbbridge secret-key generate'>",
        secret=True,
        default_shown="(from the key file)",
    ),
    _setting(
        "QBBRIDGE_SECRET_KEY_FILE",
        str(DEFAULT_SECRET_KEY_FILE),
        _secret_key_file,
        "/var/lib/qbbridge/secret-key",
    ),
    _setting("QBBRIDGE_SESSION_TIMEOUT_MINUTES", "30", _whole_number(1, 1440)),
    _setting("QBBRIDGE_MAX_SOAP_BODY_BYTES", str(64 * 1024 * 1024), _whole_number(1024, 1024 * 1024 * 1024)),
    _setting(
        "QBBRIDGE_MAX_API_BODY_BYTES",
        str(DEFAULT_MAX_API_BODY_BYTES),
        _whole_number(1024, 1024 * 1024 * 1024),
    ),
    _setting("QBBRIDGE_CALLS_PER_CONNECTION", "100", _whole_number(0, 1_000_000, " (0: never close)")),
    _setting("QBBRIDGE_CALL_THREADS", "0", _whole_number(0, 64, " (0: in the event loop)"), "2"),
    _setting(
        "QBBRIDGE_REQUESTS_PER_MESSAGE",
        "10",
        _whole_number(1, MAX_REQUESTS_PER_MESSAGE, " (1: each request alone)"),
    ),
    _setting("QBBRIDGE_MIN_CLIENT_VERSION", "2.1.0.30", _client_version),
    _setting("QBBRIDGE_RUN_EVERY_MINUTES", "30", _whole_number(1, 1440)),
    _setting("QBBRIDGE_AUTH_FAILURE_LIMIT", "5", _whole_number(1, 1000)),
    _setting("QBBRIDGE_AUTH_ADDRESS_FAILURE_LIMIT", "30", _whole_number(1, 100_000)),
    _setting("QBBRIDGE_AUTH_FAILURE_WINDOW_MINUTES", "15", _whole_number(1, 1440)),
    _setting(
        "QBBRIDGE_TRUSTED_PROXIES",
        ",".join(DEFAULT_TRUSTED_PROXIES),
        _trusted_proxies,
        "10.0.0.5,10.1.0.0/16",
    ),
    _setting("QBBRIDGE_SUPERSEDE_AFTER_SECONDS", "60", _seconds(0, 86400)),
    _setting("QBBRIDGE_PUSH_INTERVAL_SECONDS", "15", _seconds(0, 86400, " (0: never push)")),
    _setting("QBBRIDGE_LOG_LEVEL", "info", _log_level),
    _setting("QBBRIDGE_PAYLOAD_RETENTION_DAYS", "90", _whole_number(0, 36500, " (0: keep them forever)")),
    _setting("QBBRIDGE_LOG_FORMAT", "auto", _log_format, "json"),
    _setting(
        "QBBRIDGE_METRICS_TOKEN",
        "",
        _metrics_token,
        "<a long random string, e.g. from 'openssl rand -hex 32'>",
        secret=True,
        default_shown="(unset: /metrics answers 404)",
    ),
    # Set by ``qbbridge serve`` for its worker processes (it shapes the default public URL there).
    Variable("QBBRIDGE_PORT", None, "8000", _whole_number(1, 65535), "8000"),
)
VARIABLE_NAMES = frozenset(variable.name for variable in VARIABLES)


@dataclass(frozen=True, slots=True)
class Entry:
    """One variable as ``qbbridge config check`` shows it."""

    name: str
    shown: str
    is_default: bool
    error: ConfigError | None = None


def _raw(environ: Mapping[str, str], variable: Variable) -> str | None:
    """The variable's text, or None when unset (an empty value counts as unset)."""
    raw = environ.get(variable.name)
    return raw if raw not in (None, "") else None


def _shown(variable: Variable, raw: str) -> str:
    if variable.secret:
        return MASK
    if variable.name == "QBBRIDGE_DATABASE_URL":
        return mask_database_url(raw)
    return raw


def mask_database_url(raw: str) -> str:
    """The URL with its password (in the user part or the query) replaced by stars."""
    try:
        url = make_url(raw.strip())
    except ArgumentError:
        return raw if "@" not in raw else MASK
    if url.password is not None:
        url = url.set(password=MASK)
    query = {key: (MASK if key.lower() == "password" else value) for key, value in url.query.items()}
    return url.set(query=query).render_as_string(hide_password=False).replace("%2A", "*")


def _check(environ: Mapping[str, str], *, port: int) -> tuple[dict[str, Any], list[ConfigError], list[Entry]]:
    values: dict[str, Any] = {}
    errors: dict[str, ConfigError] = {}
    for variable in VARIABLES:
        raw = _raw(environ, variable)
        text = variable.default if raw is None else raw
        try:
            value = variable.parse(text) if text != "" else None
        except ValueError as exc:
            shown = _shown(variable, text)
            errors[variable.name] = ConfigError(variable.name, shown, str(exc), variable.example)
            value = None
        if variable.field is not None:
            values[variable.field] = value
    if values["public_url"] is None and "QBBRIDGE_PUBLIC_URL" not in errors:
        values["public_url"] = f"http://localhost:{port}"
    if "QBBRIDGE_PUBLIC_URL" not in errors and "QBBRIDGE_ALLOW_INSECURE_PUBLIC_URL" not in errors:
        try:
            _public_url_allowed(values["public_url"], values["allow_insecure_public_url"])
        except ValueError as exc:
            errors["QBBRIDGE_PUBLIC_URL"] = ConfigError(
                "QBBRIDGE_PUBLIC_URL", values["public_url"], str(exc), "https://qbbridge.example.com"
            )
    entries = []
    for variable in VARIABLES:
        raw = _raw(environ, variable)
        if raw is not None:
            shown = _shown(variable, raw)
        elif variable.name in ("QBBRIDGE_PUBLIC_URL", "QBBRIDGE_PORT"):
            shown = f"http://localhost:{port}" if variable.name == "QBBRIDGE_PUBLIC_URL" else str(port)
        else:
            shown = variable.default_shown or variable.default
        entries.append(Entry(variable.name, shown, raw is None, errors.get(variable.name)))
    # In the order of VARIABLES, so the first one reported is always the same.
    ordered = [entry.error for entry in entries if entry.error is not None]
    return values, ordered, entries


def load_settings(*, port: int = 8000, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment; ``port`` only shapes the default public URL.

    Raises ``ConfigError`` for the first variable (in ``VARIABLES`` order) that cannot be used.
    """
    values, errors, _ = _check(os.environ if environ is None else environ, port=port)
    if errors:
        raise errors[0]
    return Settings(**values)


def describe(*, port: int = 8000, environ: Mapping[str, str] | None = None) -> list[Entry]:
    """Every variable: its value as shown to an operator (secrets masked), and whether it is the default."""
    return _check(os.environ if environ is None else environ, port=port)[2]


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """``QBBRIDGE_*`` variables that are no setting of qbbridge (a typo is otherwise silently ignored)."""
    environ = os.environ if environ is None else environ
    return sorted(name for name in environ if name.startswith(PREFIX) and name not in VARIABLE_NAMES)
