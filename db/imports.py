"""Imports: QuickBooks documents (and the products they need) stored for Fusion Operations.

Unique per ``(tenant, source type, source id)``: a document retrieved twice is stored once. Storing
uses ``INSERT … ON CONFLICT DO NOTHING`` so concurrent retrievals cannot store a document twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import Import, RetrievalMark, table_of
from db.pages import tenant_rows
from db.results import affected_rows

PENDING = "pending"
DELIVERED = "delivered"
ACKNOWLEDGED = "acknowledged"
SKIPPED = "skipped"
STATUSES = (PENDING, DELIVERED, ACKNOWLEDGED, SKIPPED)


imports_table = table_of(Import)


def store_many(session: Session, rows: list[dict[str, Any]], *, now: dt.datetime) -> int:
    """Store many imports in one statement (a page of a retrieval); sources stored before are left as
    they are. Each row has the keys of :func:`store`. Returns how many were new."""
    if not rows:
        return 0
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = [
        {
            "public_id": str(uuid.uuid4()),
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
            **row,
        }
        for row in rows
    ]
    statement = insert(imports_table).on_conflict_do_nothing(
        index_elements=["tenant_id", "source_type", "source_id"]
    )
    return affected_rows(session.execute(statement, values))


def imported_as(session: Session, tenant_id: str, entity: str, code: str) -> Import | None:
    """The import a Fusion Operations order with this code came from, if it came from QuickBooks.

    Each import keeps the code it was imported under (``imports.code``): a prefix for its QuickBooks
    document type (``retrievedCodePrefixes``, as the setting was then) and QuickBooks' number.
    """
    return session.scalars(
        select(Import)
        .where(
            Import.tenant_id == tenant_id,
            Import.entity == entity,
            Import.status != SKIPPED,
            Import.code == code,
        )
        .limit(1)
    ).first()


def codes_in_use(
    session: Session, tenant_id: str, entity: str, codes: list[str]
) -> dict[str, tuple[str, str]]:
    """Imports of ``entity`` that hold one of ``codes`` already, skipped ones aside: for each code, the
    first holder's QuickBooks type and number (``RefNumber``, else TxnID)."""
    if not codes:
        return {}
    wanted = sorted(set(codes))
    found: dict[str, tuple[str, str]] = {}
    if _is_postgresql(session):
        params = {"tenant_id": tenant_id, "entity": entity, "codes": wanted}
        rows = session.execute(_HOLDERS, params).all()
    else:
        rows = session.execute(
            select(Import.id, Import.code, Import.source_type, Import.ref_number, Import.source_id).where(
                Import.tenant_id == tenant_id,
                Import.entity == entity,
                Import.status != SKIPPED,
                Import.code.in_(wanted),
            )
        ).all()
    # The first holder of each code is the oldest import: ordered here, not in SQL, where ``ORDER BY id``
    # made PostgreSQL walk the tenant's imports in id order.
    for _, code, source_type, ref_number, source_id in sorted(rows, key=lambda row: row[0]):
        found.setdefault(code or "", (source_type, ref_number or source_id))
    return found


# On PostgreSQL a page's codes and source ids are looked up one by one in their index, each in a
# subquery PostgreSQL cannot merge into a join (LATERAL with OFFSET 0), so the plan is
# one index lookup per value whatever the statistics say. Written as ``code IN (…)``, a tenant's first
# retrieval (its imports growing faster than the statistics are refreshed, so the estimate stays at
# one row) was planned as a walk through every import of the tenant, testing each against the list:
# every page read all the imports stored before it (docs/performance.md, "Retrieval: one index lookup
# per document").
_HOLDERS = text(
    "SELECT h.id, w.code, h.source_type, h.ref_number, h.source_id "
    "FROM unnest(CAST(:codes AS VARCHAR[])) AS w(code) "
    "CROSS JOIN LATERAL ("
    "SELECT i.id, i.source_type, i.ref_number, i.source_id FROM imports i "
    "WHERE i.tenant_id = :tenant_id AND i.entity = :entity AND i.code = w.code "
    f"AND i.status <> '{SKIPPED}' OFFSET 0) AS h"
)
_EXISTING_SOURCES = text(
    "SELECT w.source_id FROM unnest(CAST(:source_ids AS VARCHAR[])) AS w(source_id) "
    "CROSS JOIN LATERAL (SELECT 1 FROM imports i WHERE i.tenant_id = :tenant_id "
    "AND i.source_type = :source_type AND i.source_id = w.source_id OFFSET 0) AS h"
)


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def existing_sources(session: Session, tenant_id: str, source_type: str, source_ids: list[str]) -> set[str]:
    if not source_ids:
        return set()
    if _is_postgresql(session):
        params = {"tenant_id": tenant_id, "source_type": source_type, "source_ids": sorted(set(source_ids))}
        return set(session.scalars(_EXISTING_SOURCES, params))
    return set(
        session.scalars(
            select(Import.source_id).where(
                Import.tenant_id == tenant_id,
                Import.source_type == source_type,
                Import.source_id.in_(source_ids),
            )
        )
    )


def note_changes_not_applied(
    session: Session, tenant_id: str, source_type: str, source_ids: list[str], *, now: dt.datetime
) -> None:
    """FAQ 1: documents changed in QuickBooks after they were imported are not imported again."""
    if not source_ids:
        return
    session.execute(
        update(imports_table)
        .where(
            imports_table.c.tenant_id == tenant_id,
            imports_table.c.source_type == source_type,
            imports_table.c.source_id.in_(source_ids),
        )
        .values(reason=CHANGED_AFTER_IMPORT, updated_at=now)
    )


CHANGED_AFTER_IMPORT = (
    "Changed in QuickBooks after it was imported; changes are not applied to Fusion Operations "
    "(update the order in Fusion Operations by hand if needed)."
)


def list_imports(
    session: Session,
    tenant_id: str,
    after_id: int | None,
    limit: int,
    *,
    entity: str | None,
    status: str | None,
) -> list[Import]:
    """The tenant's imports, oldest first, those after the import ``after_id`` when it is given."""
    return tenant_rows(
        session, Import, tenant_id, after_id, limit, newest_first=False, entity=entity, status=status
    )


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
