"""The Web Connector session a ticket names, in any state, for the calls that are not on the hot path
(a refusal kept for ``getLastError``, a late answer, the session's close); and the expiry of one
found silent past the timeout."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from db import queue
from db import secrets as secret_values
from db.engine import Database
from db.models import WcSession
from db.states import SessionState
from db.transaction import Work, session_of
from qbwc import arguments


def find_wc_session(session: Session, ticket: str | None) -> WcSession | None:
    ticket = arguments.ticket(ticket)
    if ticket is None:
        return None
    return queue.find_session(session, secret_values.digest(ticket))


def end_if_expired(work: Work, ticket_digest: str, now: dt.datetime) -> WcSession | None:
    """The session of this ticket in any state (None if unknown). Called when the touch found no
    open session: one still open has been silent past the timeout, and is ended here.

    A ticket no session has is answered after one read, without the ORM: it is what a guessed or
    stale ticket sends, and such calls should cost no more than a real one."""
    if not queue.has_session(work, ticket_digest):
        return None
    session = session_of(work)
    stale = queue.find_session(session, ticket_digest)
    if stale is not None and stale.state == SessionState.OPEN:
        queue.end_session(session, stale, state=SessionState.EXPIRED, reason="it timed out", now=now)
    return stale


def keep_refusal(database: Database, ticket: str, reason: str, now: dt.datetime) -> bool:
    """Keep ``reason`` for ``getLastError`` on the ticket's open session; whether there is one."""
    with database.transaction() as session:
        wc_session = queue.find_session(session, secret_values.digest(ticket))
        if wc_session is None or wc_session.state != SessionState.OPEN:
            return False
        wc_session.last_error = reason
        wc_session.wait_requested = False
        wc_session.last_seen_at = now
        return True
