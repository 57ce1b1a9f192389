"""What retrievals know of a tenant's QuickBooks lists: each item's type and unit-of-measure set, and
the unit-of-measure sets (``quickbooks_lists``), kept up to date by each retrieval before its documents.

Items change rarely and a company may have many, so they are stored and refreshed with what changed
since the last retrieval; unit-of-measure sets are few and replaced whole each time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import QuickBooksListEntry, table_of

ITEM = "item"
UNIT_SET = "unitSet"

table = table_of(QuickBooksListEntry)


def upsert(
    session: Session, tenant_id: str, kind: str, rows: list[dict[str, Any]], *, now: dt.datetime
) -> None:
    """Store entries (``list_id``, ``type``, ``full_name``, ``data``), replacing what was known of them."""
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = [{"tenant_id": tenant_id, "kind": kind, "updated_at": now, **row} for row in rows]
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["tenant_id", "kind", "list_id"],
        set_={
            "type": statement.excluded.type,
            "full_name": statement.excluded.full_name,
            "data": statement.excluded.data,
            "updated_at": statement.excluded.updated_at,
        },
    )
    session.execute(statement, values)


def replace_all(
    session: Session, tenant_id: str, kind: str, rows: list[dict[str, Any]], *, now: dt.datetime
) -> None:
    """The tenant's entries of ``kind`` become exactly ``rows`` (a list read whole)."""
    session.execute(delete(table).where(table.c.tenant_id == tenant_id, table.c.kind == kind))
    upsert(session, tenant_id, kind, rows, now=now)


def items_and_unit_sets(
    session: Session, tenant_id: str, *, list_ids: Iterable[str] = (), full_names: Iterable[str] = ()
) -> list[tuple[str, str, str, str | None, dict[str, Any]]]:
    """In one statement: the items with one of these ListIDs or full names, and every unit-of-measure
    set; each as ``(kind, list_id, type, full_name, data)``."""
    ids, names = sorted(set(list_ids)), sorted(set(full_names))
    wanted = table.c.kind == UNIT_SET
    if ids or names:
        wanted = or_(
            wanted,
            and_(table.c.kind == ITEM, or_(table.c.list_id.in_(ids), table.c.full_name.in_(names))),
        )
    rows = session.execute(
        select(table.c.kind, table.c.list_id, table.c.type, table.c.full_name, table.c.data).where(
            table.c.tenant_id == tenant_id, wanted
        )
    )
    return [(kind, list_id, type_, full_name, data or {}) for kind, list_id, type_, full_name, data in rows]
