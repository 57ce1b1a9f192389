"""What one Web Connector call costs, in-process: wall time, the service's CPU and PostgreSQL's CPU.

CPU time moves far less than throughput when the machine is shared, so this is the figure to compare
changes with. The calls go through the real Spyne adapter (as WSGI, without HTTP), the real
``WebConnectorService`` and a new PostgreSQL database: T tenants with 20 raw qbXML steps each, one
session per tenant (serverVersion, clientVersion, authenticate, 20 × sendRequestXML and
receiveResponseXML, closeConnection), one after another. PostgreSQL's CPU is read from
``/proc/<backend pid>/stat`` of the connections the service used (Linux, database on this machine).

    .venv/bin/python bench/soap_cost.py [--tenants 60] [--compare-psycopg-pipeline] [--compare-commit-apart]
                                        [--compare-spyne-messages] [--compare-orm-session]
                                        [--compare-fresh-transformer] [--compare-unprepared]
                                        [--compare-commit-after-settle]

CPU time still drifts with the machine's load from one minute to the next, more than a small change
moves it. ``--compare-psycopg-pipeline`` measures one decision without that drift: sessions alternate
between the code as it is and the same code with its batches sent through psycopg's own pipeline
(a cursor per statement, psycopg's automatic prepared statements, one write per statement: how
``db/batch.py`` sent them before it queued them on libpq itself), in one process on one database,
and both are printed. ``--compare-spyne-messages`` alternates in the same way with Spyne's own
reading of the arguments and writing of the answers (``qbwc/soap11.py`` left out), and
``--compare-orm-session`` with every transaction of the hot calls through SQLAlchemy's session
(``Database.transaction()``) instead of ``db/transaction.py``'s pool connection, and
``--compare-fresh-transformer`` with a new psycopg ``Transformer`` for every batch instead of the one
each connection keeps (``db/batch.py``), and ``--compare-unprepared`` with the jobs of its sessions
queued without a prepared request, as before migration 0020 (each rendered when claimed and stored
in a second statement), while the others are queued as the admin API queues them, and
``--compare-commit-after-settle`` with receiveResponseXML's COMMIT in a round trip of its own after
the batch that settles the step, as before migration 0021. The pipeline and
COMMIT-apart variants run with the session too, as they did when they were measured.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from psycopg.rows import namedtuple_row
from sqlalchemy.orm import Session

from bench import machine, options
from bench.cpu import backend_cpu_seconds, backend_pids, freeze_like_the_server
from bench.indexes import drop_new_indexes
from bench.soap_sessions import QUERY, REQUEST_ID, SEND_REQUEST_XML_PARAMS, answer, soap
from db import batch, queue, transaction
from db import tenants as tenant_repo
from db.engine import Database
from db.migrate import upgrade
from mapping import jobs as job_rules
from qbwc.endpoint import wsgi_environ
from qbwc.options import ServiceOptions
from qbwc.service import WebConnectorService
from qbwc.soap_guard import inspect_envelope
from qbwc.spyne_adapter import OPERATIONS, build_wsgi
from tests.support.servers import create_postgres_database, drop_postgres_database
from tests.support.spyne_reference import MAX_BODY_BYTES, spyne_messages_wsgi

REQUESTS = 20


class Caller:
    def __init__(self, database: Database) -> None:
        service = WebConnectorService(database, ServiceOptions())
        self.as_built = self.wsgi = build_wsgi(service, max_body_bytes=MAX_BODY_BYTES)
        self.spyne_messages = spyne_messages_wsgi(service)
        # This process's CPU seconds and calls by method (the envelope written and read here too).
        self.cpu_by_method: dict[str, float] = {}
        self.calls_by_method: dict[str, int] = {}

    def call(self, method: str, **params: Any) -> str:
        started = time.process_time()
        try:
            return self._call(method, **params)
        finally:
            spent = time.process_time() - started
            self.cpu_by_method[method] = self.cpu_by_method.get(method, 0.0) + spent
            self.calls_by_method[method] = self.calls_by_method.get(method, 0) + 1

    def by_method(self) -> str:
        return ", ".join(
            f"{method} {self.cpu_by_method[method] / calls * 1000:.3f}"
            for method, calls in self.calls_by_method.items()
        )

    def _call(self, method: str, **params: Any) -> str:
        body, headers = soap(method, **params)
        environ = wsgi_environ(
            inspect_envelope(body, OPERATIONS).document,
            content_type=headers["Content-Type"],
            soap_action=headers["SOAPAction"],
            server_name="127.0.0.1",
            remote_addr="127.0.0.1",
        )
        return b"".join(self.wsgi(environ, lambda *_: None)).decode()

    def session(self, username: str, token: str) -> int:
        self.call("serverVersion")
        self.call("clientVersion", strVersion="2.3.0.215")
        ticket = re.findall(
            r"<tns:string>([^<]*)</tns:string>",
            self.call("authenticate", strUserName=username, strPassword=token),
        )[0]
        progress = ""
        for _ in range(REQUESTS):
            request = self.call("sendRequestXML", ticket=ticket, **SEND_REQUEST_XML_PARAMS)
            match = REQUEST_ID.search(request.replace("&quot;", '"'))
            assert match, request[:300]
            progress = self.call(
                "receiveResponseXML", ticket=ticket, response=answer(match.group(1)), hresult="", message=""
            )
        assert ">100<" in progress, progress
        self.call("closeConnection", ticket=ticket)
        return 3 + 2 * REQUESTS + 1


def enqueue_queries(session: Session, tenant_id: str, count: int, *, prepared: bool = True) -> None:
    """``count`` raw qbXML jobs of one customer query each for the tenant, queued as the admin API
    queues them (prepared when queued: ``mapping.jobs.queue_raw_qbxml``), or without ``prepared`` as
    a step was queued before migration 0020 (rendered when claimed)."""
    for n in range(count):
        if prepared:
            job_rules.queue_raw_qbxml(session, tenant_id=tenant_id, qbxml=QUERY.format(n=n))
            continue
        queue.enqueue(
            session,
            tenant_id=tenant_id,
            kind="raw_qbxml",
            payload={},
            steps=[queue.NewStep(kind="raw_qbxml", intent={"qbxml": QUERY.format(n=n)})],
        )


class Cost:
    """Wall time, the service's CPU and PostgreSQL's CPU over the sessions measured with it."""

    def __init__(self) -> None:
        self.calls = 0
        self.wall = self.cpu = self.database_cpu = 0.0

    def measure(self, pids: list[int], session: Any) -> None:
        database_before = backend_cpu_seconds(pids)
        wall_before, cpu_before = time.perf_counter(), time.process_time()
        self.calls += session()
        self.wall += time.perf_counter() - wall_before
        self.cpu += time.process_time() - cpu_before
        self.database_cpu += backend_cpu_seconds(pids) - database_before

    def report(self, heading: str) -> None:
        calls = self.calls
        print(f"per call{heading}: wall {self.wall / calls * 1000:.3f} ms")
        print(f"per call{heading}: service CPU {self.cpu / calls * 1000:.3f} ms (Spyne, service, driver)")
        print(f"per call{heading}: PostgreSQL CPU {self.database_cpu / calls * 1000:.3f} ms")
        total = (self.cpu + self.database_cpu) / calls
        print(f"ceiling from these alone on 2 cores: {2 / total:,.0f} calls/s (without HTTP and client)")


def psycopg_pipeline_run(session: Session, statements: Any, *, commit: bool = False) -> list[list[Any]]:
    """``db.batch.run`` on PostgreSQL as it was before the batches went to libpq directly: psycopg's
    pipeline, a cursor per statement, the transaction's BEGIN sent in the batch (and no COMMIT: the
    session commits)."""
    session.flush()
    driver = session.connection().connection.driver_connection
    opens = batch._takes_over_begin(driver)
    cursors = []
    with driver.pipeline():
        if opens:
            driver.execute(b"BEGIN")
        for statement, params in statements:
            values = dict(zip(statement.param_names, statement.driver_values(params), strict=True))
            cursor = driver.cursor(row_factory=namedtuple_row)
            cursor.execute(batch._PARAMETER.sub(r"%(\1)s", statement.sql.replace("%", "%%")), values)
            cursors.append(cursor)
    return [cursor.fetchall() if cursor.pgresult and cursor.pgresult.nfields else [] for cursor in cursors]


def commit_apart_run(session: Session, statements: Any, *, commit: bool = False) -> list[list[Any]]:
    """``db.batch.run`` as before a transaction's last batch ended with COMMIT: the session commits
    it, in a round trip of its own."""
    return _RUN_AS_BUILT(session, statements)


@contextmanager
def session_begin(database: Database) -> Iterator[transaction.Transaction]:
    """``db.transaction.begin`` as the hot calls were before it: SQLAlchemy's session throughout."""
    with database.transaction() as session:
        yield transaction.Transaction(database, session=session)


