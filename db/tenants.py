"""Tenants and their Web Connector credentials."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from db import batch, tenant_life
from db import secrets as secret_values
from db.batch import Statement
from db.models import ApiKey, RetiredUsername, ServiceConfig, Tenant, utcnow
from db.queue import revoke_open_sessions
from db.transaction import Work


def _username_for(session: Session, name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:32] or "tenant"
    # The suffix keeps usernames unique even for two tenants with the same name; a deleted tenant's
    # user name is retired and never given again (its connector may still call).
    while True:
        username = f"qbb-{slug}-{secrets.token_hex(3)}"
        if session.get(RetiredUsername, username) is None:
            return username


def new_file_id() -> str:
    return "{" + str(uuid.uuid4()).upper() + "}"


def create_tenant(session: Session, name: str) -> Tenant:
    tenant = Tenant(
        id=str(uuid.uuid4()),
        name=name,
        qbwc_username=_username_for(session, name),
        file_id=new_file_id(),
        settings={},
        company_file="",
    )
    session.add(tenant)
    session.flush()
    return tenant


def get_tenant(session: Session, tenant_id: str) -> Tenant | None:
    return session.get(Tenant, tenant_id)


def list_tenants(
    session: Session,
    *,
    only_id: str | None = None,
    after_id: str | None = None,
    limit: int | None = None,
    name: str | None = None,
) -> list[Tenant] | None:
    """Tenants in the order they were created, after the tenant ``after_id`` (None when that tenant
    is not in the list: the caller's cursor names nothing)."""
    query = select(Tenant)
    if only_id is not None:
        query = query.where(Tenant.id == only_id)
    if name:
        # A substring of the name, any case; % and _ in it are themselves.
        escaped = name.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(Tenant.name).like(f"%{escaped}%", escape="\\"))
    if after_id is not None:
        last = session.get(Tenant, after_id)
        if last is None or (only_id is not None and last.id != only_id):
            return None
        query = query.where(
            or_(
                Tenant.created_at > last.created_at,
                and_(Tenant.created_at == last.created_at, Tenant.id > last.id),
            )
        )
    query = query.order_by(Tenant.created_at, Tenant.id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def issue_token(session: Session, tenant: Tenant) -> str:
    """Give the tenant a new Web Connector password; the old one and its open sessions stop working."""
    token = secret_values.new_secret(24)
    tenant.token_digest = secret_values.digest(token)
    tenant.token_created_at = utcnow()
    revoke_open_sessions(session, tenant_id=tenant.id, reason="a new token was generated", now=utcnow())
    return token


def create_api_key(session: Session, tenant: Tenant, name: str = "") -> tuple[ApiKey, str]:
    key = "qbbk_" + secret_values.new_secret(24)
    record = ApiKey(
        id=str(uuid.uuid4()),
        tenant_id=tenant.id,
        name=name,
        prefix=key[:12],
        digest=secret_values.digest(key),
    )
    session.add(record)
    session.flush()
    return record, key


def find_api_key(session: Session, key: str) -> ApiKey | None:
    return session.scalars(
        select(ApiKey).where(ApiKey.digest == secret_values.digest(key), ApiKey.revoked_at.is_(None))
    ).first()


# --- the service's own admin key -------------------------------------------------------------

ADMIN_KEY_DIGEST = "admin_api_key_digest"


# Read with a statement rather than the ORM: the admin API's common send runs without an ORM
# session (db/transaction.py), and a generated admin key (the default) is checked on every call.
_READ_CONFIG = Statement("SELECT value FROM service_config WHERE key = :key")


def admin_key_digest(work: Work) -> str | None:
    rows = batch.run_one(work, _READ_CONFIG, {"key": ADMIN_KEY_DIGEST})
    return str(rows[0].value) if rows else None


def ensure_admin_key(session: Session, configured: str | None) -> str | None:
    """Make sure an admin key exists. Returns a newly generated key (to print once), else None.

    A key given in the environment wins and is not stored; without one, a key is generated on the
    first start and only its digest is kept, so later starts reuse it without ever showing it again.
    """
    if configured:
        return None
    if admin_key_digest(session) is not None:
        return None
    key = "qbba_" + secret_values.new_secret(24)
    session.add(ServiceConfig(key=ADMIN_KEY_DIGEST, value=secret_values.digest(key)))
    return key


def rotate_admin_key(session: Session) -> str:
    """A new admin key; only its digest is kept, replacing the old one's."""
    key = "qbba_" + secret_values.new_secret(24)
    row = session.get(ServiceConfig, ADMIN_KEY_DIGEST)
    if row is None:
        session.add(ServiceConfig(key=ADMIN_KEY_DIGEST, value=secret_values.digest(key)))
    else:
        row.value = secret_values.digest(key)
    return key


# --- Web Connector version, announced before authenticate -------------------------------------

CLIENT_HELLO_TTL = dt.timedelta(minutes=2)


# One statement (and one round trip with its BEGIN): every Web Connector session starts with it.
_REMEMBER_CLIENT_VERSION = Statement(
    "INSERT INTO qbwc_client_hello (address, version, seen_at) VALUES (:address, :version, :now) "
    "ON CONFLICT (address) DO UPDATE SET version = excluded.version, seen_at = excluded.seen_at",
    timestamps=("now",),
)


def remember_client_version(work: Work, address: str, version: str, now: dt.datetime) -> None:
    """The version ``clientVersion`` announced from an address, in the batch that ends the transaction
    (on PostgreSQL, one round trip with its BEGIN and COMMIT)."""
    batch.run(
        work,
        [(_REMEMBER_CLIENT_VERSION, {"address": address[:64], "version": version[:64], "now": now})],
        commit=True,
    )


# The version announced from an address; fresh when seen within ``CLIENT_HELLO_TTL`` (``hello_since``).
RECALL_CLIENT_VERSION = Statement(
    "SELECT version FROM qbwc_client_hello WHERE address = :address AND seen_at >= :hello_since",
    timestamps=("hello_since",),
)


# --- what the Web Connector tells us about the tenant's QuickBooks ------------------------------------


def note_failed_login(tenant: Tenant, *, now: dt.datetime) -> None:
    """The connector is installed and knows the user name, but not the token (the setup checklist)."""
    tenant.connector_seen_at = tenant.login_failed_at = now


def note_connection_error(session: Session, tenant_id: str, text: str, *, now: dt.datetime) -> None:
    """What the tenant's connection shows until the next error: why the last session could not work."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is not None:
        tenant.last_connection_error = text
        tenant.last_connection_error_at = now


def note_host(
    session: Session,
    tenant_id: str,
    *,
    raw: str,
    company_file: str | None,
    company_name: str | None,
    country: str | None,
    qbxml_version: str | None,
    qbwc_version: str | None,
    product: str | None,
    supported_versions: list[str],
    now: dt.datetime,
) -> None:
    """What a session's first sendRequestXML said about the customer's QuickBooks (the first such
    session binds the tenant to its company file). A value not reported this time keeps the one
    known before."""
    tenant = session.get(Tenant, tenant_id)
    assert tenant is not None  # the session's tenant: sessions are deleted with their tenant
    tenant_life.bind_company(tenant, company_file, company_name, now)
    tenant.host_info = {"raw": raw[:200_000]}
    tenant.host_info_at = now
    tenant.connected_company_file = company_file
    tenant.qb_country = country or tenant.qb_country
    tenant.qbxml_version = qbxml_version or tenant.qbxml_version
    tenant.qbwc_version = qbwc_version or tenant.qbwc_version
    tenant.qb_product = product or tenant.qb_product
    tenant.supported_qbxml_versions = supported_versions or tenant.supported_qbxml_versions
    tenant.last_contact_at = now
