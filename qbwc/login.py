"""``authenticate``: who may log in (the token, the login throttle), what a new session ends (older,
silent sessions of the tenant), and what the Web Connector is told to open (docs/qbwc.md)."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session

from db import login_throttle, queue, session_start, transaction
from db import secrets as secret_values
from db import tenants as tenant_repo
from db.engine import Database
from db.models import Tenant
from db.states import SessionState
from db.transaction import Work
from mapping import retrieval
from qbwc import arguments, onboarding
from qbwc.options import ServiceOptions

log = logging.getLogger("qbbridge.qbwc")

INVALID_USER = "nvu"
NO_WORK = "none"


def authenticate(
    database: Database,
    options: ServiceOptions,
    username: str | None,
    password: str | None,
    *,
    client_address: str | None,
    now: dt.datetime,
) -> list[str]:
    """``["", "nvu"]`` for bad credentials; ``[ticket, "none"]`` or ``[ticket, company file]``."""
    # A user name or password no tenant can have is refused without a look at the database.
    username, password = arguments.username(username), arguments.password(password)
    if not username or not password:
        return ["", INVALID_USER]
    address = login_throttle.address_key(client_address)
    where = address or "an unknown address"
    # A transaction without an SQLAlchemy session unless a rarer branch needs the ORM
    # (db/transaction.py): a login with the right token is three batches (db/session_start.py).
    with transaction.begin(database) as work:
        login = session_start.read_login(work, username, address, now)
        if login.blocked:
            log.warning("authenticate refused from %s: too many failed logins", where)
            return ["", INVALID_USER]
        tenant = login.tenant
        if tenant is None or not secret_values.matches(password, tenant.token_digest):
            _count_failure(work.session, options, tenant, username, address, where, now)
            return ["", INVALID_USER]
        if tenant.disabled_at is None and retrieval.any_automatic(tenant.settings):
            retrieval.schedule_automatic(work.session, _orm_tenant(work.session, tenant.id), now=now)
        facts = session_start.read_start_facts(
            work,
            tenant_id=tenant.id,
            username=username,
            address=address,
            client_address=client_address,
            idle_since=now - min(options.session_timeout, options.supersede_after),
            token_created_at=tenant.token_created_at,
            onboarding=tenant.qwc_downloaded_at is not None,
            now=now,
        )
        if facts.idle_sessions:
            _end_silent_sessions(work.session, options, tenant.id, now)
            # Ending them may have handed their steps back to the queue.
            facts = session_start.read_work(work, facts, tenant_id=tenant.id, now=now)
        ticket = secret_values.new_secret(24)
        company = _open_session(work, tenant, ticket, facts, now)
        return [ticket, company] if company is not None else [ticket, NO_WORK]


def _orm_tenant(session: Session, tenant_id: str) -> Tenant:
    """The tenant the login read (and locked) with a statement, as an ORM object for a rarer branch."""
    tenant = session.get(Tenant, tenant_id)
    assert tenant is not None, "the login's tenant row is locked in this transaction"
    return tenant


def throttle_rule(options: ServiceOptions) -> login_throttle.ThrottleRule:
    return login_throttle.ThrottleRule(
        limit=options.auth_failure_limit,
        address_limit=options.auth_address_failure_limit,
        window=options.auth_failure_window,
    )


def _count_failure(
    session: Session,
    options: ServiceOptions,
    tenant: session_start.LoginTenant | None,
    username: str,
    address: str,
    where: str,
    now: dt.datetime,
) -> None:
    """A wrong token (or a user name no tenant has): counted against the throttle, and logged."""
    counted = login_throttle.record_failure(session, username, address, now, rule=throttle_rule(options))
    if tenant is not None:
        # The connector is installed and knows the user name (the setup checklist).
        tenant_repo.note_failed_login(_orm_tenant(session, tenant.id), now=now)
    # The user name itself is not logged: a person may type a password into that field.
    who = f"tenant {tenant.id}" if tenant is not None else "an unknown user name"
    log.info("authenticate refused for %s from %s: wrong token", who, where)
    minutes = int(options.auth_failure_window.total_seconds() // 60)
    if counted.address_blocked:
        log.warning(
            "logins from %s are refused, whatever the user name, for %d minutes after %d failed attempts",
            where,
            minutes,
            counted.address_failures,
        )
    elif counted.blocked:
        log.warning(
            "logins as %s from %s are refused for %d minutes after %d failed attempts",
            who,
            where,
            minutes,
            counted.failures,
        )


def _end_silent_sessions(session: Session, options: ServiceOptions, tenant_id: str, now: dt.datetime) -> None:
    """Sessions of the tenant silent past the timeout expire; those silent past ``supersede_after``
    are over, a newer one having started."""
    queue.expire_stale_sessions(session, tenant_id=tenant_id, cutoff=now - options.session_timeout, now=now)
    queue.supersede_sessions(session, tenant_id=tenant_id, idle_since=now - options.supersede_after, now=now)


def _open_session(
    work: Work,
    tenant: session_start.LoginTenant,
    ticket: str,
    facts: session_start.StartFacts,
    now: dt.datetime,
) -> str | None:
    """The new session's row, in the batch that ends the transaction; the company file the Web
    Connector is to open ("" for the one open), or None when there is no work."""
    disabled = tenant.disabled_at is not None
    if disabled:
        # No work and a plain reason, which closeConnection gives the Web Connector to show.
        has_work, company = False, None
    else:
        has_work = facts.runnable
        company = onboarding.company_to_open(
            tenant, has_work=has_work, reached_quickbooks=bool(facts.reached_quickbooks)
        )
    session_start.open_session(
        work,
        client_version=facts.client_version,
        tenant_id=tenant.id,
        ticket_digest=secret_values.digest(ticket),
        # A disabled tenant's session is over as soon as it starts: nothing can be claimed.
        state=(SessionState.CLOSED if disabled else SessionState.OPEN).value,
        closed_at=now if disabled else None,
        close_reason="the tenant is disabled" if disabled else None,
        created_at=now,
        last_seen_at=now,
        hcp_received=False,
        wait_requested=False,
        retried_open_file=False,
        steps_done=0,
        planned_steps=facts.queued if has_work else 0,
        waits=0,
        requested_company_file=company or None,
        refusal=onboarding.Refusal.DISABLED.value if disabled else None,
        last_error=onboarding.disabled_message(tenant) if disabled else None,
    )
    return company
