"""The request queue: jobs, their ordered steps, and how a Web Connector session claims them.

Rules (see ``db/states.py`` for the states):

* A step is handed to exactly one session. The claim is one ``UPDATE … WHERE state = 'queued'``;
  on PostgreSQL its candidate is picked with ``FOR UPDATE SKIP LOCKED`` so concurrent sessions of
  one tenant never wait on each other's row, and on SQLite the whole claim runs under the database
  write lock (``BEGIN IMMEDIATE``, see ``db/engine.py``).
* Steps of one job run in order: a step is runnable only when every earlier step of its job has
  succeeded. Jobs of a tenant are handed out in the order they were queued.
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

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session, make_transient_to_detached

from db import batch, links, outcome_log
from db.batch import Statement
from db.models import Job, Step, WcSession, utcnow
from db.sessions import OPEN_SESSION_ID, OPEN_SESSION_TENANT, TOUCH, SessionRow, session_row
from db.states import FINISHED_STEP_STATES, JobStatus, SessionState, StepState

jobs_table = Job.__table__
steps_table = Step.__table__
_INSERT_JOB = insert(jobs_table).returning(jobs_table.c.id)
_INSERT_STEPS = insert(steps_table)


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
    if not steps:
        raise ValueError("a job needs at least one step")
    now = utcnow()
    values: dict[str, Any] = {
        "public_id": str(uuid.uuid4()),
        "tenant_id": tenant_id,
        "kind": kind,
        "status": JobStatus.QUEUED.value,
        "error": None,
        "payload": payload,
        "warnings": list(warnings),
        "result": {},
        "link_entity": link_entity,
        "link_code": link_code,
        "depends_on_job_id": depends_on_job_id,
        "created_at": now,
        "updated_at": now,
        "finished_at": None,
    }
    # Two Core statements, both built once: the job's INSERT … RETURNING id, and one executemany for
    # its steps. The ORM's unit of work, and even its INSERT … RETURNING of a whole Job, cost more
    # than the statements themselves here, and queueing is the admin API's hot path.
    job_id = session.execute(_INSERT_JOB, values).scalar_one()
    session.execute(
        _INSERT_STEPS,
        [
            {
                "job_id": job_id,
                "tenant_id": tenant_id,
                "position": position,
                "kind": new_step.kind,
                "intent": new_step.intent,
                "reconcilable": new_step.reconcilable,
                "phase": "send",
                "state": StepState.QUEUED.value,
                "request_ids": [],
                "result": {},
                "attempts": 0,
                "created_at": now,
            }
            for position, new_step in enumerate(steps)
        ],
    )
    # The caller gets the Job as stored, attached to the session as if it had been read back (callers
    # may still change it, e.g. a retrieval's initial result), without reading it back.
    job = Job(id=job_id, **values)
    make_transient_to_detached(job)
    session.add(job)
    return job


# The runnable-step condition, shared by the claim and the counts. ``{tenant}`` is the tenant's id:
# ``:tenant_id``, or the tenant of the session found by ticket when sent in a batch (see start_send).
# Bound parameter: now.
_RUNNABLE = """
    s.tenant_id = {tenant}
    AND s.state = 'queued'
    AND (s.not_before IS NULL OR s.not_before <= :now)
    AND NOT EXISTS (
        SELECT 1 FROM job_steps p
        WHERE p.job_id = s.job_id AND p.position < s.position AND p.state <> 'succeeded'
    )
    AND NOT EXISTS (
        SELECT 1 FROM jobs j JOIN jobs d ON d.id = j.depends_on_job_id
        WHERE j.id = s.job_id AND d.status <> 'succeeded'
    )
