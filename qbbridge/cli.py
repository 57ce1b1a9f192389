"""The ``qbbridge`` command: ``serve``, ``db upgrade`` and ``simulate``."""

from __future__ import annotations

import argparse
import os
import sys

from db.engine import Database
from db.migrate import upgrade
from db.tenants import ensure_admin_key
from qbbridge.config import Settings, load_settings
from qbbridge.logs import configure_logging
from qbbridge.workers import ServeOptions, serve


def _prepare_database(settings: Settings) -> Database:
    database = Database(settings.database_url)
    upgrade(database.engine)
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
