"""The request queue: jobs, their ordered steps, and how a Web Connector session claims them.

Rules (see ``db/states.py`` for the states):

* A step is handed to exactly one session. The claim is one ``UPDATE … WHERE state = 'queued'``;
  on PostgreSQL its candidate is picked with ``FOR UPDATE SKIP LOCKED`` so concurrent sessions of
  one tenant never wait on each other's row, and on SQLite the whole claim runs under the database
  write lock (``BEGIN IMMEDIATE``, see ``db/engine.py``).
* Steps of one job run in order: a step is runnable only when every earlier step of its job has
  succeeded. Jobs of a tenant are handed out in the order they were accepted (``jobs.queue_seq``): no
  step of a later job while an earlier one still has steps to go ("the queue's order" below).
* A transient failure puts a step back to ``queued`` with ``not_before``; nothing else ever moves a
  step backwards. An ``in_flight`` step whose session ends goes to ``unknown_outcome`` and is never
  re-sent by the queue.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, make_transient_to_detached

from db import batch, links, observed, outcome_log
from db.batch import Statement
from db.models import OPEN_JOB_CONDITION, Job, Link, Step, WcSession, table_of, utcnow
from db.results import affected_rows
from db.sessions import OPEN_SESSION_ID, OPEN_SESSION_TENANT, TOUCH, SessionRow, session_row
from db.states import FINISHED_STEP_STATES, JobStatus, SessionState, StepState

jobs_table = table_of(Job)
steps_table = table_of(Step)


# --- the queue's order -------------------------------------------------------------------------
#
# A tenant's jobs reach QuickBooks in the order they were accepted: no step of a job is handed out
# while a job before it in the tenant's queue still has steps to go (queued, waiting for a retry
# delay, in flight, or waiting for an earlier step's answer to be rendered). The order is
# ``jobs.queue_seq``: each job takes its tenant's next number when it is queued, and again when it is
# retried (so a retried job goes to the end of what is queued then).
#
# The number is taken with an UPDATE of the tenant's row, which holds that row's lock until the
# transaction ends: of two transactions queueing for one tenant at once, the second waits for the
# first to commit and numbers its job after it, so the numbers follow the order in which jobs were
# accepted (committed), never the order in which their transactions began. A transaction takes it
# before any other lock of its own (see ``retry_job``), so the wait can never close a cycle.
NEXT_QUEUE_SEQ = Statement(
    "UPDATE tenants SET last_queue_seq = last_queue_seq + 1 WHERE id = :tenant_id RETURNING last_queue_seq"
)
# The number NEXT_QUEUE_SEQ just took, for a statement sent after it in the same batch.
# (The cast gives the tenant's id the type its other uses give it, so PostgreSQL can prepare both.)
_TAKEN_QUEUE_SEQ = "(SELECT last_queue_seq FROM tenants WHERE id = CAST(:tenant_id AS VARCHAR))"

# A job and its steps as queued, for every kind of job (``enqueue``, ``db/sends.py: write_send``).
# The steps find their job by its public id, so the job, its steps and its number go in one batch.
INSERT_JOB = Statement(
    "INSERT INTO jobs (public_id, tenant_id, kind, status, error, payload, warnings, result, "
    "link_entity, link_code, depends_on_job_id, queue_seq, created_at, updated_at, finished_at) "
    f"VALUES (:public_id, :tenant_id, :kind, '{JobStatus.QUEUED.value}', NULL, :payload, :warnings, '{{}}', "
    f":link_entity, :link_code, :depends_on_job_id, {_TAKEN_QUEUE_SEQ}, :now, :now, NULL) "
    "RETURNING id, queue_seq",
    json_params=["payload", "warnings"],
    timestamps=["now"],
)
JOB_BY_PUBLIC_ID = "(SELECT id FROM jobs WHERE public_id = :public_id)"
INSERT_STEP = Statement(
    "INSERT INTO job_steps (job_id, tenant_id, position, kind, intent, reconcilable, phase, state, "
    "request_ids, result, attempts, created_at) "
    f"VALUES ({JOB_BY_PUBLIC_ID}, :tenant_id, :position, :kind, :intent, :reconcilable, 'send', "
    f"'{StepState.QUEUED.value}', '[]', '{{}}', 0, :now)",
    json_params=["intent"],
    timestamps=["now"],
)


def job_statements(
    *,
    public_id: str,
    tenant_id: str,
    kind: str,
    payload: dict[str, Any],
    steps: Sequence[NewStep],
    warnings: Sequence[str],
    link_entity: str | None,
    link_code: str | None,
    depends_on_job_id: int | None,
    now: dt.datetime,
) -> list[tuple[Statement, dict[str, Any]]]:
    """The batch that queues a job: its tenant's next number, the job, its steps (the job's row is
    the second statement's result: ``id``, ``queue_seq``)."""
    if not steps:
        raise ValueError("a job needs at least one step")
    job = {
        "public_id": public_id,
        "tenant_id": tenant_id,
        "kind": kind,
        "payload": payload,
        "warnings": list(warnings),
        "link_entity": link_entity,
        "link_code": link_code,
        "depends_on_job_id": depends_on_job_id,
        "now": now,
    }
    return [
        (NEXT_QUEUE_SEQ, {"tenant_id": tenant_id}),
        (INSERT_JOB, job),
        *(
            (
                INSERT_STEP,
                {
                    "public_id": public_id,
                    "tenant_id": tenant_id,
                    "position": position,
                    "kind": step.kind,
                    "intent": step.intent,
                    "reconcilable": step.reconcilable,
                    "now": now,
                },
            )
            for position, step in enumerate(steps)
        ),
    ]


@dataclass(slots=True)
class NewStep:
    kind: str
    intent: dict[str, Any] = field(default_factory=dict)
    # True when QuickBooks can be asked whether this step was saved (see mapping/plan.py: Reconcile).
    reconcilable: bool = False


def enqueue(
    session: Session,
    *,
    tenant_id: str,
    kind: str,
    payload: dict[str, Any],
    steps: Sequence[NewStep],
    warnings: Sequence[str] = (),
    link_entity: str | None = None,
    link_code: str | None = None,
    depends_on_job_id: int | None = None,
) -> Job:
    """Queue a job at the end of its tenant's queue: one batch (one round trip on PostgreSQL)."""
    now = utcnow()
    public_id = str(uuid.uuid4())
    statements = job_statements(
        public_id=public_id,
        tenant_id=tenant_id,
        kind=kind,
        payload=payload,
        steps=steps,
        warnings=warnings,
        link_entity=link_entity,
        link_code=link_code,
        depends_on_job_id=depends_on_job_id,
        now=now,
    )
    results = batch.run(session, statements)
    [inserted] = results[1]
    # The caller gets the Job as stored, attached to the session as if it had been read back (callers
    # may still change it, e.g. a retrieval's initial result), without reading it back.
    job = Job(
        id=inserted.id,
        queue_seq=inserted.queue_seq,
        public_id=public_id,
        tenant_id=tenant_id,
        kind=kind,
        status=JobStatus.QUEUED.value,
        error=None,
        payload=payload,
        warnings=list(warnings),
        result={},
        link_entity=link_entity,
        link_code=link_code,
        depends_on_job_id=depends_on_job_id,
        created_at=now,
        updated_at=now,
        finished_at=None,
    )
    make_transient_to_detached(job)
    session.add(job)
    return job


