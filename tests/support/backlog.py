"""A queue with a long history and a backlog, and the queue's statements that look for queued steps.

For the tests and benchmarks of how those statements' plans scale: tests/foundation/test_claim_plan.py
and bench/claim_statistics.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg

from db import tenants as tenant_repo
from db.engine import Database
from db.queue.sql import (
    ANY_RUNNABLE,
    CANCEL_QUEUED_STEPS,
    CANCEL_REST,
    CLAIM_BY_ID,
    CLAIM_BY_TICKET,
    CLAIM_COMPANIONS,
    CLAIM_READY_BY_TICKET,
    COUNT_QUEUED,
    DEPENDENTS,
    FAIL_QUEUED_STEPS,
    IN_FLIGHT_BY_TICKET,
    LATEST_UNKNOWN_OF_SESSION,
    ORPHAN_BY_TICKET,
)
from db.secrets import digest
from mapping.jobs import queue_raw_qbxml
from mapping.step_kinds import StepKind
from qbwc.options import ServiceOptions
from qbwc.service import WebConnectorService
from tests.support.plans import driver_url

QUERY = (
    '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
    "<CustomerQueryRq><MaxReturned>1</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>"
)


def analyze(database: Database) -> None:
    """PostgreSQL's statistics of the queue's two tables, taken as they are now."""
    with psycopg.connect(driver_url(database), autocommit=True) as connection:
        connection.execute("ANALYZE jobs")
        connection.execute("ANALYZE job_steps")


def finished_history(database: Database, jobs: int) -> None:
    """A tenant's finished work: ``jobs`` jobs of a step each, all succeeded."""
    with database.transaction() as session:
        tenant = tenant_repo.create_tenant(session, "Claim plan history")
    with psycopg.connect(driver_url(database)) as connection:
        connection.execute(
            "INSERT INTO jobs (public_id, tenant_id, kind, status, payload, warnings, result, queue_seq, "
            "created_at, updated_at, finished_at) SELECT gen_random_uuid()::text, %(tenant)s, 'qbxml', "
            "'succeeded', '{}', '[]', '{}', n, now(), now(), now() FROM generate_series(1, %(jobs)s) AS n",
            {"tenant": tenant.id, "jobs": jobs},
        )
        connection.execute(
            "INSERT INTO job_steps (job_id, tenant_id, position, kind, state, intent, request_ids, result, "
            "attempts, phase, reconcilable, created_at, completed_at) "
            "SELECT id, tenant_id, 0, 'raw_qbxml', 'succeeded', '{}', '[]', '{}', 1, 'send', false, now(), "
            "now() FROM jobs WHERE tenant_id = %(tenant)s",
            {"tenant": tenant.id},
        )


def queued_backlog(database: Database, tenants: int, jobs_each: int) -> str:
    """``tenants`` tenants with ``jobs_each`` raw requests queued each; the first one's session open,
    its ticket returned."""
    with database.transaction() as session:
        made = [tenant_repo.create_tenant(session, f"Claim plan {n}") for n in range(tenants)]
        token = tenant_repo.issue_token(session, made[0])
        username = made[0].qbwc_username
        for tenant in made:
            for _ in range(jobs_each):
                queue_raw_qbxml(session, tenant_id=tenant.id, qbxml=QUERY)
    service = WebConnectorService(database, ServiceOptions())
    ticket, company = service.authenticate(username, token)
    assert ticket and company == ""
    # The version the connector's first sendRequestXML reports: the claim of a step prepared when
    # queued marks it sent only for a host that takes it.
    with psycopg.connect(driver_url(database), autocommit=True) as connection:
        connection.execute("UPDATE qbwc_sessions SET qbxml_version = '13.0'")
    return ticket


