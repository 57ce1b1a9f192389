"""SQLAlchemy models: tenants, credentials, Web Connector sessions, jobs and their steps, audit log.

The schema itself is owned by the Alembic migrations in ``db/migrations``; these classes must match
them (a test compares the two).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.columns import (
    CompanyFilePath,
    Count,
    Country,
    JsonObject,
    LongText,
    QbxmlVersion,
    SerialId,
    StampedNow,
    TenantKey,
    UTCDateTime,
    partial_index,
    utcnow,
)

# A job with steps still to go (queued, or in flight), written as the queue's statements write it:
# the open-jobs index is partial on exactly this condition, and a query can use it only when its own
# WHERE clause carries the same term (SQLite compares the text).
OPEN_JOB_CONDITION = "status IN ('queued', 'in_flight')"
WAITING_STEP_CONDITION = "state IN ('queued', 'in_flight', 'unknown_outcome')"
# A job left with an unknown outcome is not pruned: a person still has to settle it, from its payload.
PRUNABLE_JOB_CONDITION = "payload_pruned_at IS NULL AND status IN ('succeeded', 'failed', 'cancelled')"
PRUNABLE_IMPORT_CONDITION = "data_pruned_at IS NULL AND status = 'acknowledged'"
LINK_HAS_NUMBER = "ref_number IS NOT NULL"
INVENTORY_JOB_CONDITION = "kind = 'inventory'"
# A Web Connector session in which QuickBooks answered the connector: it let the connector in (a
# sendRequestXML came, reporting the company file) or refused it for a reason of its own. The setup
# checklist's "request access" reads the latest such session (mapping/setup.py).
ANSWERED_SESSION_CONDITION = (
    "(company_file IS NOT NULL AND refusal IS NULL) OR refusal IN ('other_company_file', 'connection_error')"
)


class Base(DeclarativeBase):
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads it as a class attribute
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON,
    }


def table_of(model: type[Base]) -> Table:
    """The table a model is declared on, for Core statements. SQLAlchemy types ``__table__`` as any
    FROM clause (a class may be mapped to a join); every model here is mapped to one table."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class ServiceConfig(Base):
    """Service-wide values generated once and kept (the admin key's digest)."""

    __tablename__ = "service_config"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    qbwc_username: Mapped[str] = mapped_column(String(64), unique=True)
    file_id: Mapped[str] = mapped_column(String(38), unique=True)
    token_digest: Mapped[str | None] = mapped_column(String(64))
    token_created_at: Mapped[dt.datetime | None]
    company_file: Mapped[CompanyFilePath] = mapped_column(default="")
    settings: Mapped[JsonObject]
    created_at: Mapped[StampedNow]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # What we know of the customer's side, from the Web Connector's calls.
    last_contact_at: Mapped[dt.datetime | None]
    qbwc_version: Mapped[str | None] = mapped_column(String(64))
    connected_company_file: Mapped[CompanyFilePath | None]
    qb_product: Mapped[str | None] = mapped_column(String(200))
    qb_country: Mapped[Country | None]
    qbxml_version: Mapped[QbxmlVersion | None]
    supported_qbxml_versions: Mapped[list[str] | None] = mapped_column(JSON)
    host_info: Mapped[dict[str, Any] | None]
    host_info_at: Mapped[dt.datetime | None]
    last_connection_error: Mapped[LongText | None]
    last_connection_error_at: Mapped[dt.datetime | None]

    # Where imports are pushed (Fusion Operations' API). The key is needed to call it, so it is kept
    # sealed under the service's secret key (db/sealing.py), never returned by the API nor logged.
    fusion_api_base_url: Mapped[str | None] = mapped_column(String(500))
    fusion_api_key_sealed: Mapped[LongText | None]

    # What the setup checklist is derived from (mapping/setup.py), each written when it happened.
    qwc_downloaded_at: Mapped[dt.datetime | None]
    connector_seen_at: Mapped[dt.datetime | None]  # any authenticate
    login_failed_at: Mapped[dt.datetime | None]  # a wrong token
    # The company file the tenant is bound to: the first that reached QuickBooks (db/binding.py).
    bound_company_file: Mapped[CompanyFilePath | None]
    bound_company_name: Mapped[str | None] = mapped_column(String(200))
    bound_at: Mapped[dt.datetime | None]
    disabled_at: Mapped[dt.datetime | None]

    # Where the tenant's events are sent (mapping/webhooks.py), with how far they were announced.
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret_sealed: Mapped[LongText | None]
    webhook_since: Mapped[dt.datetime | None]
    webhook_connection_seen_at: Mapped[dt.datetime | None]
    webhook_imports_seen_id: Mapped[int | None] = mapped_column(BigInteger)


