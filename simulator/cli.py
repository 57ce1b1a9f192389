"""`qbbridge simulate`: run simulated Web Connector sessions against a qbbridge server."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from simulator.company import Company
from simulator.demo import seed_demo
from simulator.faults import Faults
from simulator.host import COUNTRIES, EDITIONS, HostFacts
from simulator.quickbooks import QuickBooks
from simulator.schema import ENV_VAR, default_schema_dir
from simulator.webconnector import DEFAULT_COMPANY_FILE, WebConnector


def build_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--url", help="the service's Web Connector endpoint, e.g. http://127.0.0.1:8000/qbwc")
    parser.add_argument("--username", help="the tenant's Web Connector user name")
    parser.add_argument("--password", help="the tenant's Web Connector password (token)")
    parser.add_argument("--company", type=Path, help="company file JSON; created when missing, saved after")
    parser.add_argument(
        "--seed-demo", type=Path, metavar="FILE.json", help="write a small demo company and exit"
    )
    parser.add_argument(
        "--every", type=float, metavar="N", help="run a session every N seconds until interrupted"
    )
    parser.add_argument(
        "--sessions", type=int, default=None, help="with --every, stop after this many sessions"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help=(
            "drop-response=N | connection-error | deny-access | dialog | other-company-file=PATH | "
            "read-only | busy=N | parse-error=N | lose-iterators=N"
        ),
    )
    parser.add_argument(
        "--slow", type=float, default=0.0, metavar="SECONDS", help="QuickBooks takes this long per request"
    )
    parser.add_argument("--country", choices=COUNTRIES, default="US")
    parser.add_argument(
        "--qbxml-version",
        default="13.0",
        metavar="X.Y",
        help="highest qbXML version the host supports; with --country CA/UK/AU also the edition's own "
        "CA2.0/CA3.0, UK2.0/UK3.0, OZ2.0/AU3.0 (a QuickBooks from before 6.0)",
    )
    parser.add_argument("--edition", choices=EDITIONS, default="Premier")
    parser.add_argument("--client-version", default="2.3.0.215")
    parser.add_argument("--company-file-name", default=DEFAULT_COMPANY_FILE)
    parser.add_argument(
        "--noop-pause", type=float, default=5.0, help="seconds to wait after getLastError NoOp"
    )
    parser.add_argument(
        "--schema-dir",
        type=Path,
        default=None,
        help=f"official qbXML XSD folder (default ${ENV_VAR} or ../shared/qbxml-schema)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    if args.seed_demo:
        seed_demo().save(args.seed_demo)
        print(f"Demo company written to {args.seed_demo}")
        return 0
    missing = [name for name in ("url", "username", "password") if not getattr(args, name)]
    if missing:
        print(f"error: --{', --'.join(missing)} required", file=sys.stderr)
        return 2
    try:
        faults = Faults.parse(args.fault)
        host = HostFacts(edition=args.edition, country=args.country, max_qbxml_version=args.qbxml_version)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    company = Company.load(args.company) if args.company else Company.new()
    schema_dir = args.schema_dir or default_schema_dir()
    quickbooks = QuickBooks(company, host=host, schema_dir=schema_dir, use_default_schema=False)
    connector = WebConnector(
        args.url,
        args.username,
        args.password,
        quickbooks,
        client_version=args.client_version,
        company_file=args.company_file_name,
        noop_pause=args.noop_pause,
        faults=faults,
        slow=args.slow,
    )
    ok = True
    count = 0
    try:
        while True:
            result = connector.run_session()
            count += 1
            ok = result.ok
            if args.company:
                company.save(args.company)
            if not args.every or (args.sessions is not None and count >= args.sessions):
                break
            time.sleep(args.every)
    except KeyboardInterrupt:
        pass
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(argparse.ArgumentParser(prog="qbbridge simulate", description=__doc__))
    return run(parser.parse_args(argv))
