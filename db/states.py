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

A job's state is derived from its steps (:func:`db.queue.derive_job_status`). A job ``queued`` or
``in_flight`` has steps to go, and holds back every job queued after it for the same tenant (a later
job's step is handed out only once every earlier job has ended: ``succeeded``, ``failed``,
``unknown_outcome`` or ``cancelled``; see ``db/queue.py``, "the queue's order").
"""

from __future__ import annotations

import enum


class StepState(enum.StrEnum):
    QUEUED = "queued"
    IN_FLIGHT = "in_flight"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN_OUTCOME = "unknown_outcome"
    CANCELLED = "cancelled"


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    IN_FLIGHT = "in_flight"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN_OUTCOME = "unknown_outcome"
    CANCELLED = "cancelled"


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
