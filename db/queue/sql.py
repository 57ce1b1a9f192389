"""The queue's SQL: its statements on jobs, their steps and the Web Connector sessions that take them,
named, with what each locks said where it locks. The other modules of the package compose these."""

from __future__ import annotations

from sqlalchemy import text

from db.batch import Statement
from db.models import OPEN_JOB_CONDITION, Job, Step, WcSession, table_of
from db.queue.refs import STEP_ID_STAND_IN
from db.states import JobStatus, StepState, job_status_sql

jobs_table = table_of(Job)
steps_table = table_of(Step)
sessions_table = table_of(WcSession)


# --- the Web Connector session -----------------------------------------------------------------
#
# Every SOAP call of a session starts with ``TOUCH``: one ``UPDATE … RETURNING`` finds the open,
# unexpired session by its ticket digest and marks it seen; it takes the session's row lock first. It
# is sent in one batch with the call's next statements (``claim.py``: ``start_send``,
# ``start_receive``).
TOUCH = Statement(
    """
    UPDATE qbwc_sessions
    SET last_seen_at = :now,
        company_file = COALESCE(:company_file, company_file),
        country = COALESCE(:country, country),
        qbxml_version = COALESCE(qbxml_version, :qbxml_version),
        steps_done = steps_done + :step
    WHERE ticket_digest = :ticket_digest AND state = 'open' AND last_seen_at >= :cutoff
    RETURNING id, tenant_id, qbxml_version, country, company_file, client_version, hcp_received,
              steps_done, waits, planned_steps
    """,
    timestamps=("now", "cutoff"),
)

# The session that TOUCH found, for the statements sent in the same batch after it (db/batch.py: a
# statement cannot take an earlier one's result as a parameter). After the touch its last_seen_at is
# :now, so this finds it exactly when the touch did, and nothing when the touch found nothing.
_OPEN_SESSION = (
    "(SELECT {column} FROM qbwc_sessions "
    "WHERE ticket_digest = :ticket_digest AND state = 'open' AND last_seen_at >= :cutoff)"
)
OPEN_SESSION_ID = _OPEN_SESSION.format(column="id")
OPEN_SESSION_TENANT = _OPEN_SESSION.format(column="tenant_id")
# TOUCH counts one answered request; an answer to a message set of several counts the others.
COUNT_MORE_STEPS = Statement(
    "UPDATE qbwc_sessions SET steps_done = steps_done + :more WHERE id = :session_id"
)


# --- the queue's order -------------------------------------------------------------------------
#
# A tenant's jobs reach QuickBooks in the order they were accepted: no step of a job is handed out
# while a job before it in the tenant's queue still has steps to go (queued, waiting for a retry
# delay, in flight, or waiting for an earlier step's answer to be rendered). The order is
# ``jobs.queue_seq``: each job takes its tenant's next number when it is queued, and again when it is
# retried (so a retried job goes to the end of what is queued then).
#
# The number is taken by writing the tenant's row of ``tenant_queues``, which holds that row's lock
# until the transaction ends: of two transactions queueing for one tenant at once, the second waits
# for the first to commit and numbers its job after it, so the numbers follow the order in which jobs
# were accepted (committed), never the order in which their transactions began. A transaction takes
# it before any other lock of its own (see ``retry_job``), so the wait can never close a cycle.
# The row is narrow, apart from the tenant's wide one (migration 0015); the tenant's first job makes
# it (of two first jobs at once, the second waits on the first's insert, then updates it).
NEXT_QUEUE_SEQ = Statement(
    "INSERT INTO tenant_queues (tenant_id, last_queue_seq) VALUES (:tenant_id, 1) "
    "ON CONFLICT (tenant_id) DO UPDATE SET last_queue_seq = tenant_queues.last_queue_seq + 1 "
    "RETURNING last_queue_seq"
)
# The number NEXT_QUEUE_SEQ just took, for a statement sent after it in the same batch.
# (The cast gives the tenant's id the type its other uses give it, so PostgreSQL can prepare both.)
_TAKEN_QUEUE_SEQ = "(SELECT last_queue_seq FROM tenant_queues WHERE tenant_id = CAST(:tenant_id AS VARCHAR))"

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
    "request_ids, result, attempts, created_at, prepared_request, prepared_level, prepared_requests) "
    f"VALUES ({JOB_BY_PUBLIC_ID}, :tenant_id, :position, :kind, :intent, :reconcilable, 'send', "
    f"'{StepState.QUEUED.value}', '[]', '{{}}', 0, :now, :prepared_request, :prepared_level, "
    ":prepared_requests)",
    json_params=["intent"],
    timestamps=["now"],
)