class ApiKey(Base):
    """A per-tenant admin API key. Only the SHA-256 digest of the key is stored."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[StampedNow]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]


class LoginThrottle(Base):
    """Failed Web Connector logins, counted per user name and network address, and per address
    across user names (``username`` is ``""`` on that row). See ``db/login_throttle.py``."""

    __tablename__ = "qbwc_login_throttle"

    username: Mapped[str] = mapped_column(String(200), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[Count]
    window_started_at: Mapped[StampedNow]
    blocked_until: Mapped[dt.datetime | None]

    __table_args__ = (Index("ix_qbwc_login_throttle_window", "window_started_at"),)


class ClientHello(Base):
    """The Web Connector version last announced (``clientVersion``) from one network address."""

    __tablename__ = "qbwc_client_hello"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[StampedNow]


class WebhookEvent(Base):
    """An event to send to the tenant's webhook; kept until delivered (mapping/webhooks.py)."""

    __tablename__ = "webhook_events"

    id: Mapped[SerialId]
    public_id: Mapped[str] = mapped_column(String(36), unique=True)  # the webhook-id header
    tenant_id: Mapped[TenantKey]
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    last_error: Mapped[LongText | None]
    created_at: Mapped[StampedNow]
    updated_at: Mapped[StampedNow]

    __table_args__ = (
        Index("ix_webhook_events_delivery", "status", "next_attempt_at"),
        Index("ix_webhook_events_tenant", "tenant_id", "id"),
    )


class RetiredUsername(Base):
    """The Web Connector user name of a deleted tenant: never given to another tenant."""

    __tablename__ = "retired_usernames"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    retired_at: Mapped[StampedNow]


class WcSession(Base):
    """One Web Connector update session. The ticket is stored only as a digest."""

    __tablename__ = "qbwc_sessions"

    id: Mapped[SerialId]
    tenant_id: Mapped[TenantKey]
    ticket_digest: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[StampedNow]
    last_seen_at: Mapped[StampedNow]
    closed_at: Mapped[dt.datetime | None]
    client_version: Mapped[str | None] = mapped_column(String(64))
    company_file: Mapped[CompanyFilePath | None]
    country: Mapped[Country | None]
    qbxml_version: Mapped[QbxmlVersion | None]
    hcp_received: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[LongText | None]
    wait_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    steps_done: Mapped[Count]
    # The requests waiting for the tenant when the session started (its progress's denominator).
    planned_steps: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    waits: Mapped[Count]
    close_reason: Mapped[str | None] = mapped_column(String(200))
    # Why qbbridge refused the session (qbwc/onboarding.py: Refusal), if it did.
    refusal: Mapped[str | None] = mapped_column(String(40))
    requested_company_file: Mapped[CompanyFilePath | None]
    retried_open_file: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (
        Index("ix_qbwc_sessions_tenant_state", "tenant_id", "state"),
        # The setup checklist's first session since the token, and its latest answered one: one index
        # entry each, however many sessions the tenant kept (sessions are never deleted).
        Index("ix_qbwc_sessions_tenant_created", "tenant_id", "created_at", "id"),
        partial_index(
            "ix_qbwc_sessions_tenant_answered",
            "tenant_id",
            "created_at",
            "id",
            where=ANSWERED_SESSION_CONDITION,
        ),
    )