# The tenant's head job: the first, in queue order, of its jobs with steps still to go; only its
# steps can be handed out. ``{tenant}`` is the tenant's id (``:tenant_id``, or the tenant of the
# session found by ticket when sent in a batch, see start_send). The scan is ``ix_jobs_open_queue``
# in order: finished jobs are not in it, so it stops at the first row whatever the history.
#
# A job waiting for another that ended without succeeding is passed over: it can never run. Such a
# job is failed when the job it waits for fails, is cancelled or ends with an unknown outcome
# (``_fail_dependents``), a send is not queued behind a job that ended so (mapping/sending.py), and a
# retry of that job fails whatever still waits for it (``retry_job``); passing it over covers a send
# queued at the very moment its prerequisite ended, which none of those saw.
#
# The check reads the status of the job waited for with a scalar subquery, on purpose: written as
# NOT EXISTS, PostgreSQL planned it as an anti-join (or a hashed subplan) whose inner side scanned
# every job of the database with one of those statuses, all tenants and all history (about 0.3 ms of
# PostgreSQL's CPU per call at 1,300 jobs, growing with the table). A scalar subquery is looked up by
# primary key, and only for a job that waits for another (docs/performance.md, "The head job's
# dependency check").
_HEAD_JOB = f"""
    (SELECT j.id FROM jobs j
     WHERE j.tenant_id = {{tenant}} AND j.{OPEN_JOB_CONDITION}
       AND (j.depends_on_job_id IS NULL OR COALESCE(
           (SELECT d.status FROM jobs d WHERE d.id = j.depends_on_job_id), '')
           NOT IN ('failed', 'cancelled', 'unknown_outcome'))
     ORDER BY j.queue_seq LIMIT 1)
"""

# A step that may be handed out now, of the job ``{job}``: its next step (the first, in order, that
# has not succeeded: steps of a job run one after another, so no other can be runnable), when it is
# queued, its retry delay (if any) is over, and the job it waits for (if any) succeeded. Finding the
# next step by the job's own index in position order, rather than filtering the job's steps by
# state, keeps the plan on that index: asked which of a job's steps are queued, PostgreSQL once
# combined it with the index of steps by session and state, which reads every queued step of the
# database. Bound parameter: now.
_STEP_RUNNABLE = """
    s.id = (
        SELECT f.id FROM job_steps f
        WHERE f.job_id = {job} AND f.state <> 'succeeded'
        ORDER BY f.position
        LIMIT 1
    )
    AND s.state = 'queued'
    AND (s.not_before IS NULL OR s.not_before <= :now)
    AND NOT EXISTS (
        SELECT 1 FROM jobs j JOIN jobs d ON d.id = j.depends_on_job_id
        WHERE j.id = s.job_id AND d.status <> 'succeeded'
    )
"""

# The runnable-step condition, shared by the claim and the check for work: a runnable step of the
# tenant's head job.
_RUNNABLE = _STEP_RUNNABLE.replace("{job}", _HEAD_JOB)

# Whether a step is its job's last: the steps after it in a shared message set then leave no earlier
# job with steps still to go (QuickBooks processes a message set's requests in order).
_IS_LAST = (
    "NOT EXISTS (SELECT 1 FROM job_steps l WHERE l.job_id = {step}.job_id AND l.position > {step}.position)"
)

# The claim. The candidate is picked and taken in one statement; ``AND state = 'queued'`` makes the
# take a compare-and-set. On PostgreSQL ``{lock}`` is ``FOR UPDATE SKIP LOCKED``: a row another
# session is claiming right now is skipped instead of waited for (the other session holds the head
# job's next step, so this one finds nothing to take, and the order holds). SQLite has no row locks;
# there the whole claim runs under the database write lock taken at BEGIN (``BEGIN IMMEDIATE``,
# db/engine.py). ``{session}`` is the claiming session's id (``:session_id``, or found by ticket in a
# batch); the claim takes nothing when it is NULL (no open session).
_STEP_COLUMNS = "id, job_id, position, kind, intent, attempts, request_ids, phase, sent_qbxml_version"
_CLAIM = """
    UPDATE job_steps SET state = 'in_flight', session_id = {session}, claimed_at = :now,
                         attempts = attempts + 1
    WHERE id = (
        SELECT s.id FROM job_steps s
        WHERE {runnable}
        {lock}
    ) AND state = 'queued' AND {session} IS NOT NULL
    RETURNING {columns}, {last} AS last
"""


# On PostgreSQL the claim also moves the claimed step's job to in flight, in the same statement: a
# data-modifying CTE (``claimed``) whose rows the outer UPDATE of ``jobs`` reads, found by primary key
# (``= ANY(ARRAY(…))`` evaluates the claimed job ids first). Only a job's first step can find its job
# still 'queued': a later step is runnable only once every earlier one succeeded, and settling those
# already derived the job 'in_flight'. As separate statements, the move found the job through the
# session's in-flight steps, and PostgreSQL planned it as a scan of every open job of every tenant.
# SQLite has no data-modifying CTEs: it runs the move as a statement of its own after the claim.
_JOB_STARTED = (
    "started AS (UPDATE jobs SET status = 'in_flight', updated_at = :now "
    "WHERE jobs.id = ANY(ARRAY(SELECT c.job_id FROM claimed c WHERE c.position = 0)) "
    "AND jobs.status = 'queued') "
    "SELECT * FROM claimed"
)


def _claim(*, session: str, tenant: str, lock: str, timestamps: tuple[str, ...], dialect: str) -> Statement:
    claim = _CLAIM.format(
        session=session,
        runnable=_RUNNABLE.format(tenant=tenant),
        lock=lock,
        columns=_STEP_COLUMNS,
        last=_IS_LAST.format(step="job_steps"),
    )
    if dialect == "postgresql":
        claim = f"WITH claimed AS ({claim}), {_JOB_STARTED}"
    return Statement(claim, timestamps=timestamps, json_columns=("intent", "request_ids"))


