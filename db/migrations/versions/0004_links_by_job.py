"""Links found by their job: a job's end confirms or releases the links it reserved.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Without it, every finished job scanned the whole links table, which holds every entity any
    # tenant ever sent.
    op.create_index("ix_links_job", "links", ["job_id"])


def downgrade() -> None:
    op.drop_index("ix_links_job", table_name="links")
