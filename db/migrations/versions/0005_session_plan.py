"""A session's plan: how many requests were waiting when it started, for its progress.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Sessions open during the upgrade get 0: their progress is then estimated from what they did.
    with op.batch_alter_table("qbwc_sessions") as batch_op:
        batch_op.add_column(sa.Column("planned_steps", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("qbwc_sessions") as batch_op:
        batch_op.drop_column("planned_steps")