"""

# The claim. The candidate is picked and taken in one statement; ``AND state = 'queued'`` makes the
# take a compare-and-set. On PostgreSQL ``{lock}`` is ``FOR UPDATE SKIP LOCKED``: a row another
# session is claiming right now is skipped instead of waited for. SQLite has no row locks; there the
# whole claim runs under the database write lock taken at BEGIN (``BEGIN IMMEDIATE``, db/engine.py).
# ``{session}`` is the claiming session's id (``:session_id``, or found by ticket in a batch); the
# claim takes nothing when it is NULL (no open session).
_CLAIM = """
    UPDATE job_steps SET state = 'in_flight', session_id = {session}, claimed_at = :now,
                         attempts = attempts + 1
    WHERE id = (
        SELECT s.id FROM job_steps s
        WHERE {runnable}
        ORDER BY s.job_id, s.position
        LIMIT 1
        {lock}
    ) AND state = 'queued' AND {session} IS NOT NULL
    RETURNING id, job_id, position, kind, intent, attempts, request_ids, phase, sent_qbxml_version
"""


def _claim(*, session: str, tenant: str, lock: str, timestamps: tuple[str, ...]) -> Statement:
    return Statement(
        _CLAIM.format(session=session, runnable=_RUNNABLE.format(tenant=tenant), lock=lock),
        timestamps=timestamps,
        json_columns=("intent", "request_ids"),
    )


_LOCKS = {"postgresql": "FOR UPDATE SKIP LOCKED", "sqlite": ""}
_CLAIM_BY_ID = {
    # The cast gives the parameter a type where it is only tested for NULL (PostgreSQL prepares it).
    dialect: _claim(
        session="CAST(:session_id AS BIGINT)", tenant=":tenant_id", lock=lock, timestamps=("now",)
    )
    for dialect, lock in _LOCKS.items()
}
_CLAIM_BY_TICKET = {
    dialect: _claim(
        session=OPEN_SESSION_ID, tenant=OPEN_SESSION_TENANT, lock=lock, timestamps=("now", "cutoff")
    )
    for dialect, lock in _LOCKS.items()
}

# The claim of the steps that travel with a first one in the same message set (see claim_companions).
# ``next`` is the tenant's next runnable steps in queue order, as many as may join; of those, the ones
# taken are the run of shareable steps at its head: typed requests (``qbxml_request``) on their first
# attempt, in phase ``send``. The run ends at the first step that must go alone (raw qbXML, sent as
# given; a retrieval page; a retry or a reconciliation, so that whatever happened to a step tried
# before is told apart from its neighbours' outcomes), so the tenant's jobs still reach QuickBooks in
# the order they were queued. At most one step of a job is runnable at a time (each waits for the one
# before it to succeed), so these are steps of as many different jobs.
_NEXT_STEPS = """
    SELECT s.id, s.job_id, s.position,
           (s.kind = 'qbxml_request' AND s.phase = 'send' AND s.attempts = 0) AS shareable
    FROM job_steps s
    WHERE {runnable}
    ORDER BY s.job_id, s.position
    LIMIT :limit
""".format(runnable=_RUNNABLE.format(tenant=":tenant_id"))
_SHAREABLE_HEAD = """
    SELECT n.id FROM next n
    WHERE n.shareable AND NOT EXISTS (
        SELECT 1 FROM next b
        WHERE NOT b.shareable AND (b.job_id < n.job_id OR (b.job_id = n.job_id AND b.position < n.position))
    )
"""
_TAKE_COMPANIONS = """
    UPDATE job_steps SET state = 'in_flight', session_id = :session_id, claimed_at = :now,
                         attempts = attempts + 1
