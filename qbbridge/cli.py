"""The ``qbbridge`` command: ``serve``, ``db upgrade``, ``config check``, ``secret-key`` and ``simulate``.

Before ``serve`` listens, everything it needs is checked: every ``QBBRIDGE_*`` variable, the port,
the secret key, the database (reachable, its schema upgraded). A check that fails stops the command
with one line on stderr naming what to fix, and exit code 2 (``CONFIGURATION_ERROR``); nothing
listens.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError

from db import audit
from db import tenants as tenant_repo
from db.engine import (
    Database,
    DatabaseUnreachable,
    describe_failure,
    sqlite_path,
    wait_until_reachable,
    where,
)
from db.migrate import UnknownRevision, schema_state, upgrade
from db.sealing import Keyring, new_key, reseal_all, unreadable_secrets
from db.tenants import ensure_admin_key
from qbbridge import __version__, retention
from qbbridge.config import (
    VARIABLES,
    ConfigError,
    Settings,
    describe,
    load_settings,
    mask_database_url,
    unknown_variables,
)
from qbbridge.logs import LOG_FORMATS, LOG_LEVELS_KNOWN, configure_logging
from qbbridge.secret_key import SecretKeyUnavailable, key_source, load_keyring
from qbbridge.workers import PortUnavailable, ServeOptions, claim_port, serve

log = logging.getLogger("qbbridge")

CONFIGURATION_ERROR = 2
DATABASE_EXAMPLE = next(v.example for v in VARIABLES if v.name == "QBBRIDGE_DATABASE_URL")


class StartupRefused(Exception):
    """Something the service needs is missing or wrong; ``str()`` is the one line to show."""


def _refuse(message: str) -> int:
    print(f"qbbridge: {message}", file=sys.stderr, flush=True)
    return CONFIGURATION_ERROR


def _database_error(settings: Settings, problem: str) -> StartupRefused:
    shown = mask_database_url(settings.database_url)
    return StartupRefused(str(ConfigError("QBBRIDGE_DATABASE_URL", shown, problem, DATABASE_EXAMPLE)))


def _reach_database(settings: Settings) -> Database:
    """The database, once it answers (retrying for ``QBBRIDGE_DATABASE_WAIT_SECONDS``)."""
    try:
        wait_until_reachable(settings.database_url, timeout=settings.database_wait_seconds)
    except DatabaseUnreachable as exc:
        raise _database_error(
            settings, f"{exc}; check that the database server runs and accepts connections there"
        ) from None
    return Database(settings.database_url, prepared_statements=settings.database_prepared_statements)


def _keyring(settings: Settings) -> Keyring:
    try:
        return load_keyring(settings)
    except SecretKeyUnavailable as exc:
        raise StartupRefused(str(exc)) from None


def _prepare_database(settings: Settings) -> Database:
    keyring = _keyring(settings)
    database = _reach_database(settings)
    try:
        upgrade(database.engine, keyring=keyring)
    except UnknownRevision as exc:
        database.dispose()
        raise _database_error(settings, str(exc)) from None
    except DBAPIError as exc:
        # The database refused (no right to create tables, a full disk, …); a bug keeps its traceback.
        database.dispose()
        raise _database_error(settings, f"upgrading the schema failed: {describe_failure(exc)}") from None
    with database.sessions() as session:
        unreadable = unreadable_secrets(session, keyring)
    if unreadable:
        # Not fatal: those tenants' imports wait (and say why) until their key is set again.
        log.warning(
            "%d tenant(s) have a Fusion Operations API key that %s cannot decrypt (ids: %s); set their "
            "keys again with PUT /api/v1/tenants/{id}/fusion-api, or restore the previous secret key",
            len(unreadable),
            key_source(settings),
            ", ".join(unreadable[:20]),
        )
    return database


def _settings_and_database() -> tuple[Settings, Database]:
    """The settings and the database, its schema brought up to date, for a command that works on it."""
    settings = load_settings()
    return settings, _prepare_database(settings)


Command = Callable[[argparse.Namespace], int]


def _refusing(command: Command) -> Command:
    """The command, answering a configuration or database it cannot use with the one line that says
    why (exit code 2) instead of a traceback."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except (ConfigError, StartupRefused) as exc:
            return _refuse(str(exc))

    return run


