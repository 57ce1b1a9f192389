"""What the queue hands out and takes back: steps and jobs as the hot path sees them, answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from db.transaction import Work, is_postgresql

# Where the step's id goes in a prepared request: the claim replaces it (sql.py, ``_PREPARED_READY``).
STEP_ID_STAND_IN = "qbbridge-step-id"


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """A step's request written when it is queued: ``xml`` with :data:`STEP_ID_STAND_IN` for the
    step's id (``{id}.0`` … ``{id}.{requests-1}`` as its requestIDs), sent as it is to any host of
    ``level`` (qbXML major * 100 + minor) or newer."""

    xml: str
    level: int
    requests: int


@dataclass(slots=True)
class NewStep:
    kind: str
    intent: dict[str, Any] = field(default_factory=dict)
    # True when QuickBooks can be asked whether this step was saved (see mapping/plan.py: Reconcile).
    reconcilable: bool = False
    prepared: PreparedRequest | None = None


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
    # What the claim itself marked sent, from the step's prepared request (PostgreSQL, sql.py:
    # ``_PREPARED_READY``): hand it out as it is, with nothing to render or store. None otherwise.
    sent_xml: str | None = None


def dialect_of(work: Work) -> str:
    return "postgresql" if is_postgresql(work) else "sqlite"


@dataclass(frozen=True, slots=True)
class SendStart:
    """What the first batch of a ``sendRequestXML`` found: the session (None when no open one has
    this ticket), the jobs of steps it left without an answer, and the step it now holds."""

    session: SessionRow | None
    orphaned_job_ids: list[int]
    step: StepRef | None


@dataclass(frozen=True, slots=True)
class SessionRow:
    """The open Web Connector session a call's touch found (``sql.TOUCH``), as the hot path reads it."""

    id: int
    tenant_id: str
    qbxml_version: str | None
    country: str | None
    company_file: str | None
    client_version: str | None
    hcp_received: bool
    steps_done: int
    waits: int
    planned_steps: int


def session_row(rows: list[Any]) -> SessionRow | None:
    """``TOUCH``'s result: the open session with this ticket, last seen after the cutoff, or None."""
    return SessionRow(*rows[0]) if rows else None


@dataclass(frozen=True, slots=True)
class SessionOutcomes:
    """What a session's requests came to that needs a person: failed, or outcome unknown."""

    failed: int
    unknown: int


def step_ref(row: Any, *, job: JobRef | None = None) -> StepRef:
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
        sent_xml=getattr(row, "sent_xml", None),
    )


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