_LOCKS = {"postgresql": "FOR UPDATE SKIP LOCKED", "sqlite": ""}
_CLAIM_BY_ID = {
    # The cast gives the parameter a type where it is only tested for NULL (PostgreSQL prepares it).
    dialect: _claim(
        session="CAST(:session_id AS BIGINT)",
        tenant=":tenant_id",
        lock=lock,
        timestamps=("now",),
        dialect=dialect,
    )
    for dialect, lock in _LOCKS.items()
}
_CLAIM_BY_TICKET = {
    dialect: _claim(
        session=OPEN_SESSION_ID,
        tenant=OPEN_SESSION_TENANT,
        lock=lock,
        timestamps=("now", "cutoff"),
        dialect=dialect,
    )
    for dialect, lock in _LOCKS.items()
}

# The claim of the steps that travel with a first one in the same message set (see claim_companions),
# the last step of the head job (``:job_id``). Only the jobs right after it in queue order may join,
# and only while every earlier job of the message set ends in it:
#
# * ``behind``: the next ``:limit`` jobs with steps to go, in queue order (the open-jobs index);
# * ``next``: each one's runnable step, if it has one, when it may share a message set (a typed
#   request, ``qbxml_request``, on its first attempt, in phase ``send``: raw qbXML is sent as given, a
#   retrieval page alone, and a retry or a reconciliation alone so that whatever happened to a step
#   tried before is told apart from its neighbours' outcomes), and whether it is its job's last step;
# * ``picked``: a step joins when no job before it in ``behind`` lacks a shareable last step (locked
#   by this claim on PostgreSQL). The run stops at the first job that must wait or go alone, and
#   after the first step that is not its job's last, so no later job's step is ever handed out while
#   an earlier job has steps to go.
_AFTER_HEAD = f"""
    SELECT j.id, j.queue_seq FROM jobs j
    WHERE j.tenant_id = :tenant_id AND j.{OPEN_JOB_CONDITION}
      AND j.queue_seq > (SELECT h.queue_seq FROM jobs h WHERE h.id = :job_id)
    ORDER BY j.queue_seq
    LIMIT :limit
"""
_NEXT_OF_AFTER = """
    SELECT a.id AS job_id, a.queue_seq, s.id,
           {last} AS last
    FROM behind a JOIN job_steps s ON {runnable}
    WHERE s.kind = 'qbxml_request' AND s.phase = 'send' AND s.attempts = 0
""".format(
    last=_IS_LAST.format(step="s"),
    runnable=_STEP_RUNNABLE.replace("{job}", "a.id"),
)
_PICKED = """
    SELECT n.id FROM next n
    WHERE n.id IN (SELECT id FROM {taken}) AND NOT EXISTS (
        SELECT 1 FROM behind b
        WHERE b.queue_seq < n.queue_seq AND NOT EXISTS (
            SELECT 1 FROM next m WHERE m.job_id = b.id AND m.last AND m.id IN (SELECT id FROM {taken})
        )
    )
"""
# Each companion's place in the queue, for the order of the message set.
_QUEUE_SEQ_OF_STEP = "(SELECT q.queue_seq FROM jobs q WHERE q.id = job_steps.job_id) AS queue_seq"
_TAKE_COMPANIONS = """
    UPDATE job_steps SET state = 'in_flight', session_id = :session_id, claimed_at = :now,
                         attempts = attempts + 1
"""
_CLAIM_COMPANIONS = {
    # PostgreSQL: each CTE is materialized, so it runs once (a claim written as ``id IN (SELECT …
    # LIMIT n FOR UPDATE SKIP LOCKED)`` once took more than n steps: the plan ran the subquery more
    # than once). ``locked`` locks the candidates, skipping rows another session is claiming right
    # now; a skipped one ends the run like a step that must wait. ``state = 'queued'`` keeps the take
    # a compare-and-set.
    "postgresql": Statement(
        f"WITH behind AS MATERIALIZED ({_AFTER_HEAD}), next AS MATERIALIZED ({_NEXT_OF_AFTER}), "
        "locked AS MATERIALIZED ("
        "SELECT id FROM job_steps WHERE id IN (SELECT id FROM next) FOR UPDATE SKIP LOCKED), "
        f"picked AS ({_PICKED.format(taken='locked')}), "
        f"claimed AS ({_TAKE_COMPANIONS} FROM picked "
        "WHERE job_steps.id = picked.id AND job_steps.state = 'queued' "
        "RETURNING " + ", ".join(f"job_steps.{column}" for column in _STEP_COLUMNS.split(", "))
        + f", {_QUEUE_SEQ_OF_STEP}), "
        # Their jobs in flight in the same statement, as with the first step (``_JOB_STARTED``).
        + _JOB_STARTED,
        timestamps=("now",),
        json_columns=("intent", "request_ids"),
    ),
    # SQLite: no row locks; the claim runs under the write lock taken at BEGIN, as ``_CLAIM`` does.
    "sqlite": Statement(
        f"WITH behind AS ({_AFTER_HEAD}), next AS ({_NEXT_OF_AFTER}) {_TAKE_COMPANIONS} "
        f"WHERE id IN ({_PICKED.format(taken='next')}) AND state = 'queued' "
        f"RETURNING {_STEP_COLUMNS}, {_QUEUE_SEQ_OF_STEP}",
        timestamps=("now",),
        json_columns=("intent", "request_ids"),
    ),
}
# The jobs of steps a session just claimed that are still 'queued' (only a job's first step can find
# its job so): in flight now. SQLite only (PostgreSQL: ``_JOB_STARTED``).
_JOBS_OF_SESSION_TO_IN_FLIGHT = Statement(
    "UPDATE jobs SET status = 'in_flight', updated_at = :now "
    "WHERE status = 'queued' AND id IN ("
    "SELECT job_id FROM job_steps WHERE session_id = :session_id AND state = 'in_flight' AND position = 0)",
    timestamps=("now",),
)

