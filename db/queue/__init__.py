"""The queue of jobs and their steps, per tenant, in the order they were accepted (see db/queue/claim.py).

Its statements are spelled in ``sql.py``, those on the Web Connector session's own row included (but
the ORM reads that lock Web Connector sessions to end them, in ``wc_sessions.py``); claiming,
settling, job bookkeeping and the Web Connector session's lifecycle are modules of their own. Callers
use the names below, as ``queue.<name>``."""

from __future__ import annotations

from db.queue.claim import (
    claim_companions,
    claim_next_step,
    count_queued,
    has_runnable,
    mark_sent,
    shares_message,
    start_receive,
    start_send,
)
from db.queue.jobs import cancel_job, enqueue, job_statements, record_finished_job, requeue_at_end, retry_job
from db.queue.refs import (
    Answer,
    JobRef,
    NewStep,
    SendStart,
    SessionOutcomes,
    SessionRow,
    StepRef,
    dialect_of,
)
from db.queue.settle import (
    finish_step,
    is_finished,
    latest_unknown_steps,
    park_unknown,
    refresh_job,
    settle_step,
)
from db.queue.sql import (
    INSERT_JOB,
    INSERT_STEP,
    JOB_BY_PUBLIC_ID,
    NEXT_QUEUE_SEQ,
    SET_JOB_RESULT,
    jobs_table,
    steps_table,
)
from db.queue.wc_sessions import (
    ClosedSession,
    ask_to_wait,
    close_by_ticket,
    count_more_steps,
    end_session,
    expire_stale_sessions,
    find_session,
    mark_host_received,
    orphan_in_flight,
    revoke_open_sessions,
    session_outcomes,
    set_last_error,
    supersede_sessions,
    touch_params,
    touch_session,
)
from db.states import derive_job_status

__all__ = [
    "INSERT_JOB",
    "INSERT_STEP",
    "JOB_BY_PUBLIC_ID",
    "NEXT_QUEUE_SEQ",
    "SET_JOB_RESULT",
    "Answer",
    "ClosedSession",
    "JobRef",
    "NewStep",
    "SendStart",
    "SessionOutcomes",
    "SessionRow",
    "StepRef",
    "ask_to_wait",
    "cancel_job",
    "claim_companions",
    "claim_next_step",
    "close_by_ticket",
    "count_more_steps",
    "count_queued",
    "derive_job_status",
    "dialect_of",
    "end_session",
    "enqueue",
    "expire_stale_sessions",
    "find_session",
    "finish_step",
    "has_runnable",
    "is_finished",
    "job_statements",
    "jobs_table",
    "latest_unknown_steps",
    "mark_host_received",
    "mark_sent",
    "orphan_in_flight",
    "park_unknown",
    "record_finished_job",
    "refresh_job",
    "requeue_at_end",
    "retry_job",
    "revoke_open_sessions",
    "session_outcomes",
    "set_last_error",
    "settle_step",
    "shares_message",
    "start_receive",
    "start_send",
    "steps_table",
    "supersede_sessions",
    "touch_params",
    "touch_session",
]
