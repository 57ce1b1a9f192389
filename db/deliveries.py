"""The lease queue of imports waiting to reach Fusion Operations (mapping/delivery): which are due,
taking a lease on them, and writing an outcome only while the lease is ours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import Import, Tenant
from db.results import affected_rows


@dataclass(slots=True)
class ImportClaim:
    id: int
    public_id: str
    tenant_id: str
    entity: str
    data: dict[str, Any]
    attempts: int  # after the claim: the lease token
    previous_next_attempt_at: dt.datetime | None


def claim_due(
    database: Database, now: dt.datetime, limit: int, *, lease: dt.timedelta, priority: dict[str, int]
) -> tuple[list[ImportClaim], dict[str, Tenant]]:
    """Take a lease of ``lease`` on up to ``limit`` due imports, in ``priority`` of their entity (lower
    first; others after).

    PostgreSQL: ``FOR UPDATE OF imports SKIP LOCKED`` so a concurrent run skips rows another run is
    claiming instead of waiting for them, and the lease written in the same transaction makes them
    not due for everyone else once it commits. SQLite: the transaction starts with ``BEGIN
    IMMEDIATE`` (db/engine.py), so the select and the lease run under the database write lock.
    """
    order = case(priority, value=Import.entity, else_=9)
    query = (
        select(Import, Tenant)
        .join(Tenant, Tenant.id == Import.tenant_id)
        .where(
            Import.status == "pending",
            (Import.next_attempt_at.is_(None)) | (Import.next_attempt_at <= now),
            Tenant.fusion_api_base_url.is_not(None),
            Tenant.fusion_api_base_url != "",
        )
        .order_by(order, Import.id)
        .limit(limit)
        .with_for_update(of=Import, skip_locked=True)
    )
    claims: list[ImportClaim] = []
    tenants: dict[str, Tenant] = {}
    lease_until = now + lease
    with database.transaction() as session:
        for row, tenant in session.execute(query).all():
            claims.append(
                ImportClaim(
                    id=row.id,
                    public_id=row.public_id,
                    tenant_id=row.tenant_id,
                    entity=row.entity,
                    data=dict(row.data or {}),
                    attempts=row.attempts + 1,
                    previous_next_attempt_at=row.next_attempt_at,
                )
            )
            tenants[tenant.id] = tenant
            row.attempts = row.attempts + 1
            row.next_attempt_at = lease_until
            row.updated_at = now
    return claims, tenants


def settle(session: Session, claim: ImportClaim, **values: Any) -> bool:
    """Write an outcome if the lease is still ours (nobody re-claimed the import after it expired)."""
    result = session.execute(
        update(Import)
        .where(Import.id == claim.id, Import.status == "pending", Import.attempts == claim.attempts)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(affected_rows(result))


def hand_back(session: Session, claim: ImportClaim, now: dt.datetime, **values: Any) -> None:
    # Not an attempt: the count goes back to what it was.
    values.setdefault("next_attempt_at", claim.previous_next_attempt_at)
    settle(session, claim, attempts=claim.attempts - 1, updated_at=now, **values)


def pending_product_codes(database: Database, tenant_id: str) -> set[str]:
    with database.sessions() as session:
        rows = session.scalars(
            select(Import.data).where(
                Import.tenant_id == tenant_id, Import.entity == "product", Import.status == "pending"
            )
        ).all()
    return {str((data or {}).get("code")) for data in rows}
