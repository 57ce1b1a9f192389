"""Links (the idempotency key of sends), step reconciliation, and job dependencies.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "links",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("qb_type", sa.String(length=40), nullable=True),
        sa.Column("txn_id", sa.String(length=36), nullable=True),
        sa.Column("list_id", sa.String(length=36), nullable=True),
        sa.Column("ref_number", sa.String(length=40), nullable=True),
        sa.Column("edit_sequence", sa.String(length=16), nullable=True),
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "entity", "code", name="uq_links_tenant_entity_code"),
    )
    with op.batch_alter_table("job_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phase", sa.String(length=16), server_default="send", nullable=False))
        batch_op.add_column(
            sa.Column("reconcilable", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_entity", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("link_code", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column(
                "depends_on_job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_index("ix_jobs_depends_on", ["depends_on_job_id"], unique=False)
        batch_op.create_foreign_key("fk_jobs_depends_on_job_id", "jobs", ["depends_on_job_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_constraint("fk_jobs_depends_on_job_id", type_="foreignkey")
        batch_op.drop_index("ix_jobs_depends_on")
        batch_op.drop_column("depends_on_job_id")
        batch_op.drop_column("link_code")
        batch_op.drop_column("link_entity")

    with op.batch_alter_table("job_steps", schema=None) as batch_op:
        batch_op.drop_column("reconcilable")
        batch_op.drop_column("phase")

    op.drop_table("links")