def requests_out_elsewhere(database: Database, ticket: str, state: str = "in_flight") -> int:
    """Every queued step of the tenants other than the session's sent in a session of its own and
    not answered yet (``in_flight``: as when many connectors are mid-update at once), or left so
    (``unknown_outcome``: answers lost, waiting for a person); how many."""
    with psycopg.connect(driver_url(database), autocommit=True) as connection:
        connection.execute(
            "INSERT INTO qbwc_sessions (tenant_id, ticket_digest, state, created_at, last_seen_at, "
            "hcp_received, wait_requested, steps_done, planned_steps, waits, retried_open_file) "
            "SELECT s.tenant_id, md5(s.id::text), 'open', now(), now(), false, false, 0, 0, 0, false "
            "FROM job_steps s WHERE s.state = 'queued' AND s.tenant_id <> "
            "(SELECT w.tenant_id FROM qbwc_sessions w WHERE w.ticket_digest = %s)",
            [digest(ticket)],
        )
        sent = connection.execute(
            "UPDATE job_steps s SET state = %s, session_id = w.id, attempts = 1, claimed_at = now() "
            "FROM qbwc_sessions w WHERE w.ticket_digest = md5(s.id::text)",
            [state],
        )
        return sent.rowcount


def queue_statements(database: Database, ticket: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every form of the claim, the other statements that look for a tenant's or a job's queued
    steps, and those that look for the session's steps in flight, with the parameters the service
    gives them for this session and its tenant's head job."""
    now = dt.datetime.now(dt.UTC)
    by_ticket = {"ticket_digest": digest(ticket), "now": now, "cutoff": now - dt.timedelta(hours=1)}
    with psycopg.connect(driver_url(database)) as connection:
        row = connection.execute(
            "SELECT s.id, s.tenant_id, (SELECT min(j.id) FROM jobs j WHERE j.tenant_id = s.tenant_id) "
            "FROM qbwc_sessions s WHERE s.ticket_digest = %s",
            [digest(ticket)],
        ).fetchone()
    assert row is not None
    session_id, tenant_id, head_job = row
    by_id = {"session_id": session_id, "tenant_id": tenant_id, "now": now}
    companions = {**by_id, "job_id": head_job, "limit": 10, "shared_kind": StepKind.RAW_QBXML.value}
    job = {"job_id": head_job, "now": now}
    return {
        "claim by ticket": (CLAIM_BY_TICKET["postgresql"].sql, by_ticket),
        "claim of a prepared step by ticket": (CLAIM_READY_BY_TICKET.sql, by_ticket),
        "claim by session id": (CLAIM_BY_ID["postgresql"].sql, by_id),
        "check for work": (ANY_RUNNABLE.sql, {"tenant_id": tenant_id, "now": now}),
        "companions' claim": (CLAIM_COMPANIONS["postgresql"].sql, companions),
        "count of the queued steps at a session's start": (COUNT_QUEUED.sql, {"tenant_id": tenant_id}),
        "rest of a job cancelled after a failed step": (CANCEL_REST.sql, {**job, "position": -1}),
        "a person's cancel": (CANCEL_QUEUED_STEPS.sql, job),
        "a dependent job failed": (FAIL_QUEUED_STEPS.text, {**job, "error": "the job it waits for failed"}),
        "the jobs waiting for a failed one": (DEPENDENTS.text, {"job_id": head_job}),
        "the session's requests out, at an answer": (IN_FLIGHT_BY_TICKET.sql, by_ticket),
        "the session's latest requests left without an answer": (
            LATEST_UNKNOWN_OF_SESSION.element.text,
            by_id,
        ),
        "the session's requests out, orphaned": (
            ORPHAN_BY_TICKET.sql,
            {**by_ticket, "reconcile_note": "asked again", "error": "answer lost"},
        ),
    }


def queue_rows_read(node: dict[str, Any]) -> int:
    """Rows of ``jobs`` and ``job_steps`` the executed plan's scans read, over all loops: those they
    returned and those they threw away. A look by key reads a few; a scan of every tenant's queued
    steps reads the whole backlog."""
    own = 0
    if node.get("Relation Name") in {"jobs", "job_steps"}:
        loops = int(node.get("Actual Loops", 1))
        own = (int(node.get("Actual Rows", 0)) + int(node.get("Rows Removed by Filter", 0))) * loops
    return own + sum(queue_rows_read(child) for child in node.get("Plans", []))