# The tenant's head job: the first, in queue order, of its jobs with steps still to go; only its
# steps can be handed out. ``{tenant}`` is the tenant's id (``:tenant_id``, or the tenant of the
# session found by ticket when sent in a batch, see start_send). The scan is ``ix_jobs_open_queue``
# in order: finished jobs are not in it, so it stops at the first row whatever the history.
#
# A job waiting for another that ended without succeeding is passed over: it can never run. Such a
# job is failed when the job it waits for fails, is cancelled or ends with an unknown outcome
# (``fail_dependents``), a send is not queued behind a job that ended so (mapping/sending.py), and a
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


# Rows found by key, or by their job, that must still be queued: ``id = … AND _still_queued(…)``,
# of a step's ``state`` or a job's ``status`` (``_STILL_QUEUED`` below).
# Written plainly (``state = 'queued'``), the test could be answered from the partial index of
# waiting steps (``ix_job_steps_waiting``, whose predicate it implies), and PostgreSQL's generic plan
# of a prepared statement did so whenever its statistics held few queued steps (taken on a new table,
# or on a long history before a backlog came, too small a part of the table for autovacuum to look
# again): it read every queued step of every tenant, twice a claim (4,005 rows read with 2,000 steps
# queued, tests/foundation/test_claim_plan.py; a claim at a backlog of 10,000 steps took 10–14 ms of
# PostgreSQL's executor time instead of under 1, bench/claim_statistics.py). Through COALESCE (the
# column is NOT NULL: the same test) the condition implies nothing of that index, and the steps are
# found by primary key, or by their job's index, whatever the statistics say. SQLite finds them so
# either way.
def _still_queued(column: str) -> str:
    return f"COALESCE({column}, '') = 'queued'"


# A session's steps in one state, or a tenant's: ``session_id = … AND _state_is("state", …)``. A
# range of one value is the same test, but implies nothing of the waiting steps' partial index, so
# the generic plan cannot answer it from there (every tenant's steps in that state: with 1,980
# requests out in other sessions, each call's look at its own session's read them all,
# tests/foundation/test_claim_plan.py), and it still uses both columns of the index it is meant for
# (``ix_job_steps_session``: session, state; ``ix_job_steps_queue``: tenant, state), where COALESCE
# would leave only the first, and read the session's or tenant's whole history.
def _state_is(column: str, state: str) -> str:
    return f"{column} >= '{state}' AND {column} <= '{state}'"


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
    AND {queued}
    AND (s.not_before IS NULL OR s.not_before <= :now)
    AND NOT EXISTS (
        SELECT 1 FROM jobs j JOIN jobs d ON d.id = j.depends_on_job_id
        WHERE j.id = s.job_id AND d.status <> 'succeeded'
    )