# Whether the tenant has a step to send now. EXISTS stops at the first one: the Web Connector asks
# after every answer, and a count read the tenant's whole backlog each time (through a backlog of
# 10,000 requests, each call read 10,000 rows: 15 ms of database CPU instead of about 1).
_ANY_RUNNABLE = Statement(
    f"SELECT EXISTS (SELECT 1 FROM job_steps s WHERE {_RUNNABLE.format(tenant=':tenant_id')}) AS runnable",
    timestamps=("now",),
)
# The requests waiting for a tenant, runnable now or later (a job's later steps, retries): read once
# when a session starts, as the plan its progress is measured against.
_COUNT_QUEUED = Statement(
    "SELECT count(*) AS queued FROM job_steps WHERE tenant_id = :tenant_id AND state = 'queued'"
)
_JOB_TO_IN_FLIGHT = Statement(
    "UPDATE jobs SET status = 'in_flight', updated_at = :now WHERE id = :job_id AND status = 'queued'",
    timestamps=("now",),
)
# The same for the step a batch's claim just gave the session: only a job's first step can find its
# job still queued (see claim_next_step).
_JOB_OF_CLAIM_TO_IN_FLIGHT = Statement(
    "UPDATE jobs SET status = 'in_flight', updated_at = :now "
    "WHERE status = 'queued' AND id IN ("
    f"SELECT job_id FROM job_steps WHERE session_id = {OPEN_SESSION_ID} "
    "AND state = 'in_flight' AND position = 0)",
    timestamps=("now", "cutoff"),
)
_MARK_SENT = Statement(
    "UPDATE job_steps SET request = :xml, request_ids = :request_ids, "
    "sent_qbxml_version = COALESCE(:sent_version, sent_qbxml_version) WHERE id = :step_id",
    json_params=("request_ids",),
)
# With each step, what settling it needs of its job (tenant, link, result), so a success is written
# in one batch with no ORM load (``mapping/steps.py``: ``apply_outcome``).
_IN_FLIGHT_BY_TICKET = Statement(
    "SELECT s.id, s.job_id, s.position, s.kind, s.intent, s.attempts, s.request_ids, s.phase, "
    "s.sent_qbxml_version, j.tenant_id AS job_tenant_id, j.link_entity AS job_link_entity, "
    "j.link_code AS job_link_code, j.result AS job_result "
    "FROM job_steps s JOIN jobs j ON j.id = s.job_id "
    f"WHERE s.session_id = {OPEN_SESSION_ID} AND s.state = 'in_flight' ORDER BY s.id",
    timestamps=("cutoff",),
    json_columns=("intent", "request_ids", "job_result"),
)
# A step whose answer was lost: when QuickBooks can be asked whether it saved it (reconcilable), it
# goes back to the queue to be reconciled before anything is re-sent; otherwise it waits for a person.
_ORPHAN_SQL = (
    "UPDATE job_steps SET "
    "state = CASE WHEN reconcilable THEN 'queued' ELSE 'unknown_outcome' END, "
    "phase = CASE WHEN reconcilable THEN 'reconcile' ELSE phase END, "
    "session_id = CASE WHEN reconcilable THEN NULL ELSE session_id END, "
    "completed_at = CASE WHEN reconcilable THEN NULL ELSE :now END, "
    "error = CASE WHEN reconcilable THEN :reconcile_note ELSE :error END "
    "WHERE session_id = {session} AND state = 'in_flight' RETURNING job_id"
)
_ORPHAN = Statement(_ORPHAN_SQL.format(session=":session_id"), timestamps=("now",))
_ORPHAN_BY_TICKET = Statement(_ORPHAN_SQL.format(session=OPEN_SESSION_ID), timestamps=("now", "cutoff"))
_SETTLE = Statement(
    "UPDATE job_steps SET state = :state, completed_at = :completed_at, "
    # A step put back in the queue belongs to no session any more; a settled one keeps its session.
    "session_id = CASE WHEN :final THEN session_id ELSE NULL END, "
    "not_before = :not_before, phase = COALESCE(:phase, phase), response = :response, "
    "status_code = :status_code, "
    "status_severity = :status_severity, status_message = :status_message, hresult = :hresult, "
    "error = :error, result = :result WHERE id = :step_id",
    timestamps=("completed_at", "not_before"),
    json_params=("result",),
)
_CANCEL_REST = Statement(
    "UPDATE job_steps SET state = 'cancelled', completed_at = :now, "
    "error = 'not sent: an earlier step failed' "
    "WHERE job_id = :job_id AND position > :position AND state = 'queued'",
    timestamps=("now",),
)
# A job's status derived from its steps and stored in one statement: the same rules as
# ``derive_job_status`` (kept in Python for reading), written as SQL so that settling a step costs
# one round trip for its job instead of a read and a write. ``d`` has exactly one row (an aggregate
# without GROUP BY), also for a job without steps ('cancelled', as in Python). The error is the first
# non-empty one of a deciding step (failed, else unknown outcome), kept when there is none; it and
# ``finished_at`` are cleared while the job is not final. The caller's transaction holds the row
# lock on ``jobs`` taken here until it commits, so two sessions settling steps of one job cannot
# interleave their derivations.
_UPDATE_JOB = Statement(
    """
    UPDATE jobs SET
        status = d.status,
        updated_at = :now,
        error = CASE
            WHEN d.status IN ('failed', 'unknown_outcome') THEN COALESCE(
                (SELECT e.error FROM job_steps e
                 WHERE e.job_id = :job_id AND e.state = d.status AND e.error <> ''
                 ORDER BY e.position LIMIT 1),
                error)
            WHEN d.status IN ('succeeded', 'cancelled') THEN error
            ELSE NULL END,
        finished_at = CASE
            WHEN d.status IN ('failed', 'unknown_outcome', 'succeeded', 'cancelled')
            THEN COALESCE(finished_at, :now) ELSE NULL END
    FROM (
        SELECT CASE
            WHEN count(CASE WHEN state = 'failed' THEN 1 END) > 0 THEN 'failed'
            WHEN count(CASE WHEN state = 'unknown_outcome' THEN 1 END) > 0 THEN 'unknown_outcome'
            WHEN count(CASE WHEN state = 'in_flight' THEN 1 END) > 0 THEN 'in_flight'
            WHEN count(CASE WHEN state = 'queued' THEN 1 END) > 0 THEN
                CASE WHEN count(CASE WHEN state = 'succeeded' THEN 1 END) > 0 THEN 'in_flight'
                     ELSE 'queued' END
            WHEN count(*) > 0 AND count(CASE WHEN state <> 'succeeded' THEN 1 END) = 0 THEN 'succeeded'
            ELSE 'cancelled' END AS status
        FROM job_steps WHERE job_id = :job_id
    ) AS d
    WHERE jobs.id = :job_id
    RETURNING jobs.status, jobs.link_entity, jobs.tenant_id, jobs.public_id, jobs.kind, jobs.error
    """,
    timestamps=("now",),
)
# A job's status before ``_UPDATE_JOB`` derives it again, read (on PostgreSQL, locked) in the same
# batch just before it, so that a job whose status has just become failed or unknown is told apart
# from one that already was (see ``_after_job_update``). Only read when a step has just failed or
# lost its answer: a success or a requeue cannot make a job fail.
_JOB_STATUS_BEFORE = {
    dialect: Statement(f"SELECT status FROM jobs WHERE id = :job_id {lock}")
    for dialect, lock in (("postgresql", "FOR UPDATE"), ("sqlite", ""))
}