"""
_COMPANION_COLUMNS = "id, job_id, position, kind, intent, attempts, request_ids, phase, sent_qbxml_version"
_CLAIM_COMPANIONS = {
    # PostgreSQL: the next steps are picked and locked once, in a materialized CTE, skipping rows
    # another session is claiming (``FOR UPDATE SKIP LOCKED``), then the head is taken. (A claim
    # written as ``id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`` took more than n steps in the
    # tests: the plan ran the subquery more than once.) ``state = 'queued'`` keeps the take a
    # compare-and-set.
    "postgresql": Statement(
        f"WITH next AS MATERIALIZED ({_NEXT_STEPS} FOR UPDATE SKIP LOCKED), picked AS ({_SHAREABLE_HEAD}) "
        f"{_TAKE_COMPANIONS} FROM picked WHERE job_steps.id = picked.id AND job_steps.state = 'queued' "
        "RETURNING " + ", ".join(f"job_steps.{column}" for column in _COMPANION_COLUMNS.split(", ")),
        timestamps=("now",),
        json_columns=("intent", "request_ids"),
    ),
    # SQLite: no row locks; the claim runs under the write lock taken at BEGIN, as ``_CLAIM`` does.
    "sqlite": Statement(
        f"WITH next AS ({_NEXT_STEPS}) {_TAKE_COMPANIONS} "
        f"WHERE id IN ({_SHAREABLE_HEAD}) AND state = 'queued' RETURNING {_COMPANION_COLUMNS}",
        timestamps=("now",),
        json_columns=("intent", "request_ids"),
    ),
}
# The jobs of steps a session just claimed that are still 'queued' (only a job's first step can find
# its job so): in flight now.
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


def _dialect(session: Session) -> str:
    return "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"


def claim_next_step(session: Session, *, tenant_id: str, session_id: int, now: dt.datetime) -> StepRef | None:
    """Hand the tenant's next runnable step to ``session_id``, or return None when there is none.

    Commit promptly after this: on PostgreSQL the claimed row stays locked until the transaction ends.
    """
    params = {"tenant_id": tenant_id, "session_id": session_id, "now": now}
    rows = batch.run_one(session, _CLAIM_BY_ID[_dialect(session)], params)
    if not rows:
        return None
    if rows[0].position == 0:
        # Only a job's first step can find it still 'queued': a later step is runnable only once
        # every earlier one succeeded, and settling those already derived the job 'in_flight'
        # (refresh_job runs after every change of a step's state).
        batch.run_one(session, _JOB_TO_IN_FLIGHT, {"now": now, "job_id": rows[0].job_id})
    return _step_ref(rows[0])


def shares_message(step: StepRef) -> bool:
    """Whether a step just claimed may take companions into its message set: the condition
    ``_CLAIM_COMPANIONS`` puts on them (a typed request, phase ``send``, its first attempt)."""
    return step.kind == "qbxml_request" and step.phase == "send" and step.attempts == 1


def claim_companions(
    session: Session, *, tenant_id: str, session_id: int, now: dt.datetime, limit: int
) -> list[StepRef]:
    """Up to ``limit`` more steps for ``session_id``, to send in one message set with the step it
    just claimed: the tenant's next runnable steps in queue order, up to the first that must go
    alone (``_CLAIM_COMPANIONS``). One round trip; commit promptly, as after ``claim_next_step``."""
    if limit <= 0:
        return []
    params = {"tenant_id": tenant_id, "session_id": session_id, "now": now}
    claimed, _ = batch.run(
        session,
        [
            (_CLAIM_COMPANIONS[_dialect(session)], {**params, "limit": limit}),
            (_JOBS_OF_SESSION_TO_IN_FLIGHT, {"session_id": session_id, "now": now}),
        ],
    )
    return sorted((_step_ref(row) for row in claimed), key=lambda step: (step.job_id, step.position))


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
    touched, orphaned, claimed, _ = batch.run(
        session,
        [
            (TOUCH, touch),
            (_ORPHAN_BY_TICKET, params),
            (_CLAIM_BY_TICKET[_dialect(session)], touch),
            (_JOB_OF_CLAIM_TO_IN_FLIGHT, touch),
        ],
    )
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
    job = session.identity_map.get(session.identity_key(Job, job_id))  # type: ignore[arg-type]
    if job is not None:
        session.expire(job)
    if status in {JobStatus.FAILED, JobStatus.CANCELLED}:
        links.release_for_job(session, job_id)
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
    """Jobs waiting for this one (a bill for a purchase order that could not be created) cannot run."""
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
    if not result.rowcount:
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
    job = Job(
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


def retry_job(session: Session, job: Job, *, now: dt.datetime) -> None:
    """Queue again what did not succeed. Steps that succeeded are not repeated; a step whose outcome
    is unknown is first reconciled against QuickBooks when it can be, and sent as is otherwise (the
    person retrying has checked QuickBooks)."""
    session.execute(_RETRY_STEPS, {"job_id": job.id})
    session.execute(
        update(jobs_table)
        .where(jobs_table.c.id == job.id)
        .values(error=None, finished_at=None, updated_at=now)
    )
    refresh_job(session, job.id, now=now)
