"""A tenant's queue order: each job's place (``jobs.queue_seq``, taken again on retry), the tenant's
last given place, and an index of the jobs with steps still to go in that order.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_OPEN = "status IN ('queued', 'in_flight')"


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch_op:
        batch_op.add_column(sa.Column("last_queue_seq", sa.BigInteger(), nullable=False, server_default="0"))
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.add_column(sa.Column("queue_seq", sa.BigInteger(), nullable=True))
    # Jobs queued before the upgrade keep the order they had: the order of their ids.
    op.execute("UPDATE jobs SET queue_seq = id")
    op.execute(
        "UPDATE tenants SET last_queue_seq = "
        "COALESCE((SELECT max(jobs.queue_seq) FROM jobs WHERE jobs.tenant_id = tenants.id), 0)"
    )
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.alter_column("queue_seq", existing_type=sa.BigInteger(), nullable=False)
    op.create_index(
        "ix_jobs_open_queue",
        "jobs",
        ["tenant_id", "queue_seq"],
        postgresql_where=sa.text(_OPEN),
        sqlite_where=sa.text(_OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_jobs_open_queue", table_name="jobs")
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_column("queue_seq")
    with op.batch_alter_table("tenants") as batch_op:
        batch_op.drop_column("last_queue_seq")
