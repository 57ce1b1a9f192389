"""The ``qbbridge`` command: ``serve``, ``db upgrade``, ``secret-key`` and ``simulate``."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from db.engine import Database
from db.migrate import upgrade
from db.sealing import new_key, reseal_all, unreadable_secrets
from db.tenants import ensure_admin_key
from qbbridge.config import Settings, load_settings
from qbbridge.logs import configure_logging
from qbbridge.secret_key import key_source, load_keyring
from qbbridge.workers import ServeOptions, serve

log = logging.getLogger("qbbridge")


def _prepare_database(settings: Settings) -> Database:
    keyring = load_keyring(settings)
    database = Database(settings.database_url)
    upgrade(database.engine, keyring=keyring)
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


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings = load_settings()
    database = _prepare_database(settings)
    where = database.engine.url.render_as_string(hide_password=True)
    print(f"qbbridge: database schema is up to date ({where})")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    os.environ["QBBRIDGE_PORT"] = str(args.port)
    settings = load_settings(port=args.port)
    database = _prepare_database(settings)
    with database.transaction() as session:
        new_key = ensure_admin_key(session, settings.admin_api_key)
    database.dispose()
    print(f"qbbridge: database {database.engine.url.render_as_string(hide_password=True)}", flush=True)
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
    options = ServeOptions(
        host=args.host,
        port=args.port,
        log_level=settings.log_level,
        access_log=not args.no_access_log,
        trusted_proxies=settings.trusted_proxies,
    )
    return serve(options, args.workers)


def cmd_secret_key_generate(args: argparse.Namespace) -> int:
    print(new_key())
    return 0


def cmd_secret_key_rotate(args: argparse.Namespace) -> int:
    settings = load_settings()
    database = _prepare_database(settings)
    keyring = load_keyring(settings)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qbbridge", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="upgrade the database schema, then serve the API and /qbwc")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--no-access-log", action="store_true", help="do not log each HTTP request")
    serve.set_defaults(handler=cmd_serve)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_upgrade = db_commands.add_parser("upgrade", help="upgrade the database schema to the latest version")
    db_upgrade.set_defaults(handler=cmd_db_upgrade)

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
    configure_logging(os.environ.get("QBBRIDGE_LOG_LEVEL") or "info")
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
