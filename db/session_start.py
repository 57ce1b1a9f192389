"""What ``authenticate`` reads and writes once a Web Connector's token matched: one batch of reads and
one of writes (on PostgreSQL, one round trip each) where they were one round trip a statement.

Every idle tenant's connector polls on its schedule, and a session with no work is ``serverVersion``,
``clientVersion``, ``authenticate`` and ``closeConnection``: ``authenticate`` was most of its cost (ten
round trips, docs/performance.md). The statements are those the steps used one by one; run in a
batch each still sees what the ones before it wrote (``db/batch.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from db import batch, login_throttle
from db.batch import Statement
from db.queue.sql import ANY_RUNNABLE, COUNT_QUEUED, OPEN_SESSIONS_OLDER_THAN
from db.queue.wc_sessions import EPOCH
from db.tenants import CLIENT_HELLO_TTL, RECALL_CLIENT_VERSION

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
    session: Session,
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
    rows = batch.run(session, statements)
    return StartFacts(
        idle_sessions=bool(rows[2]),
        client_version=(rows[3][0].version or None) if rows[3] else None,
        runnable=bool(rows[4][0].runnable),
        queued=int(rows[5][0].queued),
        reached_quickbooks=bool(rows[6][0].reached) if onboarding else None,
    )


def read_work(session: Session, facts: StartFacts, *, tenant_id: str, now: dt.datetime) -> StartFacts:
    """``facts`` with the work waiting read again, after older sessions were ended (which may hand
    their steps back)."""
    runnable, queued = batch.run(session, _work(tenant_id, now))
    return replace(facts, runnable=bool(runnable[0].runnable), queued=int(queued[0].queued))


def _work(tenant_id: str, now: dt.datetime) -> list[tuple[Statement, Mapping[str, Any]]]:
    """Whether the tenant has a step to send now, and how many wait (the new session's plan)."""
    return [(ANY_RUNNABLE, {"tenant_id": tenant_id, "now": now}), (COUNT_QUEUED, {"tenant_id": tenant_id})]