SET_JOB_RESULT = Statement(
    "UPDATE jobs SET result = :result WHERE id = :job_id",
    json_params=("result",),
)


@dataclass(frozen=True, slots=True)
class JobRef:
    """What settling a step needs of its job, read with the step so no ORM load is needed."""

    tenant_id: str
    link_entity: str | None
    link_code: str | None
    result: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StepRef:
    """What the hot path needs of a step, without loading its request and response texts."""

    id: int
    job_id: int
    position: int
    kind: str
    intent: dict[str, Any]
    attempts: int
    request_ids: list[str] = field(default_factory=list)
    phase: str = "send"
    job: JobRef | None = None  # read with the step by ``start_receive``
    sent_version: str | None = None  # the qbXML version its own request was last written for
    # Whether it is its job's last step (known for a step just claimed as the first of a message set).
    last: bool = False


def _dialect(session: Session) -> str:
    return "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"


def claim_next_step(session: Session, *, tenant_id: str, session_id: int, now: dt.datetime) -> StepRef | None:
    """Hand the tenant's next runnable step to ``session_id``, or return None when there is none.

    Commit promptly after this: on PostgreSQL the claimed row stays locked until the transaction ends.
    """
    params = {"tenant_id": tenant_id, "session_id": session_id, "now": now}
    dialect = _dialect(session)
    rows = batch.run_one(session, _CLAIM_BY_ID[dialect], params)
    if not rows:
        return None
    if rows[0].position == 0 and dialect == "sqlite":
        # Only a job's first step can find it still 'queued' (see ``_JOB_STARTED``, which does this
        # within the claim on PostgreSQL).
        batch.run_one(session, _JOB_TO_IN_FLIGHT, {"now": now, "job_id": rows[0].job_id})
    return _step_ref(rows[0])


def shares_message(step: StepRef) -> bool:
    """Whether a step just claimed may take companions into its message set: it meets the condition
    ``_CLAIM_COMPANIONS`` puts on them (a typed request, phase ``send``, its first attempt), and it is
    its job's last step, so the steps of later jobs after it leave no earlier job with steps to go."""
    return step.kind == "qbxml_request" and step.phase == "send" and step.attempts == 1 and step.last


def claim_companions(
    session: Session, *, tenant_id: str, session_id: int, head: StepRef, now: dt.datetime, limit: int
) -> list[StepRef]:
    """Up to ``limit`` more steps for ``session_id``, to send in one message set after ``head``, the
    last step of the tenant's head job, which the session just claimed: steps of the jobs right after
    it in queue order, up to the first that must wait or go alone, and up to the first that is not its
    job's last (``_CLAIM_COMPANIONS``). One round trip; commit promptly, as after ``claim_next_step``."""
    if limit <= 0:
        return []
    params = {"tenant_id": tenant_id, "session_id": session_id, "now": now}
    dialect = _dialect(session)
    statements = [(_CLAIM_COMPANIONS[dialect], {**params, "job_id": head.job_id, "limit": limit})]
    if dialect == "sqlite":
        # PostgreSQL moves their jobs in flight within the claim (``_JOB_STARTED``).
        statements.append((_JOBS_OF_SESSION_TO_IN_FLIGHT, {"session_id": session_id, "now": now}))
    claimed = batch.run(session, statements)[0]
    # In queue order: QuickBooks processes a message set's requests in the order they are written.
    return [_step_ref(row) for row in sorted(claimed, key=lambda row: row.queue_seq)]


@dataclass(frozen=True, slots=True)
class SendStart:
    """What the first batch of a ``sendRequestXML`` found: the session (None when no open one has
    this ticket), the jobs of steps it left without an answer, and the step it now holds."""

    session: SessionRow | None
    orphaned_job_ids: list[int]
    step: StepRef | None


def start_send(
    session: Session,
    touch: dict[str, Any],
    *,
    orphan_reason: str,
) -> SendStart:
    """The start of a ``sendRequestXML`` in one batch (one round trip on PostgreSQL):

    1. touch the session (``db/sessions.py``: ``TOUCH``), which takes its row lock first, so a
       concurrent call of the same session waits here and then sees what this one did;
    2. orphan what the session still had in flight: one request at a time per session, so a new
       request while one is out means the earlier answer was lost;
    3. claim the tenant's next runnable step for the session;
    4. mark that step's job in flight when it is the job's first step.

    Steps 2–4 find the session by ticket (``OPEN_SESSION_ID``), so they do nothing when the touch found
    no open session. The caller refreshes the orphaned jobs (``refresh_job``).
    """
    params = {**touch, **_orphan_texts(orphan_reason)}
    dialect = _dialect(session)
    statements = [
        (TOUCH, touch),
        (_ORPHAN_BY_TICKET, params),
        (_CLAIM_BY_TICKET[dialect], touch),
    ]
    if dialect == "sqlite":
        # PostgreSQL does step 4 within the claim (``_JOB_STARTED``).
        statements.append((_JOB_OF_CLAIM_TO_IN_FLIGHT, touch))
    touched, orphaned, claimed = batch.run(session, statements)[:3]
    return SendStart(
        session=session_row(touched),
        orphaned_job_ids=sorted({row.job_id for row in orphaned}),
        step=_step_ref(claimed[0]) if claimed else None,
    )


def start_receive(session: Session, touch: dict[str, Any]) -> tuple[SessionRow | None, list[StepRef]]:
    """The start of a ``receiveResponseXML`` in one batch: touch the session (counting one more
    answered request) and read the steps it has in flight (one, or those sent together in one
    message set), found by ticket after the touch."""
    touched, in_flight = batch.run(
        session,
        [
            (TOUCH, touch),
            (_IN_FLIGHT_BY_TICKET, touch),
        ],
    )
    row = session_row(touched)
    if row is None:
        return None, []
    steps = [
        _step_ref(
            found,
            job=JobRef(
                tenant_id=found.job_tenant_id,
                link_entity=found.job_link_entity,
                link_code=found.job_link_code,
                result=dict(found.job_result or {}),
            ),
        )
        for found in in_flight
    ]
    return row, steps


def mark_sent(session: Session, sent: Sequence[tuple[StepRef, str, list[str], str | None]]) -> None:
    """Store what was sent for each step (its request, its requestIDs, and the qbXML version its own
    request was written for, None when what was sent is a reconciliation query): one round trip."""
    batch.run(
        session,
        [
            (
                _MARK_SENT,
                {"xml": xml, "request_ids": request_ids, "sent_version": sent_version, "step_id": step.id},
            )
            for step, xml, request_ids, sent_version in sent
        ],
    )


def has_runnable(session: Session, *, tenant_id: str, now: dt.datetime) -> bool:
    """Whether the tenant has a step a session could take now."""
    return bool(batch.run_one(session, _ANY_RUNNABLE, {"tenant_id": tenant_id, "now": now})[0].runnable)