""".replace("{queued}", _still_queued("s.state"))

# The runnable-step condition, shared by the claim and the check for work: a runnable step of the
# tenant's head job.
_RUNNABLE = _STEP_RUNNABLE.replace("{job}", _HEAD_JOB)

# Whether a step is its job's last: the steps after it in a shared message set then leave no earlier
# job with steps still to go (QuickBooks processes a message set's requests in order).
_IS_LAST = (
    "NOT EXISTS (SELECT 1 FROM job_steps l WHERE l.job_id = {step}.job_id AND l.position > {step}.position)"
)

# The claim. The candidate is picked and taken in one statement; testing again that it is queued
# makes the take a compare-and-set. On PostgreSQL ``{lock}`` is ``FOR UPDATE SKIP LOCKED``: a row
# another session is claiming right now is skipped instead of waited for (the other session holds
# the head job's next step, so this one finds nothing to take, and the order holds). SQLite has no
# row locks; there the whole claim runs under the database write lock taken at BEGIN (``BEGIN
# IMMEDIATE``, db/engine.py). ``{session}`` is the claiming session's id (``:session_id``, or found
# by ticket in a batch); the claim takes nothing when it is NULL (no open session).
_STEP_COLUMNS = "id, job_id, position, kind, intent, attempts, request_ids, phase, sent_qbxml_version"
_CLAIM = """
    UPDATE job_steps SET state = 'in_flight', session_id = {session}, claimed_at = :now,
                         attempts = attempts + 1{prepared_sent}
    WHERE id = (
        SELECT s.id FROM job_steps s
        WHERE {runnable}
        {lock}
    ) AND {queued} AND {session} IS NOT NULL{only_ready}
    RETURNING {columns}, {last} AS last
