"""Web Connector sessions, read and touched with single statements on the hot path.

Every SOAP call of a session starts with ``TOUCH``: one ``UPDATE … RETURNING`` finds the open,
unexpired session by its ticket digest and marks it seen. It is sent in one batch with the call's
next statements (``db/queue/claim.py``: ``start_send``, ``start_receive``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db import batch
from db.batch import Statement
from db.models import WcSession, table_of

sessions_table = table_of(WcSession)


@dataclass(frozen=True, slots=True)
class SessionRow:
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


def touch(session: Session, params: dict[str, Any]) -> SessionRow | None:
    """TOUCH alone (``touch_params``), for a call that does nothing else with the queue."""
    return session_row(batch.run_one(session, TOUCH, params))


def touch_params(
    ticket_digest: str,
    *,
    now: dt.datetime,
    cutoff: dt.datetime,
    count_step: bool = False,
    company_file: str | None = None,
    country: str | None = None,
    qbxml_version: str | None = None,
) -> dict[str, Any]:
    """TOUCH's parameters: what the Web Connector reports (company file, country) is stored in the same
    statement; the qbXML version the session speaks is kept from its first call, so every request of a
    session, and the reconciliation of one, is written for the same version. ``count_step`` counts one
    more answered request for the progress."""
    return {
        "now": now,
        "cutoff": cutoff,
        "company_file": company_file,
        "country": country,
        "qbxml_version": qbxml_version,
        "step": 1 if count_step else 0,
        "ticket_digest": ticket_digest,
    }


_COUNT_MORE_STEPS = Statement(
    "UPDATE qbwc_sessions SET steps_done = steps_done + :more WHERE id = :session_id"
)


def count_more_steps(session: Session, session_id: int, more: int) -> None:
    """TOUCH counts one answered request per ``receiveResponseXML``; an answer to a message set that
    carried several steps counts the others with this."""
    batch.run_one(session, _COUNT_MORE_STEPS, {"more": more, "session_id": session_id})


def session_row(rows: list[Any]) -> SessionRow | None:
    """TOUCH's result: the open session with this ticket, last seen after the cutoff, or None."""
    return SessionRow(*rows[0]) if rows else None


def find_session(session: Session, ticket_digest: str) -> WcSession | None:
    """The session with this ticket in any state (for the rare paths: expiry, late answers, close)."""
    return session.scalars(select(WcSession).where(WcSession.ticket_digest == ticket_digest)).first()


def set_wait(session: Session, session_id: int, *, wait: bool, waits: int | None = None) -> None:
    values: dict[str, Any] = {"wait_requested": wait}
    if waits is not None:
        values["waits"] = waits
    session.execute(update(sessions_table).where(sessions_table.c.id == session_id).values(**values))


def set_last_error(session: Session, session_id: int, text: str | None) -> None:
    session.execute(update(sessions_table).where(sessions_table.c.id == session_id).values(last_error=text))


def mark_host_received(session: Session, session_id: int) -> None:
    """The Web Connector session has sent what QuickBooks it runs (its first sendRequestXML)."""
    session.execute(update(sessions_table).where(sessions_table.c.id == session_id).values(hcp_received=True))
