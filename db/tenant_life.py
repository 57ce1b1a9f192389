"""A tenant's life after it was created: its company-file binding, disconnecting, disabling,
deleting, and its API keys (listed, marked as used, revoked)."""

from __future__ import annotations

import datetime as dt
import ntpath

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from db.models import ApiKey, RetiredUsername, Tenant, WcSession
from db.queue import revoke_open_sessions

# How often a key's ``last_used_at`` is written: every admin call reads the key, and a write per call
# would double the cost of a read; "last used" to the minute is what a person deciding whether a key
# is still in use needs.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def same_company_file(first: str, second: str) -> bool:
    """Windows paths name the same file whatever their case and slashes (``C:/A.QBW`` is ``c:\\a.qbw``)."""

    def norm(path: str) -> str:
        return ntpath.normcase(ntpath.normpath(path.strip()))

    return norm(first) == norm(second)


def bind_company(
    tenant: Tenant, company_file: str | None, company_name: str | None, now: dt.datetime
) -> None:
    """The first session whose QuickBooks answered binds its tenant to that company file."""
    if tenant.bound_company_file or not company_file:
        return
    tenant.bound_company_file = company_file[:1000]
    tenant.bound_company_name = (company_name or "")[:200] or None
    tenant.bound_at = now


def replace_binding(tenant: Tenant, company_file: str, now: dt.datetime) -> None:
    """The same company, moved to ``company_file`` (another folder or computer)."""
    tenant.bound_company_file = company_file
    tenant.bound_at = now
    tenant.last_connection_error = None
    tenant.last_connection_error_at = None


def disconnect(session: Session, tenant: Tenant, now: dt.datetime) -> bool:
    """End the token and its sessions and forget the binding (history, links and settings stay).
    Whether there was anything to end."""
    had = tenant.token_digest is not None or tenant.bound_company_file is not None
    ended = revoke_open_sessions(session, tenant_id=tenant.id, reason="the tenant was disconnected", now=now)
    tenant.token_digest = None
    tenant.token_created_at = None
    tenant.bound_company_file = None
    tenant.bound_company_name = None
    tenant.bound_at = None
    tenant.last_connection_error = None
    tenant.last_connection_error_at = None
    return had or ended > 0


def set_disabled(session: Session, tenant: Tenant, disabled: bool, now: dt.datetime) -> None:
    """A disabled tenant's open sessions end at once (their connector gets no more work)."""
    if disabled and tenant.disabled_at is None:
        tenant.disabled_at = now
        revoke_open_sessions(session, tenant_id=tenant.id, reason="the tenant was disabled", now=now)
    elif not disabled:
        tenant.disabled_at = None


def delete_tenant(session: Session, tenant: Tenant, now: dt.datetime) -> None:
    """Remove the tenant and everything of it (jobs, steps, payloads, links, imports, keys, sessions,
    settings: the foreign keys cascade); its user name is retired so it is never given again."""
    session.add(RetiredUsername(username=tenant.qbwc_username, retired_at=now))
    session.flush()
    session.execute(delete(Tenant).where(Tenant.id == tenant.id))
    session.expunge(tenant)


def username_retired(session: Session, username: str) -> bool:
    return bool(session.scalar(select(exists().where(RetiredUsername.username == username))))


def list_api_keys(session: Session, tenant_id: str) -> list[ApiKey]:
    return list(
        session.scalars(
            select(ApiKey)
            .where(ApiKey.tenant_id == tenant_id, ApiKey.revoked_at.is_(None))
            .order_by(ApiKey.created_at, ApiKey.id)
        )
    )


def revoke_api_key(session: Session, tenant_id: str, key_id: str, now: dt.datetime) -> bool | None:
    """None: no such key; False: revoked already; True: revoked now. Every worker reads keys from the
    database on each call, so a revoked key is refused at once everywhere."""
    key = session.scalars(select(ApiKey).where(ApiKey.id == key_id, ApiKey.tenant_id == tenant_id)).first()
    if key is None:
        return None
    if key.revoked_at is not None:
        return False
    key.revoked_at = now
    return True


def mark_key_used(session: Session, key: ApiKey, now: dt.datetime) -> None:
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))


def open_session_count(session: Session, tenant_id: str) -> int:
    return len(
        list(
            session.scalars(
                select(WcSession.id).where(WcSession.tenant_id == tenant_id, WcSession.state == "open")
            )
        )
    )