class TenantQueue(Base):
    """The last queue place given to one of the tenant's jobs (``jobs.queue_seq``): a narrow row of its
    own, made by the tenant's first job, because every send updates it under a lock (db/queue/sql.py,
    NEXT_QUEUE_SEQ)."""

    __tablename__ = "tenant_queues"
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    last_queue_seq: Mapped[int] = mapped_column(BigInteger)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[SerialId]
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    tenant_id: Mapped[TenantKey]
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    error: Mapped[LongText | None]
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    payload: Mapped[JsonObject]
    result: Mapped[JsonObject]
    created_at: Mapped[StampedNow]
    updated_at: Mapped[StampedNow]
    finished_at: Mapped[dt.datetime | None]
    # The finished status a webhook event was made for (mapping/webhooks.py), so each is sent once.
    notified_status: Mapped[str | None] = mapped_column(String(20))
    # The Fusion Operations entity this job sends (for its link), and a job it must wait for (the
    # purchase order a receiving's bill links to, while that purchase order is still being sent).
    link_entity: Mapped[str | None] = mapped_column(String(40))
    link_code: Mapped[str | None] = mapped_column(String(200))
    depends_on_job_id: Mapped[int | None] = mapped_column(
        ForeignKey("jobs.id", name="fk_jobs_depends_on_job_id")
    )
    # The job's place in its tenant's queue: the tenant's next number when the job was queued, and
    # again when it is retried (db/queue/jobs.py). Jobs reach QuickBooks in this order.
    queue_seq: Mapped[int] = mapped_column(BigInteger)
    # When retention removed the payloads of the job and its steps (qbbridge/retention.py).
    payload_pruned_at: Mapped[dt.datetime | None]

    __table_args__ = (
        Index("ix_jobs_tenant_status", "tenant_id", "status", "id"),
        # The sync log: a tenant's jobs newest first, and found by the Fusion Operations code they send.
        Index("ix_jobs_tenant_id", "tenant_id", "id"),
        Index("ix_jobs_tenant_link_code", "tenant_id", "link_code"),
        Index("ix_jobs_depends_on", "depends_on_job_id"),
        # The tenant's jobs with steps still to go, in queue order: the claim reads the first of them
        # (and the next few for a shared message set) and nothing else, however long the history.
        partial_index("ix_jobs_open_queue", "tenant_id", "queue_seq", where=OPEN_JOB_CONDITION),
        # An inventory send's look at the tenant's latest inventory sends (db/sends.py).
        partial_index("ix_jobs_tenant_inventory", "tenant_id", "id", where=INVENTORY_JOB_CONDITION),
        # What retention may still prune, oldest first (qbbridge/retention.py).
        partial_index("ix_jobs_prunable", "finished_at", where=PRUNABLE_JOB_CONDITION),
    )


class Step(Base):
    """One qbXML request message set of a job, in its position; the unit the queue hands out."""

    __tablename__ = "job_steps"

    id: Mapped[SerialId]
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    tenant_id: Mapped[TenantKey]
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20), default="queued")
    intent: Mapped[JsonObject]
    request: Mapped[LongText | None]
    request_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    response: Mapped[LongText | None]
    status_code: Mapped[int | None] = mapped_column(Integer)
    status_severity: Mapped[str | None] = mapped_column(String(16))
    status_message: Mapped[LongText | None]
    hresult: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[LongText | None]
    result: Mapped[JsonObject]
    session_id: Mapped[int | None] = mapped_column(ForeignKey("qbwc_sessions.id"))
    attempts: Mapped[Count]
    not_before: Mapped[dt.datetime | None]
    # "send" the request, or "reconcile": ask QuickBooks whether an earlier send was saved.
    phase: Mapped[str] = mapped_column(String(16), default="send", server_default="send")
    reconcilable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The qbXML version the step's own request was last written for: what it carried (an ExternalGUID
    # from 9.0 on) decides how it is looked for if its answer is lost (mapping/flows/reconcile.py).
    sent_qbxml_version: Mapped[QbxmlVersion | None]
    # The request prepared when the step was queued (raw qbXML that declares its version), with a
    # stand-in for the step's id; the lowest host level (major * 100 + minor) that takes it as it is;
    # how many requests it carries. NULL: written at claim time (migration 0020, db/queue/sql.py);
    # cleared when the step ends.
    prepared_request: Mapped[LongText | None]
    prepared_level: Mapped[int | None] = mapped_column(Integer)
    prepared_requests: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[StampedNow]
    claimed_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]

    __table_args__ = (
        Index("ix_job_steps_queue", "tenant_id", "state", "job_id", "position"),
        Index("ix_job_steps_job", "job_id", "position"),
        Index("ix_job_steps_session", "session_id", "state"),
        # The steps not finished, counted by /metrics without reading the history.
        partial_index("ix_job_steps_waiting", "state", "created_at", where=WAITING_STEP_CONDITION),
    )


