"""Web Connector sessions, read and touched with single statements on the hot path.

Every SOAP call of a session starts here: one ``UPDATE … RETURNING`` finds the open, unexpired
session by its ticket digest and marks it seen, so a call costs one round trip to learn who it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm import Session

from db.models import UTCDateTime, WcSession

sessions_table = WcSession.__table__


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


_TOUCH = text(
    """
    UPDATE qbwc_sessions
    SET last_seen_at = :now,
        company_file = COALESCE(:company_file, company_file),
        country = COALESCE(:country, country),
        qbxml_version = COALESCE(:qbxml_version, qbxml_version),
        steps_done = steps_done + :step
    WHERE ticket_digest = :ticket_digest AND state = 'open' AND last_seen_at >= :cutoff
    RETURNING id, tenant_id, qbxml_version, country, company_file, client_version, hcp_received,
              steps_done, waits
    """
).bindparams(bindparam("now", type_=UTCDateTime()), bindparam("cutoff", type_=UTCDateTime()))


def touch_open_session(
    session: Session,
    ticket_digest: str,
    *,
    now: dt.datetime,
    cutoff: dt.datetime,
    count_step: bool = False,
    company_file: str | None = None,
    country: str | None = None,
    qbxml_version: str | None = None,
) -> SessionRow | None:
    """The open session with this ticket, last seen after ``cutoff``, marked seen now (None otherwise).

    What the Web Connector reports (company file, country, qbXML version) is stored in the same
    statement; ``count_step`` counts one more answered request for the progress figure.
    """
    row = session.execute(
        _TOUCH,
        {
            "now": now,
            "cutoff": cutoff,
            "company_file": company_file,
            "country": country,
            "qbxml_version": qbxml_version,
            "step": 1 if count_step else 0,
            "ticket_digest": ticket_digest,
        },
    ).first()
    return SessionRow(*row) if row is not None else None


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