"""


# On PostgreSQL the claim also moves the claimed step's job to in flight, in the same statement: a
# data-modifying CTE (``claimed``) whose rows the outer UPDATE of ``jobs`` reads. Only a job's first
# step can find its job still 'queued': a later step is runnable only once every earlier one
# succeeded, and settling those already derived the job 'in_flight'. SQLite has no data-modifying
# CTEs: it runs the move as a statement of its own after the claim.
# The job is found by primary key, and written so that PostgreSQL cannot find it another way,
# whatever its statistics say: a claim takes one step, so its job is one key (``=``, which the planner
# knows gives one row; ``= ANY(ARRAY(…))`` of a message set's companions joins the claimed rows), and
# the status test goes through COALESCE (the column is NOT NULL: the same test) so that it does not
# imply the predicate of ``ix_jobs_open_queue`` (open jobs). Written plainly, the move was answered
# from that partial index with statistics taken before the jobs came (a new or quickly growing
# table): a scan of every open job of every tenant, all but one thrown away, at each first step
# claimed (1,000 index entries read for one job under bench/soap_sessions.py, about a third of
# PostgreSQL's time a call; tests/foundation/test_claim_plan.py).
_STILL_QUEUED = _still_queued("jobs.status")
_JOB_STARTED = (
    "started AS (UPDATE jobs SET status = 'in_flight', updated_at = :now "
    f"WHERE jobs.id = (SELECT c.job_id FROM claimed c WHERE c.position = 0) AND {_STILL_QUEUED})"
)
_JOBS_STARTED = (
    "started AS (UPDATE jobs SET status = 'in_flight', updated_at = :now FROM claimed c "
    f"WHERE jobs.id = c.job_id AND c.position = 0 AND {_STILL_QUEUED}) "
    "SELECT * FROM claimed"
)


# A step prepared when it was queued (``prepared_request``, migration 0020) is marked sent by its
# claim itself, on PostgreSQL, when the claiming session's host takes it as it is: phase ``send``
# (a reconciliation sends a query instead) and a host level (the session's qbXML version, major *
# 100 + minor, read once in the CTE ``host``) at least the request's own. The claim then writes what
# is sent, with the step's id in place of the stand-in, and its requestIDs, and returns it as
# ``sent_xml`` without the intent: the call has nothing to render and no second statement to write,
# only its COMMIT. Otherwise ``sent_xml`` is NULL and the step is rendered and stored after the
# claim (``MARK_SENT``), as every step is on SQLite. A session version not of the form the service
# writes (or none) gives no level, and the step is rendered as before.
_HOST = (
    "host AS (SELECT CAST(split_part(h.qbxml_version, '.', 1) AS INTEGER) * 100"
    " + CAST(split_part(h.qbxml_version, '.', 2) AS INTEGER) AS level"
    " FROM qbwc_sessions h WHERE h.id = {session}"
    " AND h.qbxml_version ~ '^[0-9][0-9]?[0-9]?[.][0-9][0-9]?$')"
)
_PREPARED_READY = (
    "(job_steps.prepared_request IS NOT NULL AND job_steps.phase = 'send' "
    "AND job_steps.prepared_level <= (SELECT level FROM host))"
)
_PREPARED_SENT = """,
        request = CASE WHEN {ready}
            THEN replace(job_steps.prepared_request, '{stand_in}', CAST(job_steps.id AS TEXT))
            ELSE job_steps.request END,
        request_ids = CASE WHEN {ready}
            THEN (SELECT json_agg(CAST(job_steps.id AS TEXT) || '.' || n ORDER BY n)
                  FROM generate_series(0, job_steps.prepared_requests - 1) AS n)
            ELSE job_steps.request_ids END"""
_PREPARED_COLUMNS = (
    "id, job_id, position, kind, CASE WHEN {ready} THEN NULL ELSE intent END AS intent, attempts, "
    "request_ids, phase, sent_qbxml_version, CASE WHEN {ready} THEN request END AS sent_xml"
)


# The claim of a sendRequestXML sent whole in one round trip, its COMMIT included
# (``CLAIM_READY_BY_TICKET``, claim.py: ``send_prepared``): it takes the tenant's next step only
# when that step is ready as prepared (above) and the session has no request out. Then the call has
# nothing else to do: no render, nothing to store, nothing of the session's to orphan (a request
# still out would be, and its job brought up to date, which is Python's work). Otherwise it takes
# nothing, and the COMMIT commits the touch alone, which the call's second transaction, the usual
# one, makes again. It locks what the claim locks (the step, ``SKIP LOCKED``; its job when it is the
# first step), and, in ``wait_ended``, the session's row, which the touch before it already holds.
_ONLY_READY = (
    f" AND {_PREPARED_READY} AND NOT EXISTS (SELECT 1 FROM job_steps o "
    "WHERE o.session_id = {session} AND " + _state_is("o.state", "in_flight") + ")"
)


def _claim(
    *,
    session: str,
    tenant: str,
    lock: str,
    timestamps: tuple[str, ...],
    dialect: str,
    only_ready: bool = False,
) -> Statement:
    sent, columns = "", _STEP_COLUMNS
    if dialect == "postgresql":
        sent = _PREPARED_SENT.format(ready=_PREPARED_READY, stand_in=STEP_ID_STAND_IN)
        columns = _PREPARED_COLUMNS.format(ready=_PREPARED_READY)
    claim = _CLAIM.format(
        session=session,
        runnable=_RUNNABLE.format(tenant=tenant),
        lock=lock,
        columns=columns,
        last=_IS_LAST.format(step="job_steps"),
        prepared_sent=sent,
        queued=_still_queued("job_steps.state"),
        only_ready=_ONLY_READY.format(session=session) if only_ready else "",
    )
    if dialect == "postgresql":
        ctes = [_HOST.format(session=session), f"claimed AS ({claim})", _JOB_STARTED]
        if only_ready:
            # Ends the session's wait when it asked for one, in the same statement: a step is taken.
            ctes.append(_WAIT_ENDED.format(session=session))
        claim = f"WITH {', '.join(ctes)} SELECT * FROM claimed"
    return Statement(claim, timestamps=timestamps, json_columns=("intent", "request_ids"))


_WAIT_ENDED = (
    "wait_ended AS (UPDATE qbwc_sessions SET wait_requested = false "
    "WHERE id = {session} AND wait_requested AND EXISTS (SELECT 1 FROM claimed))"
)


_LOCKS = {"postgresql": "FOR UPDATE SKIP LOCKED", "sqlite": ""}
CLAIM_BY_ID = {
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
CLAIM_BY_TICKET = {
    dialect: _claim(
        session=OPEN_SESSION_ID,
        tenant=OPEN_SESSION_TENANT,
        lock=lock,
        timestamps=("now", "cutoff"),
        dialect=dialect,
    )
    for dialect, lock in _LOCKS.items()
}
# PostgreSQL only: SQLite marks nothing sent in a claim.
CLAIM_READY_BY_TICKET = _claim(
    session=OPEN_SESSION_ID,
    tenant=OPEN_SESSION_TENANT,
    lock=_LOCKS["postgresql"],
    timestamps=("now", "cutoff"),
    dialect="postgresql",
    only_ready=True,
)

# The claim of the steps that travel with a first one in the same message set (see claim_companions),
# the last step of the head job (``:job_id``). Only the jobs right after it in queue order may join,
# and only while every earlier job of the message set ends in it:
#
# * ``behind``: the next ``:limit`` jobs with steps to go, in queue order (the open-jobs index);
# * ``next``: each one's runnable step, if it has one, when it may share a message set (a typed
#   request: ``:shared_kind``, the kind mapping lets share) on its first attempt, in phase ``send``:
#   raw qbXML is sent as given, a retrieval page alone, and a retry or a reconciliation alone so
#   that whatever happened to a step tried before is told apart from its neighbours' outcomes), and
#   whether it is its job's last step;
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
    WHERE s.kind = :shared_kind AND s.phase = 'send' AND s.attempts = 0
""".format(
    last=_IS_LAST.format(step="s"),
    runnable=_STEP_RUNNABLE.replace("{job}", "a.id"),
)
# ``picked`` as a cut-off: the first job in ``behind`` whose step does not end it in this message
# set (none, not shareable, not its last, or not taken) is the last one any step may come from.
# Computed once (an uncorrelated subquery): the form "no job before this one lacks …" compared every
# pair of the run (bench/send_flows.py: 491–525 µs of executor time a claim, 377–384 µs this way).
_PICKED = """
    SELECT n.id FROM next n
    WHERE n.id IN (SELECT id FROM {taken}) AND n.queue_seq <= COALESCE((
        SELECT MIN(b.queue_seq) FROM behind b
        WHERE b.id NOT IN (SELECT m.job_id FROM next m WHERE m.last AND m.id IN (SELECT id FROM {taken}))
    ), n.queue_seq)
"""
# Each companion's place in the queue, for the order of the message set.
_QUEUE_SEQ_OF_STEP = "(SELECT q.queue_seq FROM jobs q WHERE q.id = job_steps.job_id) AS queue_seq"
_TAKE_COMPANIONS = """
    UPDATE job_steps SET state = 'in_flight', session_id = :session_id, claimed_at = :now,
                         attempts = attempts + 1
"""
CLAIM_COMPANIONS = {
    # PostgreSQL: each CTE is materialized, so it runs once (a claim written as ``id IN (SELECT …
    # LIMIT n FOR UPDATE SKIP LOCKED)`` once took more than n steps: the plan ran the subquery more
    # than once). ``locked`` locks the candidates, skipping rows another session is claiming right
    # now; a skipped one ends the run like a step that must wait. The queued test keeps the take
    # a compare-and-set.
    "postgresql": Statement(
        f"WITH behind AS MATERIALIZED ({_AFTER_HEAD}), next AS MATERIALIZED ({_NEXT_OF_AFTER}), "
        "locked AS MATERIALIZED ("
        "SELECT id FROM job_steps WHERE id IN (SELECT id FROM next) FOR UPDATE SKIP LOCKED), "
        f"picked AS ({_PICKED.format(taken='locked')}), "
        f"claimed AS ({_TAKE_COMPANIONS} FROM picked "
        f"WHERE job_steps.id = picked.id AND {_still_queued('job_steps.state')} "
        "RETURNING "
        + ", ".join(f"job_steps.{column}" for column in _STEP_COLUMNS.split(", "))
        + f", {_QUEUE_SEQ_OF_STEP}), "
        # Their jobs in flight in the same statement, as with the first step (``_JOB_STARTED``).
        + _JOBS_STARTED,
        timestamps=("now",),
        json_columns=("intent", "request_ids"),
    ),
    # SQLite: no row locks; the claim runs under the write lock taken at BEGIN, as ``_CLAIM`` does.
    "sqlite": Statement(
        f"WITH behind AS ({_AFTER_HEAD}), next AS ({_NEXT_OF_AFTER}) {_TAKE_COMPANIONS} "
        f"WHERE id IN ({_PICKED.format(taken='next')}) AND {_still_queued('job_steps.state')} "
        f"RETURNING {_STEP_COLUMNS}, {_QUEUE_SEQ_OF_STEP}",
        timestamps=("now",),
        json_columns=("intent", "request_ids"),
    ),
}
# The jobs of steps a session just claimed that are still 'queued' (only a job's first step can find
# its job so): in flight now. SQLite only (PostgreSQL: ``_JOB_STARTED``).
JOBS_OF_SESSION_TO_IN_FLIGHT = Statement(
    "UPDATE jobs SET status = 'in_flight', updated_at = :now "
    "WHERE status = 'queued' AND id IN ("
    "SELECT job_id FROM job_steps WHERE session_id = :session_id AND state = 'in_flight' AND position = 0)",
    timestamps=("now",),
)

