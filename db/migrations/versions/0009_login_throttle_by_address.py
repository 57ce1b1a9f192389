"""Failed Web Connector logins are counted per user name and address, and per address.

The per-user-name table is replaced: its counts only slowed logins down for a few minutes, and
starting them again at the upgrade loses nothing.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("auth_throttle")
    op.create_table(
        "qbwc_login_throttle",
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("username", "address"),
    )
    op.create_index("ix_qbwc_login_throttle_window", "qbwc_login_throttle", ["window_started_at"])


def downgrade() -> None:
    op.drop_index("ix_qbwc_login_throttle_window", table_name="qbwc_login_throttle")
    op.drop_table("qbwc_login_throttle")
    op.create_table(
        "auth_throttle",
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("username"),
    )