def fresh_transformer_run(session: Any, statements: Any, *, commit: bool = False) -> list[list[Any]]:
    """``db.batch.run`` as before a connection kept its psycopg ``Transformer``: a new one for every
    batch, which makes its column loaders and parameter dumpers again."""
    if isinstance(session, transaction.Transaction) and session._fairy is not None:
        info = session._fairy.info
    elif isinstance(session, Session) and session.get_bind().dialect.name == "postgresql":
        info = session.connection().connection.info
    else:
        info = {}
    info.pop(batch._TRANSFORMER_KEY, None)
    return _RUN_AS_BUILT(session, statements, commit=commit)


_RUN_AS_BUILT = batch.run
_BEGIN_AS_BUILT = transaction.begin
# The variant whose tenants' jobs are queued without a prepared request (``enqueue_queries``).
UNPREPARED = "rendered when claimed"
# The variant whose receiveResponseXML commits after its settling batch, in a round trip of its own.
COMMIT_AFTER_SETTLE = "COMMIT after the settling batch"
_RECEIVE_AS_BUILT = WebConnectorService._receive


def receive_committing_apart(self: WebConnectorService, *args: Any, commit_with_settle: bool) -> int:
    return _RECEIVE_AS_BUILT(self, *args, commit_with_settle=False)


