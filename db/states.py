"""The explicit states of the queue and of Web Connector sessions, and who moves them.

Step (one qbXML request message set), with its phase (:class:`StepPhase`) where it matters::

    queued ──claim (sendRequestXML)──▶ in_flight ──receiveResponseXML──▶ succeeded | failed
     ▲  ▲                                  │
     │  └─ retry later (transient error) ◀─┤  back to queued with not_before, bounded attempts
     │                                     │  (phase reconcile when the Web Connector reported an
     │                                     │  error and QuickBooks can be asked)
     │                                     ├─ answer lost or unreadable, reconcilable ──▶ queued,
     │                                     │  phase reconcile: its next claim sends the query that
     │                                     │  looks for what it would have created
     │                                     └─ answer lost, not reconcilable ──▶ unknown_outcome
     ├─ reconciliation found nothing: phase send, sent again
     │
    queued (phase reconcile) ── found ──▶ succeeded
    queued (phase reconcile) ── no way to ask this QuickBooks (park_unknown) ──▶ unknown_outcome
    queued (phase continue) ── a retrieval page with more to come, on the same iterator
    queued ──cancel──▶ cancelled
    failed | cancelled | unknown_outcome ──retry (a person)──▶ queued

A step in ``unknown_outcome`` is never re-sent on a guess: QuickBooks may have saved it. A person
checks QuickBooks and retries or cancels the job; a late answer on its session's ticket may still
settle it (``qbwc/service.py``).

A job's state is derived from its steps by one rule, ``JOB_STATUS_RULES`` below: read in Python by
:func:`derive_job_status` and written as SQL from the same table (:func:`job_status_sql`), which
the queue runs when it settles a step. A job ``queued`` or
``in_flight`` has steps to go, and holds back every job queued after it for the same tenant (a later
job's step is handed out only once every earlier job has ended: ``succeeded``, ``failed``,
``unknown_outcome`` or ``cancelled``; see ``db/queue/sql.py``, "the queue's order").
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class StepState(enum.StrEnum):
    QUEUED = "queued"
    IN_FLIGHT = "in_flight"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN_OUTCOME = "unknown_outcome"
    CANCELLED = "cancelled"


# A job's status is derived from its steps' states (``JOB_STATUS_RULES`` below) and takes the same six
# values: the same enumeration, under the name that says what it describes.
JobStatus = StepState


class StepPhase(enum.StrEnum):
    """What a queued step does when it is next claimed (``job_steps.phase``)."""

    # Send its request.
    SEND = "send"
    # Its answer was lost (or unreadable): first ask QuickBooks whether the request was saved.
    RECONCILE = "reconcile"
    # A retrieval page with more to come: ask for the next page on the same iterator.
    CONTINUE = "continue"


class SessionState(enum.StrEnum):
    """A Web Connector session, from ``authenticate`` to ``closeConnection``.

    ``open`` ──closeConnection──▶ ``closed``; ``open`` ──no call for the timeout──▶ ``expired``;
    ``open`` ──new token generated──▶ ``revoked``. Only ``open`` sessions get work. A late answer on
    the ticket of a ``closed`` or ``expired`` session may still settle that session's steps of unknown
    outcome (matched by requestID); nothing arriving on the ticket of a ``revoked`` session, or of
    any session created before the tenant's current token, is trusted (``qbwc/service.py``).
    """

    OPEN = "open"
    CLOSED = "closed"
    EXPIRED = "expired"
    REVOKED = "revoked"


FINISHED_STEP_STATES = frozenset(
    {StepState.SUCCEEDED, StepState.FAILED, StepState.UNKNOWN_OUTCOME, StepState.CANCELLED}
)

# A job that ended without succeeding: a person may retry it (POST /api/v1/jobs/{id}/retry).
RETRYABLE_JOB_STATUSES = frozenset({JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.UNKNOWN_OUTCOME})


# The job-status rule: the first line whose step states are all present (and, with ``only``, no
# other state is) gives the job's status; a job matching none (no steps, or only cancelled and
# succeeded ones) is cancelled. A failure or an unknown outcome decides; then work still going on; a
# finished job is succeeded only when every step succeeded.
JOB_STATUS_RULES: tuple[tuple[frozenset[StepState], frozenset[StepState] | None, JobStatus], ...] = (
    (frozenset({StepState.FAILED}), None, JobStatus.FAILED),
    (frozenset({StepState.UNKNOWN_OUTCOME}), None, JobStatus.UNKNOWN_OUTCOME),
    (frozenset({StepState.IN_FLIGHT}), None, JobStatus.IN_FLIGHT),
    # Some steps done and some to go: the job is under way even between sessions.
    (frozenset({StepState.QUEUED, StepState.SUCCEEDED}), None, JobStatus.IN_FLIGHT),
    (frozenset({StepState.QUEUED}), None, JobStatus.QUEUED),
    (frozenset({StepState.SUCCEEDED}), frozenset({StepState.SUCCEEDED}), JobStatus.SUCCEEDED),
)
JOB_STATUS_OTHERWISE = JobStatus.CANCELLED


def derive_job_status(states: Iterable[str]) -> JobStatus:
    """A job's status from its steps' states (``JOB_STATUS_RULES``)."""
    present = set(states)
    for needs, only, status in JOB_STATUS_RULES:
        if needs <= present and (only is None or present <= only):
            return status
    return JOB_STATUS_OTHERWISE


def job_status_sql(state: str = "state") -> str:
    """``JOB_STATUS_RULES`` as an SQL expression over the rows of one job's steps (an aggregate:
    ``state`` names their state column), giving the job's status."""

    def present(step_state: StepState) -> str:
        return f"count(CASE WHEN {state} = '{step_state.value}' THEN 1 END) > 0"

    whens = []
    for needs, only, status in JOB_STATUS_RULES:
        conditions = [present(s) for s in sorted(needs)]
        if only is not None:
            allowed = ", ".join(f"'{s.value}'" for s in sorted(only))
            conditions.append(f"count(CASE WHEN {state} NOT IN ({allowed}) THEN 1 END) = 0")
        whens.append(f"WHEN {' AND '.join(conditions)} THEN '{status.value}'")
    return f"CASE {' '.join(whens)} ELSE '{JOB_STATUS_OTHERWISE.value}' END"
