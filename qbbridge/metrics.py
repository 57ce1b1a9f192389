"""The service's Prometheus metrics: what each process counts, and the database's own figures.

Counters and histograms are kept by the process that observes them. With ``qbbridge serve
--workers N`` every worker writes its own to files in the directory the supervisor made for them
(``PROMETHEUS_MULTIPROC_DIR``, ``qbbridge/metrics_dir.py``), and ``/metrics``, whichever worker
answers it, adds every worker's files up (prometheus-client's multiprocess mode): a worker that died
keeps its counts, so totals never go down while the supervisor runs.

Gauges of the queue (steps waiting, sessions open, the oldest queued step) are not kept by any
process: they are read from the database when ``/metrics`` is scraped (``queue_figures``), at most
once every ``FIGURES_CACHE_SECONDS`` per process, in one query.

The names, their labels and what to alert on: docs/operations.md.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy import Integer, bindparam, column, text

from db import observed
from db.engine import Database
from db.models import UTCDateTime

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
FIGURES_CACHE_SECONDS = 5.0
# A Web Connector call is a few milliseconds; a large QuickBooks answer can take seconds.
CALL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

WEB_CONNECTOR_CALLS = Counter(
    "qbbridge_web_connector_calls",
    "Web Connector calls answered, by method and outcome",
    ["method", "outcome"],
)
WEB_CONNECTOR_CALL_SECONDS = Histogram(
    "qbbridge_web_connector_call_seconds",
    "Time to answer a Web Connector call, from the parsed envelope to the answer, by method",
    ["method"],
    buckets=CALL_BUCKETS,
)
AUTHENTICATE_FAILURES = Counter(
    "qbbridge_authenticate_failures",
    "Web Connector logins refused (wrong user name or token, or an address blocked after failures)",
)
ADMIN_REQUESTS = Counter(
    "qbbridge_admin_requests",
    "Admin API (and other non-Web Connector) HTTP requests, by route template, method and status",
    ["route", "method", "status"],
)
ADMIN_REQUEST_SECONDS = Histogram(
    "qbbridge_admin_request_seconds",
    "Time to answer an admin API request, by route template",
    ["route"],
    buckets=CALL_BUCKETS,
)
JOBS_FINISHED = Counter(
    "qbbridge_jobs_finished",
    "Jobs that reached a final status, by flow (the job's kind) and status",
    ["flow", "status"],
)
QUICKBOOKS_STATUS_CODES = Counter(
    "qbbridge_quickbooks_status_codes",
    "QuickBooks statusCode of each settled step's deciding answer (0: success)",
    ["code"],
)
IMPORT_DELIVERIES = Counter(
    "qbbridge_import_deliveries",
    "Imports pushed to Fusion Operations, by outcome (delivered, retrying, needs_person)",
    ["outcome"],
)
WEBHOOK_DELIVERIES = Counter(
    "qbbridge_webhook_deliveries",
    "Webhook deliveries, by outcome (delivered, retrying, failed)",
    ["outcome"],
)
PRUNED = Counter(
    "qbbridge_retention_pruned",
    "Rows whose payloads retention removed, by kind (job, step, import)",
    ["kind"],
)


def _count_fact(fact: str, labels: dict[str, str]) -> None:
    if fact == observed.JOB_FINISHED:
        JOBS_FINISHED.labels(flow=labels["flow"], status=labels["status"]).inc()
    elif fact == observed.QUICKBOOKS_STATUS:
        QUICKBOOKS_STATUS_CODES.labels(code=labels["code"]).inc()


observed.subscribe(_count_fact)


def count_import_deliveries(delivered: int, retrying: int, needs_person: int) -> None:
    for outcome, count in (("delivered", delivered), ("retrying", retrying), ("needs_person", needs_person)):
        if count:
            IMPORT_DELIVERIES.labels(outcome=outcome).inc(count)


def count_webhook_delivery(outcome: str) -> None:
    """The hook for webhook deliveries: call once per attempt with ``delivered``, ``retrying`` or
    ``failed`` (given up)."""
    WEBHOOK_DELIVERIES.labels(outcome=outcome).inc()


# --- the queue's figures, from the database ------------------------------------------------------

# One round trip, each figure a scalar subquery answered from an index: the waiting steps through
# the partial index of steps that are not finished, the sessions through the open ones'.
_FIGURES = text(
    """
    SELECT
        (SELECT count(*) FROM job_steps WHERE state = 'queued') AS queued,
        (SELECT count(*) FROM job_steps WHERE state = 'in_flight') AS in_flight,
        (SELECT count(*) FROM job_steps WHERE state = 'unknown_outcome') AS unknown_outcome,
        (SELECT min(created_at) FROM job_steps WHERE state = 'queued') AS oldest_queued,
        (SELECT count(*) FROM qbwc_sessions WHERE state = 'open' AND last_seen_at >= :alive_since)
            AS sessions_open,
        (SELECT max(last_contact_at) FROM tenants) AS last_contact
    """
).bindparams(bindparam("alive_since", type_=UTCDateTime())).columns(
    column("queued", Integer),
    column("in_flight", Integer),
    column("unknown_outcome", Integer),
    column("oldest_queued", UTCDateTime()),
    column("sessions_open", Integer),
    column("last_contact", UTCDateTime()),
)


@dataclass(frozen=True, slots=True)
class QueueFigures:
    steps_waiting: dict[str, int]
    oldest_queued: dt.datetime | None
    sessions_open: int
    last_contact: dt.datetime | None
    read_at: dt.datetime


def read_queue_figures(database: Database, *, session_timeout: dt.timedelta) -> QueueFigures:
    now = dt.datetime.now(dt.UTC)
    with database.reading() as connection:
        row = connection.execute(_FIGURES, {"alive_since": now - session_timeout}).one()
    return QueueFigures(
        steps_waiting={
            "queued": int(row.queued),
            "in_flight": int(row.in_flight),
            "unknown_outcome": int(row.unknown_outcome),
        },
        oldest_queued=row.oldest_queued,
        sessions_open=int(row.sessions_open),
        last_contact=row.last_contact,
        read_at=now,
    )


class QueueFiguresCache:
    """The figures, read again only when older than ``max_age`` seconds; one reader at a time."""

    def __init__(self, database: Database, *, session_timeout: dt.timedelta, max_age: float) -> None:
        self.database = database
        self.session_timeout = session_timeout
        self.max_age = max_age
        self.lock = threading.Lock()
        self.figures: QueueFigures | None = None
        self.read_monotonic = 0.0
        self.reads = 0

    def get(self) -> QueueFigures:
        with self.lock:
            if self.figures is None or time.monotonic() - self.read_monotonic >= self.max_age:
                self.figures = read_queue_figures(self.database, session_timeout=self.session_timeout)
                self.read_monotonic = time.monotonic()
                self.reads += 1
            return self.figures


class _FiguresCollector(Collector):
    def __init__(self, figures: QueueFigures) -> None:
        self.figures = figures

    def collect(self) -> Iterable[Metric]:
        figures = self.figures
        waiting = GaugeMetricFamily(
            "qbbridge_steps_waiting", "Steps not finished, by state (from the database)", labels=["state"]
        )
        for state, count in figures.steps_waiting.items():
            waiting.add_metric([state], count)
        yield waiting
        age = 0.0
        if figures.oldest_queued is not None:
            age = max(0.0, (figures.read_at - figures.oldest_queued).total_seconds())
        yield GaugeMetricFamily(
            "qbbridge_oldest_queued_step_age_seconds",
            "Age of the oldest step waiting to be sent (0 when none waits)",
            value=age,
        )
        yield GaugeMetricFamily(
            "qbbridge_web_connector_sessions_open",
            "Web Connector sessions open (a call within the session timeout)",
            value=figures.sessions_open,
        )
        yield GaugeMetricFamily(
            "qbbridge_web_connector_last_contact_timestamp_seconds",
            "When any Web Connector last logged in (Unix time; 0: never)",
            value=figures.last_contact.timestamp() if figures.last_contact is not None else 0.0,
        )


def exposition(figures: QueueFigures | None) -> bytes:
    """Every metric in Prometheus' text format: this process's (or, with several workers, every
    worker's added up) and the queue's figures."""
    if os.environ.get(MULTIPROCESS_DIR_VARIABLE):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    output = generate_latest(registry)
    if figures is not None:
        queue_registry = CollectorRegistry(auto_describe=False)
        queue_registry.register(_FiguresCollector(figures))
        output += generate_latest(queue_registry)
    return output
