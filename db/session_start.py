"""What ``authenticate`` reads and writes: three batches (on PostgreSQL, three round trips) where they
were one round trip a statement.

Every idle tenant's connector polls on its schedule, and a session with no work is ``serverVersion``,
``clientVersion``, ``authenticate`` and ``closeConnection``: ``authenticate`` was most of its cost (ten
round trips, docs/performance.md). Its three batches: the login read (the throttle and the tenant,
locked), then once the token matched the start facts (with the throttle cleared and the contact
noted), then the new session's row, in the batch that commits. The statements are those the steps
used one by one; run in a batch each still sees what the ones before it wrote (``db/batch.py``). The
ORM is needed only on rarer branches (a wrong token, older sessions to end, automatic retrievals).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from db import batch, login_throttle
from db.batch import Statement
from db.queue.sql import ANY_RUNNABLE, COUNT_QUEUED, OPEN_SESSIONS_OLDER_THAN
from db.queue.wc_sessions import EPOCH
from db.tenants import CLIENT_HELLO_TTL, RECALL_CLIENT_VERSION
from db.transaction import Work, is_postgresql

# The tenant of a Web Connector user name, with what a login decides by. Locked until the session is
# stored: a token rotation waits for it (and then ends it), or this waits for the rotation (and then
# checks the new token), never both missing it. ``FOR NO KEY UPDATE`` lets rows that refer to the
# tenant be written meanwhile; on SQLite the transaction holds the database write lock already.
_LOGIN_TENANT_SQL = (
    "SELECT id, name, token_digest, token_created_at, disabled_at, qwc_downloaded_at, "
    "bound_company_file, settings FROM tenants WHERE qbwc_username = :username {lock}"
)
_LOGIN_TENANT = {
    dialect: Statement(
        _LOGIN_TENANT_SQL.format(lock=lock),
        json_columns=("settings",),
        timestamp_columns=("token_created_at", "disabled_at", "qwc_downloaded_at"),
    )
    for dialect, lock in (("postgresql", "FOR NO KEY UPDATE"), ("sqlite", ""))
}


@dataclass(frozen=True, slots=True)
class LoginTenant:
    """What ``authenticate`` reads of the tenant whose user name logs in."""

    id: str
    name: str
    token_digest: str | None
    token_created_at: dt.datetime | None
    disabled_at: dt.datetime | None
    qwc_downloaded_at: dt.datetime | None
    bound_company_file: str | None
    settings: Any


@dataclass(frozen=True, slots=True)
class Login:
    """Whether logins as this user name from this address are refused now, and its tenant (if any)."""

    blocked: bool
    tenant: LoginTenant | None


def read_login(work: Work, username: str, address: str, now: dt.datetime) -> Login:
    """The login throttle and the user name's tenant (locked): one batch, which opens the transaction."""
    lookup = _LOGIN_TENANT["postgresql" if is_postgresql(work) else "sqlite"]
    blocked, found = batch.run(
        work,
        [login_throttle.blocked_statement(username, address, now), (lookup, {"username": username})],
    )
    tenant = LoginTenant(**found[0]._asdict()) if found else None
    return Login(blocked=login_throttle.blocked(blocked), tenant=tenant)


# Since the tenant's current token, a session reached QuickBooks: a sendRequestXML came, reporting its
# company file, and qbbridge did not refuse it (``ix_qbwc_sessions_tenant_answered`` covers it).
_REACHED_QUICKBOOKS = Statement(
    "SELECT EXISTS (SELECT 1 FROM qbwc_sessions WHERE tenant_id = :tenant_id "
    "AND company_file IS NOT NULL AND refusal IS NULL AND created_at >= :since) AS reached",
    timestamps=("since",),
)
# The tenant's contact: its connector was seen now; the version announced by ``clientVersion`` from the
# same address is kept only when fresh (``CLIENT_HELLO_TTL``), else the one known stays.
_NOTE_CONTACT = Statement(
    "UPDATE tenants SET connector_seen_at = :now, last_contact_at = :now, updated_at = :now, "
    "qbwc_version = COALESCE((SELECT NULLIF(version, '') FROM qbwc_client_hello WHERE address = :address "
    "AND seen_at >= :hello_since), qbwc_version) WHERE id = :tenant_id",
    timestamps=("now", "hello_since"),
)