# Whether the tenant has a step to send now. EXISTS stops at the first one: the Web Connector asks
# after every answer, and a count read the tenant's whole backlog each time (through a backlog of
# 10,000 requests, each call read 10,000 rows: 15 ms of database CPU instead of about 1).
ANY_RUNNABLE = Statement(
    f"SELECT EXISTS (SELECT 1 FROM job_steps s WHERE {_RUNNABLE.format(tenant=':tenant_id')}) AS runnable",
    timestamps=("now",),
)
# The requests waiting for a tenant, runnable now or later (a job's later steps, retries): read once
# when a session starts, as the plan its progress is measured against.
# The tenant's entries of ``ix_job_steps_queue`` (tenant, state), whatever the statistics say.
COUNT_QUEUED = Statement(
    "SELECT count(*) AS queued FROM job_steps "
    f"WHERE tenant_id = :tenant_id AND {_state_is('state', 'queued')}"
)
JOB_TO_IN_FLIGHT = Statement(
    "UPDATE jobs SET status = 'in_flight', updated_at = :now WHERE id = :job_id AND status = 'queued'",
    timestamps=("now",),
)
# The same for the step a batch's claim just gave the session: only a job's first step can find its
# job still queued (see claim_next_step).
JOB_OF_CLAIM_TO_IN_FLIGHT = Statement(
    "UPDATE jobs SET status = 'in_flight', updated_at = :now "
    "WHERE status = 'queued' AND id IN ("
    f"SELECT job_id FROM job_steps WHERE session_id = {OPEN_SESSION_ID} "
    "AND state = 'in_flight' AND position = 0)",
    timestamps=("now", "cutoff"),
)
MARK_SENT = Statement(
    "UPDATE job_steps SET request = :xml, request_ids = :request_ids, "
    "sent_qbxml_version = COALESCE(:sent_version, sent_qbxml_version) WHERE id = :step_id",
    json_params=("request_ids",),
)
# The session was asked to wait and now has work: sent with the requests, in the same batch.
CLEAR_WAIT = Statement("UPDATE qbwc_sessions SET wait_requested = false WHERE id = :session_id")
# The session asked to wait (``NoOp``) for work due within seconds, and what getLastError will say.
ASK_TO_WAIT = Statement(
    "UPDATE qbwc_sessions SET wait_requested = true, waits = :waits WHERE id = :session_id"
)
SET_LAST_ERROR = Statement("UPDATE qbwc_sessions SET last_error = :text WHERE id = :session_id")
# Whether any session, in any state, has this ticket: one read of the ticket's unique index, so that
# a ticket no session has (a guess, a connector pointed at another service) costs no ORM work.
SESSION_WITH_TICKET = Statement("SELECT id FROM qbwc_sessions WHERE ticket_digest = :ticket_digest")
# With each step, what settling it needs of its job (tenant, link, result), so a success is written
# in one batch with no ORM load (``mapping/steps.py``: ``apply_outcome``).
IN_FLIGHT_BY_TICKET = Statement(
    "SELECT s.id, s.job_id, s.position, s.kind, s.intent, s.attempts, s.request_ids, s.phase, "
    "s.sent_qbxml_version, j.tenant_id AS job_tenant_id, j.link_entity AS job_link_entity, "
    "j.link_code AS job_link_code, j.result AS job_result "
    "FROM job_steps s JOIN jobs j ON j.id = s.job_id "
    f"WHERE s.session_id = {OPEN_SESSION_ID} AND {_state_is('s.state', 'in_flight')} ORDER BY s.id",
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
    "WHERE session_id = {session} AND " + _state_is("state", "in_flight") + " RETURNING job_id"
)
ORPHAN = Statement(_ORPHAN_SQL.format(session=":session_id"), timestamps=("now",))
ORPHAN_BY_TICKET = Statement(_ORPHAN_SQL.format(session=OPEN_SESSION_ID), timestamps=("now", "cutoff"))
SETTLE = Statement(
    "UPDATE job_steps SET state = :state, completed_at = :completed_at, "
    # A step put back in the queue belongs to no session any more; a settled one keeps its session.
    "session_id = CASE WHEN :final THEN session_id ELSE NULL END, "
    # A prepared request is not kept past the step's end: a retry renders it (migration 0020).
    "prepared_request = CASE WHEN :final THEN NULL ELSE prepared_request END, "
    "not_before = :not_before, phase = COALESCE(:phase, phase), response = :response, "
    "status_code = :status_code, "
    "status_severity = :status_severity, status_message = :status_message, hresult = :hresult, "
    "error = :error, result = :result WHERE id = :step_id",
    timestamps=("completed_at", "not_before"),
    json_params=("result",),
)
CANCEL_REST = Statement(
    "UPDATE job_steps SET state = 'cancelled', completed_at = :now, "
    "error = 'not sent: an earlier step failed' "
    f"WHERE job_id = :job_id AND position > :position AND {_still_queued('job_steps.state')}",
    timestamps=("now",),
)
# A job's status derived from its steps and stored in one statement: the rule of db/states.py
# (JOB_STATUS_RULES, read in Python by ``derive_job_status``), written as SQL
# (``job_status_sql``) so that settling a step costs
# one round trip for its job instead of a read and a write. ``d`` has exactly one row (an aggregate
# without GROUP BY), also for a job without steps ('cancelled', as in Python). The error is the first
# non-empty one of a deciding step (failed, else unknown outcome), kept when there is none; it and
# ``finished_at`` are cleared while the job is not final. The caller's transaction holds the row
# lock on ``jobs`` taken here until it commits, so two sessions settling steps of one job cannot
# interleave their derivations.
UPDATE_JOB = Statement(
    f"""
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
        SELECT {job_status_sql()} AS status
        FROM job_steps WHERE job_id = :job_id
    ) AS d
    WHERE jobs.id = :job_id
    RETURNING jobs.status, jobs.link_entity, jobs.tenant_id, jobs.public_id, jobs.kind, jobs.error
    """,
    timestamps=("now",),
)
# A job's status before ``UPDATE_JOB`` derives it again, read (on PostgreSQL, locked) in the same
# batch just before it, so that a job whose status has just become failed or unknown is told apart
# from one that already was (see ``_after_job_update``). Only read when a step has just failed or
# lost its answer: a success or a requeue cannot make a job fail.
JOB_STATUS_BEFORE = {
    dialect: Statement(f"SELECT status FROM jobs WHERE id = :job_id {lock}")
    for dialect, lock in (("postgresql", "FOR UPDATE"), ("sqlite", ""))
}