@_refusing
def cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings, database = _settings_and_database()
    print(f"qbbridge: database schema is up to date ({mask_database_url(settings.database_url)})")
    database.dispose()
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    """Every variable with its effective value (secrets masked) and whether it is the default; then
    the database. Exit code 2 when anything would stop ``qbbridge serve``."""
    entries = describe(port=args.port)
    width = max(len(entry.name) for entry in entries)
    for entry in entries:
        origin = "default" if entry.is_default else "set"
        print(f"{entry.name:<{width}}  {entry.shown}  ({origin})")
    for name in unknown_variables():
        print(f"{name:<{width}}  (not a qbbridge setting: ignored)")
    errors = [entry.error for entry in entries if entry.error is not None]
    for error in errors:
        print(f"qbbridge: {error}", file=sys.stderr)
    if errors:
        return CONFIGURATION_ERROR
    settings = load_settings(port=args.port)
    sqlite_file = sqlite_path(settings.database_url)
    if sqlite_file is not None and not sqlite_file.exists():
        # A check creates nothing: serve creates the file (and its directory) at its first start.
        print(f"database: the SQLite file {sqlite_file} does not exist yet ('qbbridge serve' creates it)")
        print("qbbridge: the configuration is valid")
        return 0
    # Alembic says which dialect it uses at INFO; the check's output is the table above.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        database = _reach_database(settings)
    except StartupRefused as exc:
        return _refuse(str(exc))
    try:
        with database.engine.connect() as connection:
            state = schema_state(connection)
    finally:
        database.dispose()
    problem = state.problem()
    if not state.is_known:
        return _refuse(str(_database_error(settings, problem or "")))
    if problem is None:
        schema = f"schema at {state.current} (current)"
    elif state.current is None:
        schema = "no qbbridge schema yet ('qbbridge serve' creates it)"
    else:
        schema = f"schema at {state.current}, behind {state.head} ('qbbridge serve' upgrades it)"
    print(f"database: {where(settings.database_url)} answers; {schema}")
    print("qbbridge: the configuration is valid")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    os.environ["QBBRIDGE_PORT"] = str(args.port)
    try:
        settings = load_settings(port=args.port)
    except ConfigError as exc:
        return _refuse(str(exc))
    try:
        claimed = claim_port(args.host, args.port)
    except PortUnavailable as exc:
        return _refuse(f"--port {args.port}: {exc}; stop what uses it or choose another port with --port")
    try:
        database = _prepare_database(settings)
    except StartupRefused as exc:
        claimed.close()
        return _refuse(str(exc))
    with database.transaction() as session:
        new_key = ensure_admin_key(session, settings.admin_api_key)
    database.dispose()
    print(f"qbbridge: database {mask_database_url(settings.database_url)}", flush=True)
    for name in unknown_variables():
        print(f"qbbridge: note: {name} is not a qbbridge setting and is ignored", flush=True)
    if new_key:
        print(
            f"qbbridge: admin API key (shown once; set QBBRIDGE_ADMIN_API_KEY to choose your own): {new_key}",
            flush=True,
        )
    elif settings.admin_api_key:
        print("qbbridge: admin API key: the value of QBBRIDGE_ADMIN_API_KEY", flush=True)
    else:
        print("qbbridge: admin API key: the one printed at first start (only its digest is kept)", flush=True)
    print(f"qbbridge: listening on http://{args.host}:{args.port}", flush=True)
    print(
        f"qbbridge: Web Connector endpoint {settings.qbwc_url} (WSDL at {settings.qbwc_url}?wsdl)", flush=True
    )
    print(f"qbbridge: admin API docs at http://{args.host}:{args.port}/docs", flush=True)
    print(
        f"qbbridge: operator console at http://{args.host}:{args.port}/console "
        "(sign in with the admin API key or a tenant API key)",
        flush=True,
    )
    options = ServeOptions(
        host=args.host,
        port=args.port,
        log_level=settings.log_level,
        log_format=settings.log_format,
        access_log=not args.no_access_log,
        trusted_proxies=settings.trusted_proxies,
    )
    return serve(options, args.workers, claimed)


@_refusing
def cmd_prune(args: argparse.Namespace) -> int:
    """One retention pass now, under the same lease as the background one."""
    settings, database = _settings_and_database()
    days = settings.payload_retention_days if args.days is None else args.days
    if days == 0:
        print("qbbridge: QBBRIDGE_PAYLOAD_RETENTION_DAYS is 0: payloads are kept forever; nothing pruned")
        database.dispose()
        return 0
    try:
        report = retention.prune_pass(
            database, days=days, holder=retention.holder_name(), batch_size=args.batch_size
        )
    finally:
        database.dispose()
    if report.lease_held_elsewhere:
        print(
            "qbbridge: another process is pruning right now (a running qbbridge's background pass); "
            "try again in a few minutes",
            file=sys.stderr,
        )
        return 1
    pruned = report.pruned
    print(
        f"qbbridge: payloads older than {days} days removed from {pruned.jobs} job(s) ({pruned.steps} "
        f"step(s)) and {pruned.imports} acknowledged import(s), in {report.batches} batch(es)"
    )
    return 0


