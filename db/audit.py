"""The audit log: who did what to which tenant. Secrets never go in ``detail``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, bindparam, text
from sqlalchemy.orm import Session

from db.models import UTCDateTime, utcnow

# Written at once with one prepared statement rather than added to the session: every admin call
# records one row, and the unit of work's flush of a new object costs more than this INSERT.
_RECORD = text(
    "INSERT INTO audit_log (tenant_id, actor, action, detail, created_at) "
    "VALUES (:tenant_id, :actor, :action, :detail, :created_at)"
).bindparams(bindparam("detail", type_=JSON()), bindparam("created_at", type_=UTCDateTime()))


def record(session: Session, *, actor: str, action: str, tenant_id: str | None = None, **detail: Any) -> None:
    session.execute(
        _RECORD,
        {"tenant_id": tenant_id, "actor": actor, "action": action, "detail": detail, "created_at": utcnow()},
    )
