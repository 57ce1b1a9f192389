"""Failed Web Connector logins, and when they refuse further attempts.

The rule (docs/security.md, "Logins to the Web Connector endpoint"):

* Failures are counted per user name and network address: after ``limit`` failures within
  ``window`` from one address, that address may not log in as that user name until the window has
  passed again. The same user name from any other address is not affected, so a stranger who read
  a user name from a ``.qwc`` file cannot lock the tenant's own Web Connector out.
* Failures are also counted per address across user names (``address_limit``): an address that
  tries many user names is refused for all of them.
* A successful login clears its user name's count for its address, never the address-wide count
  (an attacker holding one valid account must not reset it between guesses at other accounts).
* IPv6 addresses are counted by their /64 network: one customer line is given a whole /64, so
  counting single addresses would let one machine take a fresh address for every attempt.

Each failure updates its two counters with one atomic upsert each (``INSERT … ON CONFLICT DO
UPDATE``), so parallel failures, from any number of processes, are all counted and never collide
on a row.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from db import batch
from db.batch import Statement
from db.transaction import Work

# The row that counts an address's failures across user names. No real login has an empty user
# name: ``authenticate`` refuses one before it gets here.
ANY_USERNAME = ""
MAX_USERNAME = 200
MAX_ADDRESS = 64
# Expired rows removed per failure: enough to keep up with the rows failures create.
PURGE_BATCH = 100


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    limit: int
    address_limit: int
    window: dt.timedelta


def address_key(address: str | None) -> str:
    """What failures from ``address`` are counted under: an IPv4 address (IPv4-mapped IPv6 ones
    included) as it is, an IPv6 address by its /64 network, anything else as given (bounded)."""
    if not address:
        return ""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()[:MAX_ADDRESS]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


_IS_BLOCKED = Statement(
    "SELECT EXISTS (SELECT 1 FROM qbwc_login_throttle "
    "WHERE address = :address AND username IN (:username, :any_username) AND blocked_until > :now) "
    "AS blocked",
    timestamps=("now",),
)

# One failure more on one counter. Every SET expression reads the row as it was before this
# statement, on both databases; a window that has passed starts again with this failure.
_COUNT_FAILURE = Statement(
    """
    INSERT INTO qbwc_login_throttle (username, address, failures, window_started_at, blocked_until)
    VALUES (:username, :address, 1, :now, CASE WHEN :limit <= 1 THEN :blocked_until END)
    ON CONFLICT (username, address) DO UPDATE SET
        failures = CASE WHEN qbwc_login_throttle.window_started_at < :window_start THEN 1
                        ELSE qbwc_login_throttle.failures + 1 END,
        window_started_at = CASE WHEN qbwc_login_throttle.window_started_at < :window_start THEN :now
                                 ELSE qbwc_login_throttle.window_started_at END,
        blocked_until = CASE
            WHEN (CASE WHEN qbwc_login_throttle.window_started_at < :window_start THEN 1
                       ELSE qbwc_login_throttle.failures + 1 END) >= :limit
            THEN :blocked_until
            ELSE qbwc_login_throttle.blocked_until END
    RETURNING failures
    """,
    timestamps=("now", "window_start", "blocked_until"),
)

# Rows whose window and block have both passed count nothing any more. On PostgreSQL rows another
# login is updating right now are skipped, never waited for: a purge that waited could close a
# cycle of waits with two failing logins (each holds its own counters while it runs).
_PURGE_SQL = (
    "DELETE FROM qbwc_login_throttle WHERE (username, address) IN ("
    "SELECT username, address FROM qbwc_login_throttle "
    "WHERE window_started_at < :window_start AND (blocked_until IS NULL OR blocked_until < :now) "
    "LIMIT :purge_batch {lock})"
)
_PURGE = {
    dialect: Statement(_PURGE_SQL.format(lock=lock), timestamps=("now", "window_start"))
    for dialect, lock in (("postgresql", "FOR UPDATE SKIP LOCKED"), ("sqlite", ""))
}

_CLEAR = Statement("DELETE FROM qbwc_login_throttle WHERE username = :username AND address = :address")


def is_blocked(work: Work, username: str, address: str, now: dt.datetime) -> bool:
    """Whether logins as ``username`` from ``address`` (an ``address_key``) are refused now."""
    return blocked(batch.run_one(work, *blocked_statement(username, address, now)))


def blocked_statement(username: str, address: str, now: dt.datetime) -> tuple[Statement, dict[str, Any]]:
    """``is_blocked`` as a statement for a batch (``db/session_start.py``); ``blocked`` reads its rows."""
    params = {
        "username": username[:MAX_USERNAME],
        "address": address,
        "any_username": ANY_USERNAME,
        "now": now,
    }
    return _IS_BLOCKED, params


def blocked(rows: list[Any]) -> bool:
    return bool(rows[0].blocked)


@dataclass(frozen=True, slots=True)
class Counted:
    """The counts after a failure, and whether it blocked the user name or the whole address."""

    failures: int
    address_failures: int
    blocked: bool
    address_blocked: bool


def record_failure(
    session: Session, username: str, address: str, now: dt.datetime, *, rule: ThrottleRule
) -> Counted:
    """Count a failed login as ``username`` from ``address`` (an ``address_key``): one round trip."""
    common = {"now": now, "window_start": now - rule.window, "blocked_until": now + rule.window}
    dialect = "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"
    # The user name's counter first, then the address's, always in this order, so two failing
    # logins never wait for each other's rows in a cycle.
    own, anyone, _ = batch.run(
        session,
        [
            (
                _COUNT_FAILURE,
                {**common, "username": username[:MAX_USERNAME], "address": address, "limit": rule.limit},
            ),
            (
                _COUNT_FAILURE,
                {**common, "username": ANY_USERNAME, "address": address, "limit": rule.address_limit},
            ),
            (_PURGE[dialect], {"now": now, "window_start": now - rule.window, "purge_batch": PURGE_BATCH}),
        ],
    )
    return Counted(
        failures=int(own[0].failures),
        address_failures=int(anyone[0].failures),
        # The statement sets ``blocked_until`` exactly when the count reaches the limit.
        blocked=int(own[0].failures) >= rule.limit,
        address_blocked=int(anyone[0].failures) >= rule.address_limit,
    )


def clear_failures(session: Session, username: str, address: str) -> None:
    """A successful login: the user name's failures from this address are forgotten."""
    batch.run_one(session, *clear_statement(username, address))


def clear_statement(username: str, address: str) -> tuple[Statement, dict[str, str]]:
    """``clear_failures`` as a statement for a batch (``db/session_start.py``)."""
    return _CLEAR, {"username": username[:MAX_USERNAME], "address": address}
