"""What a send reads before it queues anything (one statement), and what it writes (one batch).

A send needs its tenant (settings, country, qbXML version), the links of the few entities it looks
at (its own, the order a shipping or receiving belongs to, the "already invoiced/billed" marker) and
whether an order came from QuickBooks; then it writes its job, the job's steps, its link
reservations and an audit row. One at a time that was up to ten round trips, each costing more in
the driver and SQLAlchemy than in the database. Here the reads are one ``SELECT``, and the writes are
one batch (``db/batch.py``: one round trip on PostgreSQL, the same SQL statement by statement on
SQLite). The steps and reservations find their job by its public id (a subquery on a unique index),
so no statement needs an earlier one's result as a parameter. The batch starts by taking the job's
place in its tenant's queue, which holds the tenant row's lock until the transaction ends (see
``db/queue/sql.py``, "the queue's order").

Reading a link here decides nothing: the reservation (``INSERT … ON CONFLICT DO NOTHING`` on the
unique ``(tenant_id, entity, code)``, as in ``db/links.py``) stays the one atomic step that decides
which of two concurrent sends owns an entity. It returns a row only when it inserted one; the caller
refuses the send (and rolls everything back) when another send got there first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy.exc import DBAPIError

from db import batch, queue
from db.batch import Statement
from db.imports import SKIPPED
from db.transaction import Work

# Links read with the tenant. Shipping and receiving read three (their own, their order's, and the
# order's one-invoice/one-bill marker); every other flow fewer. A fixed number of slots keeps the
# statement text fixed, so the driver prepares it once per connection.
LINK_SLOTS = 3


# --- the reads ---------------------------------------------------------------------------------


class LinkRow(NamedTuple):
    """A link as a send looks at it (a plain row: a send never changes a link it has read). Its fields
    are the ``links`` columns of the same names, read in this order (``_READ``)."""

    entity: str
    code: str
    status: str
    qb_type: str | None
    txn_id: str | None
    list_id: str | None
    ref_number: str | None
    edit_sequence: str | None
    job_id: int | None
    data: dict[str, Any]


@dataclass(slots=True)
class SendReads:
    tenant_id: str
    # The stored settings document as text: parsed settings are remembered by it (mapping/settings.py).
    settings_text: str | None
    qb_country: str | None
    qbxml_version: str | None
    # Whether the order asked about (``imported``) came from QuickBooks.
    imported: bool
    # Every key asked for: its link, or None when the entity has none.
    links: dict[tuple[str, str], LinkRow | None] = field(default_factory=dict)
    # The tenant is disabled: nothing is queued for it (db/tenant_life.py).
    disabled: bool = False


# A slot left empty compares with NULL, which matches no row.
_NO_KEY = (None, None)

# One left join a slot, each on the whole unique key (uq_links_tenant_entity_code): one index entry
# read a link whatever the statistics say, and one generic plan reused at every send (pinned by
# tests/foundation/test_send_read_plan.py). One OR of (entity, code) pairs was planned, with
# statistics taken while tenants had few links, as a scan of every link of the tenant with the pairs
# as a filter: a send's cost grew with its tenant's links.
_READ = Statement(
    "SELECT t.id, CAST(t.settings AS TEXT) AS settings, t.qb_country, t.qbxml_version, "
    "t.disabled_at IS NOT NULL AS disabled, "
    "EXISTS (SELECT 1 FROM imports i WHERE i.tenant_id = t.id AND i.entity = :imported_entity "
    f"AND i.status <> '{SKIPPED}' AND i.code = :imported_code) AS imported, "
    + ", ".join(f"l{i}.{column} AS {column}{i}" for i in range(LINK_SLOTS) for column in LinkRow._fields)
    + " FROM tenants t "
    + " ".join(
        f"LEFT JOIN links l{i} ON l{i}.tenant_id = t.id AND l{i}.entity = :e{i} AND l{i}.code = :c{i}"
        for i in range(LINK_SLOTS)
    )
    + " WHERE t.id = :tenant_id",
    json_columns=[f"data{i}" for i in range(LINK_SLOTS)],
)


def read_for_send(
    session: Work,
    tenant_id: str,
    link_keys: Sequence[tuple[str, str]],
    *,
    imported: tuple[str, str] | None = None,
) -> SendReads | None:
    """The tenant, the links of ``link_keys`` (at most ``LINK_SLOTS``), and whether ``imported``
    (entity, code) came from QuickBooks; None when there is no such tenant."""
    keys = list(dict.fromkeys(link_keys))
    if len(keys) > LINK_SLOTS:
        raise ValueError(f"at most {LINK_SLOTS} links are read with the tenant")
    params: dict[str, Any] = {"tenant_id": tenant_id}
    for i in range(LINK_SLOTS):
        params[f"e{i}"], params[f"c{i}"] = keys[i] if i < len(keys) else _NO_KEY
    params["imported_entity"], params["imported_code"] = imported if imported is not None else _NO_KEY
    rows = batch.run_one(session, _READ, params)
    if not rows:
        return None
    row = rows[0]
    reads = SendReads(
        tenant_id=row.id,
        settings_text=row.settings,
        qb_country=row.qb_country,
        qbxml_version=row.qbxml_version,
        imported=bool(row.imported),
        links=dict.fromkeys(keys),
        disabled=bool(row.disabled),
    )
    for i, key in enumerate(keys):
        link = LinkRow._make(getattr(row, f"{column}{i}") for column in LinkRow._fields)
        if link.entity is not None:
            reads.links[key] = link._replace(data=link.data or {})
    return reads


# The steps of the tenant's latest inventory jobs, found newest first by the index of inventory jobs
# (db/models.py: ix_jobs_tenant_inventory, whose condition the kind's term repeats as written).
_RECENT_INVENTORY_RESULTS = Statement(
    "SELECT s.completed_at, s.result FROM job_steps s "
    "WHERE s.job_id IN (SELECT j.id FROM jobs j WHERE j.tenant_id = :tenant_id AND j.kind = 'inventory' "
    "ORDER BY j.id DESC LIMIT :limit) "
    "AND s.completed_at >= :since ORDER BY s.completed_at DESC",
    timestamps=["since"],
    json_columns=["result"],
    timestamp_columns=["completed_at"],
)


def recent_inventory_results(
    session: Work, tenant_id: str, *, since: dt.datetime, limit: int = 20
) -> list[tuple[dt.datetime, dict[str, Any]]]:
    """The results of the finished steps of the tenant's latest ``limit`` inventory jobs, completed
    since ``since``, newest first: what QuickBooks answered earlier inventory sends (their item lookup
    says each item's type, whether or not the send could go on)."""
    rows = batch.run_one(
        session, _RECENT_INVENTORY_RESULTS, {"tenant_id": tenant_id, "since": since, "limit": limit}
    )
    # (completed_at is never NULL here: the statement compares it with :since.)
    return [(row.completed_at, dict(row.result or {})) for row in rows]


# --- the writes --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewSendStep:
    kind: str
    intent: dict[str, Any]
    reconcilable: bool


@dataclass(frozen=True, slots=True)
class Reservation:
    entity: str
    code: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    actor: str
    action: str
    detail: dict[str, Any]


# ``RETURNING`` says whether the row was inserted: the same text on both databases.
_RESERVE = Statement(
    "INSERT INTO links (tenant_id, entity, code, status, job_id, data, created_at, updated_at) "
    f"VALUES (:tenant_id, :entity, :code, 'pending', {queue.JOB_BY_PUBLIC_ID}, :data, :now, :now) "
    "ON CONFLICT (tenant_id, entity, code) DO NOTHING RETURNING id",
    json_params=["data"],
    timestamps=["now"],
)
# On PostgreSQL a send's last batch commits (``write_send``). Just before its COMMIT, this fails the
# batch when the job does not hold every link it reserved (another request took one first), so that
# nothing of the send is committed; the function raises SQLSTATE ``QB001`` (migration 0019).
RESERVATIONS_TAKEN = Statement(
    "SELECT qbbridge_reservations_taken(:expected, "
    f"(SELECT count(*) FROM links WHERE job_id = {queue.JOB_BY_PUBLIC_ID}))"
)
_RESERVATION_LOST = "QB001"
_AUDIT = Statement(
    "INSERT INTO audit_log (tenant_id, actor, action, detail, created_at) "
    "VALUES (:tenant_id, :actor, :action, :detail, :now)",
    json_params=["detail"],
    timestamps=["now"],
)


def write_send(
    session: Work,
    *,
    public_id: str,
    tenant_id: str,
    kind: str,
    payload: dict[str, Any],
    steps: Sequence[NewSendStep],
    warnings: Sequence[str],
    link_entity: str | None,
    link_code: str | None,
    depends_on_job_id: int | None,
    reservations: Sequence[Reservation],
    audit: AuditEntry | None,
    now: dt.datetime,
) -> list[bool]:
    """Queue the job ``public_id`` with its steps, reserve its links and write the audit row, as the
    last work of the session's transaction; for each reservation, whether it was taken (False: another
    job holds it, and the caller must roll back).

    On PostgreSQL the batch commits the transaction in its own round trip when every reservation was
    taken, and fails it (nothing committed) when one was not; on SQLite the session commits when it
    ends. Either way nothing may run on the session afterwards (``db/batch.py``, ``commit=True``)."""
    # The tenant's queue number, the job and its steps: the same rows as ``db/queue/jobs.py: enqueue``.
    statements = queue.job_statements(
        public_id=public_id,
        tenant_id=tenant_id,
        kind=kind,
        payload=payload,
        steps=[queue.NewStep(step.kind, step.intent, step.reconcilable) for step in steps],
        warnings=warnings,
        link_entity=link_entity,
        link_code=link_code,
        depends_on_job_id=depends_on_job_id,
        now=now,
    )
    first_reservation = len(statements)
    statements += [
        (
            _RESERVE,
            {
                "tenant_id": tenant_id,
                "entity": reservation.entity,
                "code": reservation.code,
                "public_id": public_id,
                "data": reservation.data,
                "now": now,
            },
        )
        for reservation in reservations
    ]
    if audit is not None:
        statements.append(
            (
                _AUDIT,
                {
                    "tenant_id": tenant_id,
                    "actor": audit.actor,
                    "action": audit.action,
                    "detail": audit.detail,
                    "now": now,
                },
            )
        )
    if reservations and queue.dialect_of(session) == "postgresql":
        statements.append((RESERVATIONS_TAKEN, {"expected": len(reservations), "public_id": public_id}))
    try:
        results = batch.run(session, statements, commit=True)
    except DBAPIError as exc:
        # The reservations' check failed the batch before its COMMIT: what the reservations returned
        # says which one another request holds.
        before = batch.rows_before_failure(exc)
        if before is None or getattr(exc.orig, "sqlstate", None) != _RESERVATION_LOST:
            raise
        results = before
    return [bool(rows) for rows in results[first_reservation : first_reservation + len(reservations)]]