SET_JOB_RESULT = Statement(
    "UPDATE jobs SET result = :result WHERE id = :job_id",
    json_params=("result",),
)


# The steps a session settled keep its id (``SETTLE``): those it failed (an error from QuickBooks, a
# request that could not be written) and those it left without an answer. ``{session}``: the
# session's id, or an expression giving it.
_OUTCOMES_OF = (
    "SELECT count(CASE WHEN state = 'failed' THEN 1 END) AS failed, "
    "count(CASE WHEN state = 'unknown_outcome' THEN 1 END) AS unknown "
    "FROM job_steps WHERE session_id = {session} AND state IN ('failed', 'unknown_outcome')"
)
SESSION_OUTCOMES = Statement(_OUTCOMES_OF.format(session=":session_id"))
# closeConnection in one batch (``wc_sessions.close_by_ticket``): what the session still had in
# flight is orphaned first (``ORPHAN_BY_TICKET``, which finds the session only while it is open), then
# the session is closed if it is open, then read in any state with what its requests came to.
CLOSE_BY_TICKET = Statement(
    "UPDATE qbwc_sessions SET state = 'closed', closed_at = :now, close_reason = :close_reason "
    "WHERE ticket_digest = :ticket_digest AND state = 'open'",
    timestamps=("now",),
)
# The ticket's session in any state (a ticket digest is unique).
_SESSION_BY_TICKET = "(SELECT id FROM qbwc_sessions WHERE ticket_digest = :ticket_digest)"
CLOSED_SESSION = Statement(
    "SELECT s.id, s.steps_done, s.refusal, s.last_error, o.failed, o.unknown "
    f"FROM qbwc_sessions s CROSS JOIN ({_OUTCOMES_OF.format(session=_SESSION_BY_TICKET)}) o "
    "WHERE s.ticket_digest = :ticket_digest"
)


