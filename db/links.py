"""Links: what each Fusion Operations entity became in QuickBooks, per tenant.

``(tenant, entity, code)`` is unique. A send reserves the link (``pending``) in the same transaction
that queues its job, so a second send of the same entity finds it and creates nothing; the link
becomes ``linked`` with QuickBooks' IDs when the document step succeeds, and a pending link is
released when its job fails or is cancelled, so the entity can be sent again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, bindparam, select, text
from sqlalchemy.orm import Session

from db.batch import Statement
from db.models import Job, Link, UTCDateTime
from db.pages import tenant_rows
from db.results import affected_rows

PENDING = "pending"
LINKED = "linked"


# Built once: a send looks links up several times, and building the statement cost more than running it.
_GET = (
    select(Link)
    .where(
        Link.tenant_id == bindparam("tenant_id"),
        Link.entity == bindparam("entity"),
        Link.code == bindparam("code"),
    )
    .limit(1)
)


def get(session: Session, tenant_id: str, entity: str, code: str) -> Link | None:
    return session.scalars(_GET, {"tenant_id": tenant_id, "entity": entity, "code": code}).first()


# ``ON CONFLICT DO NOTHING`` on the unique (tenant, entity, code): the same text on PostgreSQL and
# SQLite. The unique index is what makes a reservation atomic; see ``reserve``.
_RESERVE = text(
    "INSERT INTO links (tenant_id, entity, code, status, job_id, data, created_at, updated_at) "
    "VALUES (:tenant_id, :entity, :code, 'pending', :job_id, :data, :now, :now) "
    "ON CONFLICT (tenant_id, entity, code) DO NOTHING"
).bindparams(bindparam("data", type_=JSON()), bindparam("now", type_=UTCDateTime()))


def reserve(
    session: Session,
    *,
    tenant_id: str,
    entity: str,
    code: str,
    job_id: int,
    data: dict[str, Any],
    now: dt.datetime,
) -> Link | None:
    """Reserve the link for ``job_id``; return None when reserved, or the link that already exists.

    ``INSERT … ON CONFLICT DO NOTHING`` makes the reservation atomic: of two concurrent sends of one
    entity, exactly one inserts; the other sees the existing row.
    """
    params = {
        "tenant_id": tenant_id,
        "entity": entity,
        "code": code,
        "job_id": job_id,
        "data": data,
        "now": now,
    }
    inserted = affected_rows(session.execute(_RESERVE, params))
    if inserted:
        return None
    existing = get(session, tenant_id, entity, code)
    assert existing is not None
    return existing


# A link's QuickBooks object, written in the batch that settles the step that created it
# (``db/queue/settle.py``: ``settle_step``); an ID QuickBooks did not return keeps the value the link had.
COMPLETE = Statement(
    "UPDATE links SET status = 'linked', qb_type = COALESCE(:qb_type, qb_type), "
    "txn_id = COALESCE(:txn_id, txn_id), list_id = COALESCE(:list_id, list_id), "
    "ref_number = COALESCE(:ref_number, ref_number), "
    "edit_sequence = COALESCE(:edit_sequence, edit_sequence), "
    "updated_at = :now WHERE tenant_id = :tenant_id AND entity = :entity AND code = :code",
    timestamps=("now",),
)


def complete_params(
    *, tenant_id: str, entity: str, code: str, qb_type: str | None, ids: dict[str, Any], now: dt.datetime
) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "entity": entity,
        "code": code,
        "qb_type": qb_type or None,
        "txn_id": ids.get("txnId") or None,
        "list_id": ids.get("listId") or None,
        "ref_number": ids.get("refNumber") or None,
        "edit_sequence": ids.get("editSequence") or None,
        "now": now,
    }


_RELEASE = text("DELETE FROM links WHERE job_id = :job_id AND status = 'pending'")


# What a succeeded job reserved becomes a fact. Also sent in the batch that settles a job's last
# step (``db/queue/settle.py``: ``settle_step``), after the job's status was derived in the same batch:
# hence the check that the status is ``succeeded``.
CONFIRM_IF_JOB_SUCCEEDED = Statement(
    "UPDATE links SET status = 'linked', updated_at = :now WHERE job_id = :job_id AND status = 'pending' "
    "AND EXISTS (SELECT 1 FROM jobs WHERE jobs.id = :job_id AND jobs.status = 'succeeded')",
    timestamps=("now",),
)


def release_for_job(session: Session, job_id: int) -> int:
    """Drop the pending links a failed or cancelled job held, so the entity can be sent again."""
    return affected_rows(session.execute(_RELEASE, {"job_id": job_id}))


def confirm_for_job(session: Session, job_id: int, *, now: dt.datetime) -> int:
    """A job succeeded: whatever it reserved is now a fact (e.g. "this sales order has its invoice")."""
    return affected_rows(session.execute(CONFIRM_IF_JOB_SUCCEEDED.clause, {"job_id": job_id, "now": now}))


def reserve_again(session: Session, job: Job, *, now: dt.datetime) -> Link | None:
    """On retry: take back what the job had reserved (``payload["reservations"]``); returns the
    conflicting link when another job holds one of them meanwhile."""
    reservations = (job.payload or {}).get("reservations") or []
    for item in reservations:
        existing = get(session, job.tenant_id, item["entity"], item["code"])
        if existing is not None:
            if existing.job_id != job.id:
                return existing
            continue
        conflict = reserve(
            session,
            tenant_id=job.tenant_id,
            entity=item["entity"],
            code=item["code"],
            job_id=job.id,
            data=item.get("data") or {},
            now=now,
        )
        if conflict is not None:
            return conflict
    return None


def list_links(
    session: Session,
    tenant_id: str,
    before_id: int | None,
    limit: int,
    *,
    entity: str | None = None,
    code: str | None = None,
) -> list[Link]:
    """The tenant's links, newest first, those older than the link ``before_id`` when it is given."""
    return tenant_rows(
        session, Link, tenant_id, before_id, limit, newest_first=True, entity=entity, code=code
    )