# Each comparison: its option, its variant's name, the ``db.batch.run`` the variant runs with,
# whether its calls go through Spyne's own reading and writing of messages, and the hot calls'
# ``db.transaction.begin``.
COMPARISONS = {
    "compare_psycopg_pipeline": ("psycopg's pipeline", (psycopg_pipeline_run, False, session_begin)),
    "compare_commit_apart": ("COMMIT apart", (commit_apart_run, False, session_begin)),
    "compare_spyne_messages": ("Spyne's reading and writing", (_RUN_AS_BUILT, True, _BEGIN_AS_BUILT)),
    "compare_orm_session": ("SQLAlchemy's session", (_RUN_AS_BUILT, False, session_begin)),
    "compare_fresh_transformer": ("a Transformer a batch", (fresh_transformer_run, False, _BEGIN_AS_BUILT)),
    "compare_unprepared": (UNPREPARED, (_RUN_AS_BUILT, False, _BEGIN_AS_BUILT)),
    "compare_commit_after_settle": (COMMIT_AFTER_SETTLE, (_RUN_AS_BUILT, False, _BEGIN_AS_BUILT)),
}


def main() -> None:
    parser = options.parser(__doc__, tenants=(60, "sessions measured (plus 5 to warm up)"))
    parser.add_argument(
        "--compare-psycopg-pipeline",
        action="store_true",
        help="alternate sessions with batches sent through psycopg's pipeline, and print both",
    )
    parser.add_argument(
        "--compare-spyne-messages",
        action="store_true",
        help="alternate sessions with Spyne's own reading of arguments and writing of answers",
    )
    parser.add_argument(
        "--compare-commit-apart",
        action="store_true",
        help="alternate sessions with the last batch's COMMIT sent apart by the session, and print both",
    )
    parser.add_argument(
        "--compare-orm-session",
        action="store_true",
        help="alternate sessions with the hot calls' transactions through SQLAlchemy's session",
    )
    parser.add_argument(
        "--compare-fresh-transformer",
        action="store_true",
        help="alternate sessions with a new psycopg Transformer for every batch, as before one was kept",
    )
    parser.add_argument(
        "--compare-commit-after-settle",
        action="store_true",
        help="alternate sessions with receiveResponseXML's COMMIT sent after its settling batch",
    )
    parser.add_argument(
        "--compare-unprepared",
        action="store_true",
        help="alternate sessions with jobs queued without a prepared request, rendered when claimed",
    )
    options.add_without_new_indexes(parser, "from the benchmark's database")
    args = parser.parse_args()
    runs: dict[str, Any] = {"as built": (_RUN_AS_BUILT, False, _BEGIN_AS_BUILT)}
    runs.update(run for option, run in COMPARISONS.items() if getattr(args, option))
    variants = list(runs)
    url = create_postgres_database()
    database = Database(url)
    try:
        upgrade(database.engine)
        if args.without_new_indexes:
            drop_new_indexes(database.engine)
        credentials = []
        with database.transaction() as session:
            for index in range(args.tenants + 5):
                tenant = tenant_repo.create_tenant(session, f"Cost {index}")
                token = tenant_repo.issue_token(session, tenant)
                # The first 5 warm up; then the variants take the tenants in turn (below).
                variant = variants[(index - 5) % len(variants)] if index >= 5 else "as built"
                enqueue_queries(session, tenant.id, REQUESTS, prepared=variant != UNPREPARED)
                credentials.append((tenant.qbwc_username, token))
        caller = Caller(database)
        for username, token in credentials[:5]:
            caller.session(username, token)
        caller.cpu_by_method.clear()
        caller.calls_by_method.clear()
        freeze_like_the_server()
        pids = backend_pids(database.engine)
        costs = {variant: Cost() for variant in variants}
        for index, (username, token) in enumerate(credentials[5:]):
            variant = variants[index % len(variants)]
            batch.run, spyne_messages, transaction.begin = runs[variant]
            WebConnectorService._receive = (  # type: ignore[method-assign]
                receive_committing_apart if variant == COMMIT_AFTER_SETTLE else _RECEIVE_AS_BUILT
            )
            caller.wsgi = caller.spyne_messages if spyne_messages else caller.as_built
            costs[variant].measure(pids, lambda u=username, t=token: caller.session(u, t))
        batch.run = _RUN_AS_BUILT
        transaction.begin = _BEGIN_AS_BUILT
        for variant, cost in costs.items():
            heading = f" ({variant})" if len(costs) > 1 else ""
            sessions = len(credentials[5:]) // len(costs)
            print(f"calls{heading}: {cost.calls} ({sessions} sessions of {3 + 2 * REQUESTS + 1} calls)")
            cost.report(heading)
        # serverVersion touches no database: its figure is what Spyne, the guard and this script's own
        # envelopes cost a call, with nothing of qbbridge's own work in it.
        print(f"service CPU by call, ms (all variants): {caller.by_method()}")
    finally:
        database.dispose()
        drop_postgres_database(url)


if __name__ == "__main__":
    machine.run_timed(main)
