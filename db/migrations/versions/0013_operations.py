"""Operations: what retention removed (``jobs.payload_pruned_at``, ``imports.data_pruned_at``), the
indexes that find what it may remove and the steps still waiting (read by ``/metrics``), and leases
(one process at a time runs the background pruning).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_WAITING = "state IN ('queued', 'in_flight', 'unknown_outcome')"
_PRUNABLE_JOB = "payload_pruned_at IS NULL AND status IN ('succeeded', 'failed', 'cancelled')"
_PRUNABLE_IMPORT = "data_pruned_at IS NULL AND status = 'acknowledged'"


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.add_column(sa.Column("payload_pruned_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("imports") as batch_op:
        batch_op.add_column(sa.Column("data_pruned_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_jobs_prunable",
        "jobs",
        ["finished_at"],
        postgresql_where=sa.text(_PRUNABLE_JOB),
        sqlite_where=sa.text(_PRUNABLE_JOB),
    )
    op.create_index(
        "ix_imports_prunable",
        "imports",
        ["acknowledged_at"],
        postgresql_where=sa.text(_PRUNABLE_IMPORT),
        sqlite_where=sa.text(_PRUNABLE_IMPORT),
    )
    op.create_index(
        "ix_job_steps_waiting",
        "job_steps",
        ["state", "created_at"],
        postgresql_where=sa.text(_WAITING),
        sqlite_where=sa.text(_WAITING),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_index("ix_job_steps_waiting", table_name="job_steps")
    op.drop_index("ix_imports_prunable", table_name="imports")
    op.drop_index("ix_jobs_prunable", table_name="jobs")
    with op.batch_alter_table("imports") as batch_op:
        batch_op.drop_column("data_pruned_at")
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_column("payload_pruned_at")