@dataclass(frozen=True, slots=True)
class SessionOutcomes:
    """What a session's requests came to that needs a person: failed, or outcome unknown."""

    failed: int
    unknown: int


# The steps a session settled keep its id (``_SETTLE``): those it failed (an error from QuickBooks, a
# request that could not be written) and those it left without an answer.
_SESSION_OUTCOMES = Statement(
    "SELECT count(CASE WHEN state = 'failed' THEN 1 END) AS failed, "
    "count(CASE WHEN state = 'unknown_outcome' THEN 1 END) AS unknown "
    "FROM job_steps WHERE session_id = :session_id AND state IN ('failed', 'unknown_outcome')"
)


def session_outcomes(session: Session, *, session_id: int) -> SessionOutcomes:
    """How many of the requests this session took failed, or ended with an unknown outcome."""
    row = batch.run_one(session, _SESSION_OUTCOMES, {"session_id": session_id})[0]
    return SessionOutcomes(failed=int(row.failed), unknown=int(row.unknown))


def count_queued(session: Session, *, tenant_id: str) -> int:
    """The tenant's waiting steps, runnable now or later."""
    return int(batch.run_one(session, _COUNT_QUEUED, {"tenant_id": tenant_id})[0].queued)


def _step_ref(row: Any, *, job: JobRef | None = None) -> StepRef:
    return StepRef(
        id=row.id,
        job_id=row.job_id,
        position=row.position,
        kind=row.kind,
        intent=dict(row.intent or {}),
        attempts=row.attempts,
        request_ids=list(row.request_ids or []),
        phase=row.phase,
        job=job,
        sent_version=row.sent_qbxml_version,
        last=bool(getattr(row, "last", False)),
    )


# Steps sent in one message set were claimed in one transaction: they share its claimed_at.
_LATEST_UNKNOWN_OF_SESSION = Statement(
    "SELECT id, job_id, position, kind, intent, attempts, request_ids, phase, sent_qbxml_version "
    "FROM job_steps "
    "WHERE session_id = :session_id AND state = 'unknown_outcome' AND claimed_at = ("
    "SELECT max(claimed_at) FROM job_steps WHERE session_id = :session_id AND state = 'unknown_outcome') "
    "ORDER BY id",
    json_columns=("intent", "request_ids"),
).clause


def latest_unknown_steps(session: Session, *, session_id: int) -> list[StepRef]:
    """The steps of this (ended) session whose answer was lost most recently: the last message
    set's, one step or several."""
    rows = session.execute(_LATEST_UNKNOWN_OF_SESSION, {"session_id": session_id}).all()
    return [_step_ref(row) for row in rows]


@dataclass(slots=True)
class Answer:
    """What QuickBooks said about a step, as stored on it."""

    response: str | None = None
    status_code: int | None = None
    status_severity: str | None = None
    status_message: str | None = None
    hresult: str | None = None
    error: str | None = None
    result: dict[str, Any] = field(default_factory=dict)


def settle_step(
    session: Session,
    step: StepRef,
    state: StepState,
    answer: Answer,
    *,
    now: dt.datetime,
    not_before: dt.datetime | None = None,
    phase: str | None = None,
    before: Sequence[tuple[Statement, dict[str, Any]]] = (),
    check_runnable_for: str | None = None,
) -> bool | None:
    """Store QuickBooks' answer and the step's new state in one statement, then update its job.

    ``state`` is final, or ``queued`` (with ``not_before`` for a transient error to retry later, or
    with ``phase`` to send again after reconciliation found nothing). ``before``: statements of the
    caller's to run first in the same batch (what a success wrote: its link, the job's result).

    With ``check_runnable_for``, the batch ends by asking whether that tenant has a step to send
    (what ``has_runnable`` says), saving the Web Connector's answer a round trip, and returns it.
    What ``_after_job_update`` does next cannot change it: the jobs it fails were waiting for this one,
    and a job waiting for an unfinished one is not runnable.
    """
    final = state != StepState.QUEUED
    statements: list[tuple[Statement, dict[str, Any]]] = [
        *before,
        (
            _SETTLE,
            {
                "state": state.value,
                "completed_at": now if final else None,
                "final": final,
                "not_before": not_before,
                "phase": phase,
                "step_id": step.id,
                "response": answer.response,
                "status_code": answer.status_code,
                "status_severity": answer.status_severity,
                "status_message": answer.status_message,
                "hresult": answer.hresult,
                "error": answer.error,
                "result": answer.result,
            },
        ),
    ]
    if state == StepState.FAILED:
        # A failed step stops its own job: the steps after it will never run.
        statements.append((_CANCEL_REST, {"now": now, "job_id": step.job_id, "position": step.position}))
    before_index = None
    if state in {StepState.FAILED, StepState.UNKNOWN_OUTCOME}:
        before_index = len(statements)
        statements.append((_JOB_STATUS_BEFORE[_dialect(session)], {"job_id": step.job_id}))
    # The job is derived after its steps changed, in the same batch (one round trip on PostgreSQL).
    statements.append((_UPDATE_JOB, {"now": now, "job_id": step.job_id}))
    job_index = len(statements) - 1
    # The step that finishes a job confirms what the job reserved, still in the same batch. Only send
    # jobs reserve links (raw and retrieval jobs have no link entity).
    confirm = state == StepState.SUCCEEDED and (step.job is None or step.job.link_entity is not None)
    if confirm:
        statements.append((links.CONFIRM_IF_JOB_SUCCEEDED, {"now": now, "job_id": step.job_id}))
    if check_runnable_for is not None:
        statements.append((_ANY_RUNNABLE, {"tenant_id": check_runnable_for, "now": now}))
    results = batch.run(session, statements)
    if answer.status_code is not None:
        observed.note(session, observed.QUICKBOOKS_STATUS, code=str(answer.status_code))
    previous = results[before_index][0].status if before_index is not None else None
    _after_job_update(
        session, step.job_id, results[job_index][0], now=now, confirmed=confirm, previous=previous
    )
    return bool(results[-1][0].runnable) if check_runnable_for is not None else None


def finish_step(
    session: Session, step: StepRef, state: StepState, *, now: dt.datetime, error: str | None = None
) -> None:
    """Move a step to a final state without an answer from QuickBooks (e.g. it could not be rendered)."""
    settle_step(session, step, state, Answer(error=error), now=now)


_PARK_UNKNOWN = Statement(
    "UPDATE job_steps SET state = 'unknown_outcome', reconcilable = FALSE, phase = 'send', "
    "completed_at = :now, error = :error WHERE id = :step_id",
    timestamps=("now",),
)