class Link(Base):
    """What a Fusion Operations entity became in QuickBooks: the idempotency key of every send.
    ``pending`` while a job is creating it (so a second send cannot create a duplicate), ``linked``
    once QuickBooks returned the object's IDs."""

    __tablename__ = "links"

    id: Mapped[SerialId]
    tenant_id: Mapped[TenantKey]
    entity: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    qb_type: Mapped[str | None] = mapped_column(String(40))
    txn_id: Mapped[str | None] = mapped_column(String(36))
    list_id: Mapped[str | None] = mapped_column(String(36))
    ref_number: Mapped[str | None] = mapped_column(String(40))
    edit_sequence: Mapped[str | None] = mapped_column(String(16))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    data: Mapped[JsonObject]
    created_at: Mapped[StampedNow]
    updated_at: Mapped[StampedNow]

    __table_args__ = (
        UniqueConstraint("tenant_id", "entity", "code", name="uq_links_tenant_entity_code"),
        # A job's end confirms or releases the links it reserved (``db/links.py``).
        Index("ix_links_job", "job_id"),
        # The sync log's search by QuickBooks number; partial, never a path to all of a tenant's links (0017).
        partial_index("ix_links_tenant_ref_number", "tenant_id", "ref_number", where=LINK_HAS_NUMBER),
    )


class Import(Base):
    """One QuickBooks document (or a product it needs) retrieved for Fusion Operations.

    ``status``: ``pending`` (stored, not yet delivered) → ``delivered`` (pushed to Fusion Operations'
    API) → ``acknowledged`` (Fusion Operations confirmed it through ``POST …/imports/ack``); or
    ``skipped`` (with ``reason``: cancelled, already imported, created by qbbridge). An import is
    never deleted: pending ones stay visible until delivered or acknowledged.
    """

    __tablename__ = "imports"

    id: Mapped[SerialId]
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    tenant_id: Mapped[TenantKey]
    entity: Mapped[str] = mapped_column(String(40))  # salesOrder | purchaseOrder | product
    status: Mapped[str] = mapped_column(String(20), default="pending")
    source_type: Mapped[str] = mapped_column(
        String(40)
    )  # SalesOrder | PurchaseOrder | Invoice | Estimate | Item
    source_id: Mapped[str] = mapped_column(String(200))  # TxnID, or the item's full name for products
    ref_number: Mapped[str | None] = mapped_column(String(40))
    # The Fusion Operations code the order was imported under (``data.code``), as it was then.
    code: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[JsonObject]
    reason: Mapped[LongText | None]
    # What of the QuickBooks document is not in ``data`` as QuickBooks shows it, in plain language.
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    attempts: Mapped[Count]
    next_attempt_at: Mapped[dt.datetime | None]
    last_error: Mapped[LongText | None]
    created_at: Mapped[StampedNow]
    updated_at: Mapped[StampedNow]
    delivered_at: Mapped[dt.datetime | None]
    acknowledged_at: Mapped[dt.datetime | None]
    # When retention removed the import's document (``data``, ``notes``), keeping what identifies it.
    data_pruned_at: Mapped[dt.datetime | None]

    __table_args__ = (
        UniqueConstraint("tenant_id", "source_type", "source_id", name="uq_imports_source"),
        Index("ix_imports_tenant_entity", "tenant_id", "entity", "id"),
        Index("ix_imports_delivery", "status", "next_attempt_at"),
        Index("ix_imports_code", "tenant_id", "entity", "code"),
        partial_index("ix_imports_prunable", "acknowledged_at", where=PRUNABLE_IMPORT_CONDITION),
    )


class QuickBooksListEntry(Base):
    """What retrievals know of a QuickBooks list entry (``kind``: ``item`` or ``unitSet``), read from the
    customer's QuickBooks: an item's type and unit-of-measure set, a set's units (``data``)."""

    __tablename__ = "quickbooks_lists"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    list_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))  # ItemInventory, ItemDiscount, UnitOfMeasureSet...
    full_name: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[JsonObject]
    updated_at: Mapped[StampedNow]


class RetrievalMark(Base):
    """Per tenant and QuickBooks entity: how far retrievals have got (the high-water mark)."""

    __tablename__ = "retrieval_marks"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    entity: Mapped[str] = mapped_column(
        String(40), primary_key=True
    )  # salesOrder | purchaseOrder | invoice | estimate
    high_water: Mapped[dt.datetime | None]
    last_started_at: Mapped[dt.datetime | None]
    last_completed_at: Mapped[dt.datetime | None]


class AuditEvent(Base):
    __tablename__ = "audit_log"

    id: Mapped[SerialId]
    tenant_id: Mapped[str | None] = mapped_column(String(36), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    detail: Mapped[JsonObject]
    created_at: Mapped[StampedNow]


class Lease(Base):
    """A named task only one process may run at a time (the background pruning), held until
    ``expires_at`` by ``holder`` unless it renews it (``db/leases.py``)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column()
