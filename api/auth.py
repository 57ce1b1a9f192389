"""Admin API authentication: ``Authorization: Bearer <key>``.

The service's admin key reaches every tenant; a tenant's API key reaches only that tenant, and any
other tenant's resources answer 404 to it, exactly as if they did not exist.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.params import TenantId
from db import audit, tenant_life
from db import secrets as secret_values
from db import tenants as tenant_repo
from db.models import Tenant, utcnow
from db.transaction import Work, session_of

bearer = HTTPBearer(auto_error=False, description="The admin API key, or a tenant's API key.")


@dataclass(frozen=True, slots=True)
class Principal:
    is_admin: bool
    tenant_id: str | None = None

    @property
    def actor(self) -> str:
        return "admin" if self.is_admin else f"tenant-key:{self.tenant_id}"

    def can_see(self, tenant_id: str) -> bool:
        return self.is_admin or self.tenant_id == tenant_id


async def get_db_session(request: Request) -> AsyncIterator[Session]:
    # Admin calls are a few short statements: run them on the event loop, as the Web Connector
    # endpoint does, instead of paying a thread hand-over per call; processes give the parallelism.
    # Every operation that uses it is a coroutine (tests/foundation/test_admin_concurrency.py): one
    # FastAPI ran in a thread would leave this transaction open while the loop served the next call,
    # whose first statement would then wait, on the loop, for a lock the first one could never
    # release.
    with request.app.state.database.transaction() as session:
        yield session


# scope="function": the transaction commits before the response is sent, so a client that reads
# right after a 201 always sees what it just created.
DbSession = Annotated[Session, Depends(get_db_session, scope="function")]


async def get_principal(
    request: Request,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Missing API key: send it as 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal_of_key(request, session, credentials.credentials)


def principal_of_key(request: Request, work: Work, key: str) -> Principal:
    """Who ``key`` is: the service's admin, or one tenant (whose key is then marked used); 401 when
    it is neither. An ORM session is needed only for a tenant's key."""
    configured = request.app.state.settings.admin_api_key
    if configured and secret_values.matches(key, secret_values.digest(configured)):
        return Principal(is_admin=True)
    if not configured and secret_values.matches(key, tenant_repo.admin_key_digest(work)):
        return Principal(is_admin=True)
    session = session_of(work)
    api_key = tenant_repo.find_api_key(session, key)
    if api_key is not None:
        tenant_life.mark_key_used(session, api_key, utcnow())
        return Principal(is_admin=False, tenant_id=api_key.tenant_id)
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED, "The API key is not valid.", headers={"WWW-Authenticate": "Bearer"}
    )


def bearer_key(authorization: str | None) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header, as ``bearer`` reads it; None without one."""
    scheme, _, key = (authorization or "").partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def require_admin(principal: CurrentPrincipal) -> Principal:
    if not principal.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "This action needs the service's admin API key.")
    return principal


AdminPrincipal = Annotated[Principal, Depends(require_admin)]


def tenant_or_404(session: Session, principal: Principal, tenant_id: str) -> Tenant:
    tenant = tenant_repo.get_tenant(session, tenant_id) if principal.can_see(tenant_id) else None
    if tenant is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No tenant with id {tenant_id!r}.")
    return tenant


async def visible_tenant(tenant_id: TenantId, session: DbSession, principal: CurrentPrincipal) -> Tenant:
    """The path's tenant when the caller's key reaches it; 404 otherwise, as if it did not exist.

    As a dependency it runs before the request's body is validated: a call about a tenant the key
    cannot see answers 404 whatever its body."""
    return tenant_or_404(session, principal, tenant_id)


# The ``{tenant_id}`` of an operation's path, as the tenant itself.
VisibleTenant = Annotated[Tenant, Depends(visible_tenant)]


@dataclass(frozen=True, slots=True)
class TenantCall:
    """A call on one tenant: the path's tenant as the caller's key reaches it, the request's
    transaction, and who is calling. Nearly every operation on a tenant needs all three, and audits
    what it did as the caller, on that tenant."""

    tenant: Tenant
    session: Session
    principal: Principal

    def audit(self, action: str, **detail: Any) -> None:
        """Record ``action`` on this tenant in the audit log, as done by the caller."""
        audit.record(
            self.session, actor=self.principal.actor, action=action, tenant_id=self.tenant.id, **detail
        )


# FastAPI solves each dependency once per request: the session and principal given here are the very
# objects ``visible_tenant`` used to find the tenant (tests/adminapi/test_tenant_call.py).
async def tenant_call(tenant: VisibleTenant, session: DbSession, principal: CurrentPrincipal) -> TenantCall:
    return TenantCall(tenant, session, principal)


async def admin_tenant_call(
    principal: AdminPrincipal, tenant: VisibleTenant, session: DbSession
) -> TenantCall:
    # The admin check comes first, as it did: a tenant's key is told 403 for any tenant, its own
    # included, before whether the tenant exists is looked at.
    return TenantCall(tenant, session, principal)


# An operation on the path's tenant: ``(call: OnTenant, body: ...)``.
OnTenant = Annotated[TenantCall, Depends(tenant_call)]
# The same, for operations only the service's admin key may call (403 with a tenant's key).
OnTenantAsAdmin = Annotated[TenantCall, Depends(admin_tenant_call)]
