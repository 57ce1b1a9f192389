"""The audit log: who did what to which tenant. Secrets never go in ``detail``."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from db.models import AuditEvent


def record(session: Session, *, actor: str, action: str, tenant_id: str | None = None, **detail: Any) -> None:
    session.add(AuditEvent(actor=actor, action=action, tenant_id=tenant_id, detail=detail))