def park_unknown(session: Session, step: StepRef, *, now: dt.datetime, error: str) -> None:
    """A step whose answer was lost and that QuickBooks cannot be asked about on this host: it waits
    for a person (``error`` says what to look for). Nothing will reconcile it, so the person's retry
    sends it again as it is (``retry_job``); a lost answer to that is again left to a person."""
    batch.run_one(session, _PARK_UNKNOWN, {"now": now, "error": error, "step_id": step.id})
    refresh_job(session, step.job_id, now=now)


def derive_job_status(states: Sequence[str]) -> JobStatus:
    """A job's status from its steps': a failure or an unknown outcome decides; then work still
    going on; a finished job is succeeded only when every step succeeded, and cancelled otherwise.

    ``_UPDATE_JOB`` applies the same rules in SQL; change both together."""
    present = set(states)
    if StepState.FAILED in present:
        return JobStatus.FAILED
    if StepState.UNKNOWN_OUTCOME in present:
        return JobStatus.UNKNOWN_OUTCOME
    if StepState.IN_FLIGHT in present:
        return JobStatus.IN_FLIGHT
    if StepState.QUEUED in present:
        return JobStatus.IN_FLIGHT if StepState.SUCCEEDED in present else JobStatus.QUEUED
    if present and present <= {StepState.SUCCEEDED}:
        return JobStatus.SUCCEEDED
    return JobStatus.CANCELLED


def refresh_job(session: Session, job_id: int, *, now: dt.datetime) -> JobStatus:
    """Derive the job's status from its steps and store it (with the deciding step's error)."""
    before, updated = batch.run(
        session,
        [
            (_JOB_STATUS_BEFORE[_dialect(session)], {"job_id": job_id}),
            (_UPDATE_JOB, {"now": now, "job_id": job_id}),
        ],
    )
    return _after_job_update(session, job_id, updated[0], now=now, previous=before[0].status)


_ENDED_BADLY = frozenset({JobStatus.FAILED, JobStatus.UNKNOWN_OUTCOME})
_FINISHED = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.UNKNOWN_OUTCOME, JobStatus.CANCELLED})


def _after_job_update(
    session: Session,
    job_id: int,
    row: Any,
    *,
    now: dt.datetime,
    confirmed: bool = False,
    previous: str | None = None,
) -> JobStatus:
    """What follows a job's new status: links released or confirmed (unless the caller's batch
    ``confirmed`` them already), dependents failed, and, when the job has just failed or lost its
    outcome (its status was ``previous``), a line for the operator. Every change of a job's status
    passes here."""
    status = JobStatus(row.status)
    if status in _FINISHED and previous != status:
        observed.note(session, observed.JOB_FINISHED, flow=row.kind, status=status.value)
    if previous is not None and previous != status and status in _ENDED_BADLY:
        outcome_log.note_job_ended(
            session,
            outcome_log.EndedJob(
                tenant_id=row.tenant_id,
                public_id=row.public_id,
                kind=row.kind,
                status=status.value,
                reason=row.error or "",
            ),
        )
    link_entity = row.link_entity
    # Keep any loaded Job object in step with the row just written.
    job = session.identity_map.get(session.identity_key(Job, job_id))
    if job is not None:
        session.expire(job)
    if status in {JobStatus.FAILED, JobStatus.CANCELLED}:
        links.release_for_job(session, job_id)
        _fail_dependents(session, job_id, now=now)
    elif status == JobStatus.UNKNOWN_OUTCOME:
        # Its links stay reserved (QuickBooks may have the document), but a job waiting for it cannot
        # run until a person settles it; left queued, that job would hold the tenant's queue.
        _fail_dependents(session, job_id, now=now)
    elif status == JobStatus.SUCCEEDED and link_entity is not None and not confirmed:
        # Only send jobs reserve links; raw and retrieval jobs have nothing to confirm.
        links.confirm_for_job(session, job_id, now=now)
    return status


_DEPENDENTS = text("SELECT id FROM jobs WHERE depends_on_job_id = :job_id AND status = 'queued'")
_FAIL_QUEUED_STEPS = Statement(
    "UPDATE job_steps SET state = 'failed', completed_at = :now, error = :error "
    "WHERE job_id = :job_id AND state = 'queued'",
    timestamps=("now",),
).clause


def _fail_dependents(session: Session, job_id: int, *, now: dt.datetime) -> None:
    """Jobs waiting for this one (a bill for a purchase order that could not be created, or whose
    outcome is unknown) cannot run: they fail, and are retried after it."""
    public_id = session.execute(select(jobs_table.c.public_id).where(jobs_table.c.id == job_id)).scalar_one()
    error = (
        f"Not sent: it needs what job {public_id} was creating in QuickBooks, and that job did not "
        "succeed. Fix and retry that job, then retry this one."
    )
    for dependent in session.execute(_DEPENDENTS, {"job_id": job_id}).scalars().all():
        session.execute(_FAIL_QUEUED_STEPS, {"now": now, "error": error, "job_id": dependent})
        refresh_job(session, dependent, now=now)


def _orphan_texts(reason: str) -> dict[str, str]:
    """The errors an orphaned step is left with: for a person, or while it is being reconciled."""
    return {
        "error": (
            f"The Web Connector session ended ({reason}) before QuickBooks' answer arrived, so we cannot "
            "tell whether QuickBooks saved this request. It will not be sent again automatically; check "
            "QuickBooks, then retry or cancel the job."
        ),
        "reconcile_note": (
            f"The Web Connector session ended ({reason}) before QuickBooks' answer arrived; qbbridge "
            "will ask QuickBooks whether it was saved before sending anything again."
        ),
    }


def orphan_in_flight(session: Session, *, session_id: int, reason: str, now: dt.datetime) -> int:
    """The session ended with requests still out: their outcome is unknown, never silently re-sent."""
    rows = batch.run_one(session, _ORPHAN, {"now": now, "session_id": session_id, **_orphan_texts(reason)})
    affected = sorted({row.job_id for row in rows})
    for job_id in affected:
        refresh_job(session, job_id, now=now)
    return len(affected)


def end_session(
    session: Session, wc_session: WcSession, *, state: SessionState, reason: str, now: dt.datetime
) -> None:
    wc_session.state = state
    wc_session.closed_at = now
    wc_session.close_reason = reason
    orphan_in_flight(session, session_id=wc_session.id, reason=reason, now=now)


_OPEN_SESSIONS_OLDER_THAN = Statement(
    "SELECT 1 FROM qbwc_sessions "
    "WHERE tenant_id = :tenant_id AND state = 'open' AND last_seen_at < :cutoff LIMIT 1",
    timestamps=("cutoff",),
).clause