@dataclass(frozen=True, slots=True)
class StartFacts:
    """What decides the new session: whether older ones are to be ended first, the connector's version,
    and the work waiting."""

    idle_sessions: bool
    client_version: str | None
    runnable: bool
    queued: int
    # None when not asked (the tenant is not onboarding).
    reached_quickbooks: bool | None


def read_start_facts(
    work: Work,
    *,
    tenant_id: str,
    username: str,
    address: str,
    client_address: str | None,
    idle_since: dt.datetime,
    token_created_at: dt.datetime | None,
    onboarding: bool,
    now: dt.datetime,
) -> StartFacts:
    """The login's failures are forgotten, the tenant's contact noted, and the facts read: one batch."""
    # Without the connector's address there is no announced version to recall (NULL matches no row).
    hello = {
        "address": client_address[:64] if client_address else None,
        "hello_since": now - CLIENT_HELLO_TTL,
    }
    statements: list[tuple[Statement, Mapping[str, Any]]] = [
        login_throttle.clear_statement(username, address),
        (_NOTE_CONTACT, {"tenant_id": tenant_id, "now": now, **hello}),
        (OPEN_SESSIONS_OLDER_THAN, {"tenant_id": tenant_id, "cutoff": idle_since}),
        (RECALL_CLIENT_VERSION, hello),
        *_work(tenant_id, now),
    ]
    if onboarding:
        statements.append((_REACHED_QUICKBOOKS, {"tenant_id": tenant_id, "since": token_created_at or EPOCH}))
    rows = batch.run(work, statements)
    return StartFacts(
        idle_sessions=bool(rows[2]),
        client_version=(rows[3][0].version or None) if rows[3] else None,
        runnable=bool(rows[4][0].runnable),
        queued=int(rows[5][0].queued),
        reached_quickbooks=bool(rows[6][0].reached) if onboarding else None,
    )


def read_work(work: Work, facts: StartFacts, *, tenant_id: str, now: dt.datetime) -> StartFacts:
    """``facts`` with the work waiting read again, after older sessions were ended (which may hand
    their steps back)."""
    runnable, queued = batch.run(work, _work(tenant_id, now))
    return replace(facts, runnable=bool(runnable[0].runnable), queued=int(queued[0].queued))


def _work(tenant_id: str, now: dt.datetime) -> list[tuple[Statement, Mapping[str, Any]]]:
    """Whether the tenant has a step to send now, and how many wait (the new session's plan)."""
    return [(ANY_RUNNABLE, {"tenant_id": tenant_id, "now": now}), (COUNT_QUEUED, {"tenant_id": tenant_id})]


# The new session's row. Every column with a default in ``db.models.WcSession`` is given here
# (``tests/foundation/test_session_start.py`` checks that none is left to a default the ORM alone knows).
OPEN_SESSION_COLUMNS = (
    "tenant_id",
    "ticket_digest",
    "state",
    "created_at",
    "last_seen_at",
    "closed_at",
    "client_version",
    "hcp_received",
    "last_error",
    "wait_requested",
    "steps_done",
    "planned_steps",
    "waits",
    "close_reason",
    "refusal",
    "requested_company_file",
    "retried_open_file",
)
_OPEN_SESSION = Statement(
    f"INSERT INTO qbwc_sessions ({', '.join(OPEN_SESSION_COLUMNS)}) "
    f"VALUES ({', '.join(':' + column for column in OPEN_SESSION_COLUMNS)})",
    timestamps=("created_at", "last_seen_at", "closed_at"),
)


def open_session(work: Work, **values: Any) -> None:
    """Store the new session (``OPEN_SESSION_COLUMNS``, every one given: a statement refuses a missing
    parameter on both databases) in the batch that ends the transaction: on PostgreSQL the COMMIT goes
    in the same round trip."""
    batch.run(work, [(_OPEN_SESSION, values)], commit=True)