# Steps sent in one message set were claimed in one transaction: they share its claimed_at.
LATEST_UNKNOWN_OF_SESSION = Statement(
    "SELECT id, job_id, position, kind, intent, attempts, request_ids, phase, sent_qbxml_version "
    "FROM job_steps "
    f"WHERE session_id = :session_id AND {_state_is('state', 'unknown_outcome')} AND claimed_at = ("
    "SELECT max(claimed_at) FROM job_steps "
    f"WHERE session_id = :session_id AND {_state_is('state', 'unknown_outcome')}) "
    "ORDER BY id",
    json_columns=("intent", "request_ids"),
).clause


PARK_UNKNOWN = Statement(
    "UPDATE job_steps SET state = 'unknown_outcome', reconcilable = FALSE, phase = 'send', "
    "completed_at = :now, error = :error WHERE id = :step_id",
    timestamps=("now",),
)
FINISHED = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.UNKNOWN_OUTCOME, JobStatus.CANCELLED})


# The jobs waiting for this one, by the index of what they wait for (``_STILL_QUEUED``, as the claim's
# move: written plainly, the generic plan could read every tenant's open jobs instead).
DEPENDENTS = text(f"SELECT id FROM jobs WHERE depends_on_job_id = :job_id AND {_STILL_QUEUED}")
FAIL_QUEUED_STEPS = Statement(
    "UPDATE job_steps SET state = 'failed', completed_at = :now, error = :error "
    f"WHERE job_id = :job_id AND {_still_queued('job_steps.state')}",
    timestamps=("now",),
).clause


