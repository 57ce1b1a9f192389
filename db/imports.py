"""Imports: QuickBooks documents (and the products they need) stored for Fusion Operations.

Unique per ``(tenant, source type, source id)``: a document retrieved twice is stored once. Storing
uses ``INSERT … ON CONFLICT DO NOTHING`` so concurrent retrievals cannot store a document twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import Import, RetrievalMark

PENDING = "pending"
DELIVERED = "delivered"
ACKNOWLEDGED = "acknowledged"
SKIPPED = "skipped"
STATUSES = (PENDING, DELIVERED, ACKNOWLEDGED, SKIPPED)


def store(
    session: Session,
    *,
    tenant_id: str,
    entity: str,
    source_type: str,
    source_id: str,
    ref_number: str | None,
    data: dict[str, Any],
    status: str,
    reason: str | None,
    job_id: int | None,
    now: dt.datetime,
) -> bool:
    """Store one import; returns False when this source was stored before (nothing changes then)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(Import)
        .values(
            public_id=str(uuid.uuid4()),
            tenant_id=tenant_id,
            entity=entity,
            status=status,
            source_type=source_type,
            source_id=source_id,
            ref_number=ref_number,
            data=data,
            reason=reason,
            job_id=job_id,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "source_type", "source_id"])
    )
    return bool(session.execute(statement).rowcount)


def find(session: Session, tenant_id: str, source_type: str, source_id: str) -> Import | None:
    return session.scalars(
        select(Import).where(
            Import.tenant_id == tenant_id, Import.source_type == source_type, Import.source_id == source_id
        )
    ).first()


def note_change_not_applied(session: Session, row: Import, *, modified: str | None, now: dt.datetime) -> None:
    """FAQ 1: a document changed in QuickBooks after it was imported is not imported again."""
    when = f" on {modified}" if modified else ""
    row.reason = (
        f"Changed in QuickBooks{when} after it was imported; changes are not applied to Fusion Operations "
        "(update the order in Fusion Operations by hand if needed)."
    )
    row.updated_at = now


def list_imports(
    session: Session,
    tenant_id: str,
    *,
    entity: str | None,
    status: str | None,
    after_id: int | None,
    limit: int,
) -> list[Import]:
    query = select(Import).where(Import.tenant_id == tenant_id)
    if entity is not None:
        query = query.where(Import.entity == entity)
    if status is not None:
        query = query.where(Import.status == status)
    if after_id is not None:
        query = query.where(Import.id > after_id)
    return list(session.scalars(query.order_by(Import.id).limit(limit)))


def acknowledge(session: Session, tenant_id: str, public_ids: list[str], *, now: dt.datetime) -> list[str]:
    """Mark imports as taken by Fusion Operations; returns the ids that were not found for this tenant."""
    rows = session.scalars(
        select(Import).where(Import.tenant_id == tenant_id, Import.public_id.in_(public_ids))
    ).all()
    found = {row.public_id for row in rows}
    session.execute(
        update(Import)
        .where(Import.tenant_id == tenant_id, Import.public_id.in_(found), Import.status != SKIPPED)
        .values(status=ACKNOWLEDGED, acknowledged_at=now, updated_at=now)
    )
    return [public_id for public_id in public_ids if public_id not in found]


# --- high-water marks --------------------------------------------------------------------------


def mark(session: Session, tenant_id: str, entity: str) -> RetrievalMark:
    row = session.get(RetrievalMark, (tenant_id, entity))
    if row is None:
        row = RetrievalMark(tenant_id=tenant_id, entity=entity)
        session.add(row)
        session.flush()
    return row
