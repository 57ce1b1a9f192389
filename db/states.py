"""The explicit states of the queue and of Web Connector sessions, and who moves them.

Step (one qbXML request message set)::

    queued ──claim (sendRequestXML)──▶ in_flight ──receiveResponseXML──▶ succeeded | failed
       ▲                                   │
       └── retry later (transient error) ◀─┤ (back to queued with not_before, bounded attempts)
                                           └── session ended before the answer ──▶ unknown_outcome
    queued ──cancel──▶ cancelled

A step in ``unknown_outcome`` is never re-sent as is: QuickBooks may have saved it. It waits for
reconciliation against QuickBooks (or a person) to decide.

A job's state is derived from its steps (:func:`db.jobs.derive_job_status`).
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


class SessionState(enum.StrEnum):
    """A Web Connector session, from ``authenticate`` to ``closeConnection``.

    ``open`` ──closeConnection──▶ ``closed``; ``open`` ──no call for the timeout──▶ ``expired``;
    ``open`` ──new token generated──▶ ``revoked``. Only ``open`` sessions accept calls.
    """

    OPEN = "open"
    CLOSED = "closed"
    EXPIRED = "expired"
    REVOKED = "revoked"


FINISHED_STEP_STATES = frozenset(
    {StepState.SUCCEEDED, StepState.FAILED, StepState.UNKNOWN_OUTCOME, StepState.CANCELLED}
)