OPEN_SESSIONS_OLDER_THAN = Statement(
    "SELECT 1 FROM qbwc_sessions "
    "WHERE tenant_id = :tenant_id AND state = 'open' AND last_seen_at < :cutoff LIMIT 1",
    timestamps=("cutoff",),
)


RETRY_STEPS = text(
    "UPDATE job_steps SET "
    "phase = CASE WHEN state = 'unknown_outcome' AND reconcilable THEN 'reconcile' ELSE 'send' END, "
    "state = 'queued', session_id = NULL, not_before = NULL, completed_at = NULL, error = NULL "
    "WHERE job_id = :job_id AND state IN ('failed', 'cancelled', 'unknown_outcome')"
)


TO_END_OF_QUEUE = Statement(f"UPDATE jobs SET queue_seq = {_TAKEN_QUEUE_SEQ} WHERE id = :job_id")


# A person's cancel: every step of the job not yet sent (the job's row is derived again after it).
CANCEL_QUEUED_STEPS = Statement(
    "UPDATE job_steps SET state = 'cancelled', completed_at = :now, error = 'cancelled before it was sent' "
    f"WHERE job_id = :job_id AND {_still_queued('job_steps.state')}",
    timestamps=("now",),
)
# A retried job is no longer finished; its status is derived again from its requeued steps.
REOPEN_JOB = Statement(
    "UPDATE jobs SET error = NULL, finished_at = NULL, updated_at = :now WHERE id = :job_id",
    timestamps=("now",),
)
# The public id of a job, for the error of the jobs that waited for it.
JOB_PUBLIC_ID = Statement("SELECT public_id FROM jobs WHERE id = :job_id")