def has_idle_sessions(session: Session, *, tenant_id: str, idle_since: dt.datetime) -> bool:
    """Cheap check before the locking work of expiring or superseding sessions (usually there are none)."""
    return (
        session.execute(_OPEN_SESSIONS_OLDER_THAN, {"cutoff": idle_since, "tenant_id": tenant_id}).first()
        is not None
    )


def expire_stale_sessions(
    session: Session, *, tenant_id: str | None, cutoff: dt.datetime, now: dt.datetime
) -> int:
    """Sessions of ``tenant_id`` (or all) silent since ``cutoff`` are expired; returns how many."""
    query = select(WcSession).where(WcSession.state == SessionState.OPEN, WcSession.last_seen_at < cutoff)
    if tenant_id is not None:
        query = query.where(WcSession.tenant_id == tenant_id)
    stale = list(session.scalars(query.with_for_update(skip_locked=True)))
    for wc_session in stale:
        end_session(session, wc_session, state=SessionState.EXPIRED, reason="it timed out", now=now)
    return len(stale)


def supersede_sessions(session: Session, *, tenant_id: str, idle_since: dt.datetime, now: dt.datetime) -> int:
    """A new session started: the tenant's open sessions silent since ``idle_since`` are over."""
    idle = list(
        session.scalars(
            select(WcSession)
            .where(
                WcSession.tenant_id == tenant_id,
                WcSession.state == SessionState.OPEN,
                WcSession.last_seen_at < idle_since,
            )
            .with_for_update(skip_locked=True)
        )
    )
    for wc_session in idle:
        end_session(
            session,
            wc_session,
            state=SessionState.CLOSED,
            reason="a newer Web Connector session started",
            now=now,
        )
    return len(idle)


def revoke_open_sessions(session: Session, *, tenant_id: str, reason: str, now: dt.datetime) -> int:
    open_sessions = list(
        session.scalars(
            select(WcSession).where(WcSession.tenant_id == tenant_id, WcSession.state == SessionState.OPEN)
        )
    )
    for wc_session in open_sessions:
        end_session(session, wc_session, state=SessionState.REVOKED, reason=reason, now=now)
    return len(open_sessions)


def cancel_job(session: Session, job: Job, *, now: dt.datetime) -> bool:
    """Cancel whatever of the job has not been sent. Returns False when nothing could be cancelled."""
    result = session.execute(
        update(steps_table)
        .where(steps_table.c.job_id == job.id, steps_table.c.state == StepState.QUEUED.value)
        .values(state=StepState.CANCELLED.value, completed_at=now, error="cancelled before it was sent")
    )
    if not affected_rows(result):
        return False
    refresh_job(session, job.id, now=now)
    return True


def is_finished(step: Step) -> bool:
    return step.state in FINISHED_STEP_STATES


__all__ = [
    "Answer",
    "NewStep",
    "StepRef",
    "cancel_job",
    "claim_companions",
    "claim_next_step",
    "count_queued",
    "derive_job_status",
    "end_session",
    "enqueue",
    "expire_stale_sessions",
    "finish_step",
    "has_runnable",
    "is_finished",
    "mark_sent",
    "orphan_in_flight",
    "park_unknown",
    "record_finished_job",
    "refresh_job",
    "requeue_at_end",
    "retry_job",
    "revoke_open_sessions",
    "session_outcomes",
    "settle_step",
    "shares_message",
    "supersede_sessions",
    "utcnow",
]


def record_finished_job(
    session: Session,
    *,
    tenant_id: str,
    kind: str,
    payload: dict[str, Any],
    status: JobStatus,
    result: dict[str, Any],
    now: dt.datetime,
    link_entity: str | None = None,
    link_code: str | None = None,
) -> Job:
    """A job with nothing to send (the entity is already in QuickBooks), kept for the history."""
    queue_seq = batch.run_one(session, NEXT_QUEUE_SEQ, {"tenant_id": tenant_id})[0].last_queue_seq
    job = Job(
        queue_seq=queue_seq,
        public_id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        kind=kind,
        status=status,
        payload=payload,
        warnings=[],
        result=result,
        created_at=now,
        updated_at=now,
        finished_at=now,
        link_entity=link_entity,
        link_code=link_code,
    )
    session.add(job)
    session.flush()
    return job


_RETRY_STEPS = text(
    "UPDATE job_steps SET "
    "phase = CASE WHEN state = 'unknown_outcome' AND reconcilable THEN 'reconcile' ELSE 'send' END, "
    "state = 'queued', session_id = NULL, not_before = NULL, completed_at = NULL, error = NULL "
    "WHERE job_id = :job_id AND state IN ('failed', 'cancelled', 'unknown_outcome')"
)


_TO_END_OF_QUEUE = Statement(
    f"UPDATE jobs SET queue_seq = {_TAKEN_QUEUE_SEQ} WHERE id = :job_id"
)


def retry_job(session: Session, job: Job, *, now: dt.datetime) -> Link | None:
    """Queue again what did not succeed, at the end of the tenant's queue as it is now (the job takes
    a new place: it goes after every job queued before the retry). Steps that succeeded are not
    repeated; a step whose outcome is unknown is first reconciled against QuickBooks when it can be,
    and sent as is otherwise (the person retrying has checked QuickBooks).

    Takes back the links the job had reserved; returns the link another job holds meanwhile (nothing
    is queued then, and the caller rolls back). A job still queued waiting for this one (queued while
    it was ending) fails, to be retried after it."""
    # The tenant's queue number first: it is the lock that orders retries and sends (NEXT_QUEUE_SEQ),
    # taken before the links' rows, as a send takes it before its own.
    batch.run_one(session, NEXT_QUEUE_SEQ, {"tenant_id": job.tenant_id})
    conflict = links.reserve_again(session, job, now=now)
    if conflict is not None:
        return conflict
    _fail_dependents(session, job.id, now=now)
    session.execute(_RETRY_STEPS, {"job_id": job.id})
    batch.run_one(session, _TO_END_OF_QUEUE, {"tenant_id": job.tenant_id, "job_id": job.id})
    session.execute(
        update(jobs_table)
        .where(jobs_table.c.id == job.id)
        .values(error=None, finished_at=None, updated_at=now)
    )
    refresh_job(session, job.id, now=now)
    return None


def requeue_at_end(session: Session, *, tenant_id: str, job_id: int) -> None:
    """A job that had ended has steps to go again (a late answer settled its unknown step): it takes
    the end of the queue, as a retry does, rather than its old place ahead of jobs already running."""
    batch.run_one(session, NEXT_QUEUE_SEQ, {"tenant_id": tenant_id})
    batch.run_one(session, _TO_END_OF_QUEUE, {"tenant_id": tenant_id, "job_id": job_id})
