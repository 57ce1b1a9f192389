"""The indexes added since ``9032070`` for what other issues asked (the sync log's search, retention,
``/metrics``, the setup checklist), and the step's second foreign key: for benchmarks that measure
what they cost by running without them (``--without-new-indexes``, ``--compare without-new-indexes``)."""

from __future__ import annotations

from sqlalchemy import Engine

NEW_INDEXES = (
    "ix_jobs_tenant_id",
    "ix_jobs_tenant_link_code",
    "ix_links_tenant_ref_number",
    "ix_job_steps_waiting",
    "ix_jobs_prunable",
    "ix_imports_prunable",
    "ix_qbwc_sessions_tenant_created",
    "ix_qbwc_sessions_tenant_answered",
)
STEP_TENANT_FOREIGN_KEY = "job_steps_tenant_id_fkey"


def drop_new_indexes(engine: Engine) -> None:
    """Only on a benchmark's own database: the product's queries still run, some of them slower."""
    with engine.begin() as connection:
        for name in NEW_INDEXES:
            connection.exec_driver_sql(f"DROP INDEX {name}")


def drop_step_tenant_foreign_key(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql(f"ALTER TABLE job_steps DROP CONSTRAINT {STEP_TENANT_FOREIGN_KEY}")
