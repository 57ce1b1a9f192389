"""Leases: a named task that one process at a time may run, across every instance on the database.

A holder takes the lease for a while (``take``) and takes it again before that time is up to keep it;
another holder gets it only once it has expired, so a process that died releases it by itself. One
statement decides, on PostgreSQL and SQLite alike: the row is written when it is missing (``INSERT …
ON CONFLICT DO NOTHING``) or updated when it is this holder's or expired, and the number of rows
written says who holds it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from db.models import UTCDateTime
from db.results import affected_rows

_UNTIL = (bindparam("until", type_=UTCDateTime()), bindparam("now", type_=UTCDateTime()))
_CREATE = text(
    "INSERT INTO leases (name, holder, expires_at) VALUES (:name, :holder, :until) "
    "ON CONFLICT (name) DO NOTHING"
).bindparams(bindparam("until", type_=UTCDateTime()))
_RENEW_OR_TAKE_OVER = text(
    "UPDATE leases SET holder = :holder, expires_at = :until "
    "WHERE name = :name AND (holder = :holder OR expires_at < :now)"
).bindparams(*_UNTIL)
_RELEASE = text("DELETE FROM leases WHERE name = :name AND holder = :holder")


def take(session: Session, name: str, holder: str, *, now: dt.datetime, duration: dt.timedelta) -> bool:
    """Whether ``holder`` holds the lease until ``now + duration`` (taken, renewed or taken over)."""
    values = {"name": name, "holder": holder, "until": now + duration, "now": now}
    if affected_rows(session.execute(_RENEW_OR_TAKE_OVER, values)) == 1:
        return True
    return affected_rows(session.execute(_CREATE, values)) == 1


def release(session: Session, name: str, holder: str) -> None:
    session.execute(_RELEASE, {"name": name, "holder": holder})
