"""Benchmark: what a Web Connector call costs as a tenant's backlog grows, in-process.

A tenant with N raw qbXML requests waiting; one session takes 40 of them (sendRequestXML and
receiveResponseXML each), after 5 to warm up. A call's cost should not depend on N: a backlog of
thousands (automatic sends after a long outage, a bulk export) must drain at the same pace per call
as a small one. Calls go through the real Spyne adapter (as WSGI, without HTTP) and the real
service, on a new PostgreSQL database; PostgreSQL's CPU is read from ``/proc`` as in
``bench/soap_cost.py``.

    .venv/bin/python bench/backlog.py [--backlogs 60,2000,10000]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import machine
from bench.cpu import backend_pids, freeze_like_the_server
from bench.soap_cost import Caller, Cost, enqueue_queries
from bench.soap_sessions import REQUEST_ID, SEND_REQUEST_XML_PARAMS, answer
from db import tenants as tenant_repo
from db.engine import Database
from db.migrate import upgrade
from tests.support.servers import create_postgres_database, drop_postgres_database

WARM_UP = 5
MEASURED = 40


def measure(database: Database, backlog: int) -> tuple[float, float, float]:
    """Per call: wall time, the service's CPU and PostgreSQL's CPU, in seconds."""
    with database.transaction() as session:
        tenant = tenant_repo.create_tenant(session, f"Backlog {backlog}")
        token = tenant_repo.issue_token(session, tenant)
        enqueue_queries(session, tenant.id, backlog)
    with database.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    caller = Caller(database)
    authenticated = caller.call("authenticate", strUserName=tenant.qbwc_username, strPassword=token)
    ticket = re.findall(r"<tns:string>([^<]*)</tns:string>", authenticated)[0]

    def exchange() -> None:
        request = caller.call("sendRequestXML", ticket=ticket, **SEND_REQUEST_XML_PARAMS)
        match = REQUEST_ID.search(request.replace("&quot;", '"'))
        assert match, request[:300]
        progress = caller.call(
            "receiveResponseXML", ticket=ticket, response=answer(match.group(1)), hresult="", message=""
        )
        assert ">100<" not in progress, "the backlog ran out; make it larger than the calls measured"

    def measured() -> int:
        for _ in range(MEASURED):
            exchange()
        return 2 * MEASURED

    for _ in range(WARM_UP):
        exchange()
    freeze_like_the_server()
    cost = Cost()
    cost.measure(backend_pids(database.engine), measured)
    return cost.wall / cost.calls, cost.cpu / cost.calls, cost.database_cpu / cost.calls


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backlogs", default="60,2000,10000", help="waiting requests, comma-separated")
    args = parser.parse_args()
    backlogs = [int(value) for value in args.backlogs.split(",")]
    url = create_postgres_database()
    database = Database(url)
    try:
        upgrade(database.engine)
        print(f"calls measured per backlog: {2 * MEASURED} (after {2 * WARM_UP} to warm up)")
        for backlog in backlogs:
            wall, cpu, database_cpu = measure(database, backlog)
            print(
                f"backlog {backlog:>6}: per call wall {wall * 1000:.2f} ms, service CPU {cpu * 1000:.2f} ms, "
                f"PostgreSQL CPU {database_cpu * 1000:.2f} ms"
            )
    finally:
        database.dispose()
        drop_postgres_database(url)


if __name__ == "__main__":
    machine.run_timed(main)