def _bounded(what: str, low: int, high: int, refusal: str) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``; ``refusal`` says what to give."""

    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(refusal.format(value=value))
        return value

    # argparse names the type in its own message ("invalid port value: 'x'").
    parse.__name__ = what
    return parse


_days = _bounded("days", 1, 36500, "{value} days: give between 1 and 36500")


_batch_size = _bounded("batch size", 1, 10000, "{value}: give a batch size between 1 and 10000")


def cmd_secret_key_generate(args: argparse.Namespace) -> int:
    print(new_key())
    return 0


@_refusing
def cmd_secret_key_rotate(args: argparse.Namespace) -> int:
    settings, database = _settings_and_database()
    keyring = _keyring(settings)
    with database.transaction() as session:
        resealed, unreadable = reseal_all(session, keyring)
    database.dispose()
    print(f"qbbridge: {resealed} stored secret(s) re-encrypted with the first key of {key_source(settings)}")
    if unreadable:
        print(
            f"qbbridge: {len(unreadable)} secret(s) could not be decrypted with any configured key, left as "
            f"they were (tenants: {', '.join(unreadable)}); set those keys again with PUT …/fusion-api",
            file=sys.stderr,
        )
        return 1
    return 0


@_refusing
def cmd_admin_key_rotate(args: argparse.Namespace) -> int:
    """A new generated admin key, printed once; the old one stops working at once in every worker
    (each reads the key's digest from the database on every call), so there is no restart."""
    settings = load_settings()
    if settings.admin_api_key:
        return _refuse(
            "QBBRIDGE_ADMIN_API_KEY is set, so the admin key is the environment's: change that variable "
            "and restart instead, or unset it to let qbbridge generate and rotate the key"
        )
    database = _prepare_database(settings)
    with database.transaction() as session:
        key = tenant_repo.rotate_admin_key(session)
        audit.record(session, actor="cli", action="admin_key.rotate")
    database.dispose()
    print(key)
    print("qbbridge: the admin API key was replaced; the old one no longer works. Copy this one now: "
          "only its digest is kept.", file=sys.stderr)  # fmt: skip
    return 0


_port = _bounded("port", 1, 65535, "{value} is not a port number between 1 and 65535")


_workers = _bounded("workers", 1, 64, "{value} workers: give between 1 and 64 (one per core)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qbbridge", description=__doc__)
    parser.add_argument("--version", action="version", version=f"qbbridge {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="upgrade the database schema, then serve the API and /qbwc")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8000)
    serve.add_argument("--workers", type=_workers, default=1, help="worker processes (default 1)")
    serve.add_argument("--no-access-log", action="store_true", help="do not log each HTTP request")
    serve.set_defaults(handler=cmd_serve)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_upgrade = db_commands.add_parser("upgrade", help="upgrade the database schema to the latest version")
    db_upgrade.set_defaults(handler=cmd_db_upgrade)

    config = commands.add_parser("config", help="the configuration")
    config_commands = config.add_subparsers(dest="config_command", required=True)
    check = config_commands.add_parser(
        "check", help="print the effective configuration (secrets masked); exit 2 when it is not valid"
    )
    check.add_argument("--port", type=_port, default=8000, help="the port serve will use (default 8000)")
    check.set_defaults(handler=cmd_config_check)

    prune = commands.add_parser(
        "prune",
        help="remove now the payloads retention would remove (finished jobs, acknowledged imports)",
    )
    prune.add_argument(
        "--days", type=_days, default=None, help="older than this (default QBBRIDGE_PAYLOAD_RETENTION_DAYS)"
    )
    prune.add_argument(
        "--batch-size", type=_batch_size, default=retention.BATCH_SIZE, help="jobs per transaction (500)"
    )
    prune.set_defaults(handler=cmd_prune)

    secret_key = commands.add_parser(
        "secret-key", help="the secret key that encrypts stored secrets (see docs/security.md)"
    )
    secret_key_commands = secret_key.add_subparsers(dest="secret_key_command", required=True)
    generate = secret_key_commands.add_parser("generate", help="print a new random secret key")
    generate.set_defaults(handler=cmd_secret_key_generate)
    rotate = secret_key_commands.add_parser(
        "rotate", help="re-encrypt every stored secret with the first configured key"
    )
    rotate.set_defaults(handler=cmd_secret_key_rotate)

    admin_key = commands.add_parser("admin-key", help="the service's admin API key")
    admin_key_commands = admin_key.add_subparsers(dest="admin_key_command", required=True)
    admin_rotate = admin_key_commands.add_parser(
        "rotate", help="replace the generated admin key: prints the new one once; the old one stops working"
    )
    admin_rotate.set_defaults(handler=cmd_admin_key_rotate)

    commands.add_parser(
        "simulate",
        add_help=False,
        help="run a simulated QuickBooks Desktop and Web Connector session (see 'qbbridge simulate --help')",
    )
    # Listed for --help only: main() hands everything after "simulate" to the simulator untouched.
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["simulate"]:
        # The simulator is a separate program with options of its own; it only shares the command name.
        from simulator import cli as simulator_cli

        return simulator_cli.main(argv[1:])
    # The level is checked with every other variable (an unknown one stops serve, saying so).
    level = (os.environ.get("QBBRIDGE_LOG_LEVEL") or "info").strip().lower()
    log_format = (os.environ.get("QBBRIDGE_LOG_FORMAT") or "auto").strip().lower()
    configure_logging(
        level if level in LOG_LEVELS_KNOWN else "info", log_format if log_format in LOG_FORMATS else "auto"
    )
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
