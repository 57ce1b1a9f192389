"""Webhooks: where a tenant's events are sent (the secret sealed like API keys), how far they were
announced, the finished status of each job an event was made for, and the events waiting to be
delivered (mapping/webhooks.py).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch_op:
        batch_op.add_column(sa.Column("webhook_url", sa.String(500), nullable=True))
        batch_op.add_column(sa.Column("webhook_secret_sealed", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("webhook_since", _TS, nullable=True))
        batch_op.add_column(sa.Column("webhook_connection_seen_at", _TS, nullable=True))
        batch_op.add_column(sa.Column("webhook_imports_seen_id", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("jobs") as batch_op:
        # The finished status an event was made for, so each is announced once.
        batch_op.add_column(sa.Column("notified_status", sa.String(20), nullable=True))
    op.create_table(
        "webhook_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("public_id", sa.String(36), nullable=False, unique=True),
        sa.Column(
            "tenant_id", sa.String(36), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", _TS, nullable=True),
        sa.Column("delivered_at", _TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_webhook_events_delivery", "webhook_events", ["status", "next_attempt_at"])
    op.create_index("ix_webhook_events_tenant", "webhook_events", ["tenant_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_events_tenant", table_name="webhook_events")
    op.drop_index("ix_webhook_events_delivery", table_name="webhook_events")
    op.drop_table("webhook_events")
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_column("notified_status")
    with op.batch_alter_table("tenants") as batch_op:
        for column in (
            "webhook_imports_seen_id",
            "webhook_connection_seen_at",
            "webhook_since",
            "webhook_secret_sealed",
            "webhook_url",
        ):
            batch_op.drop_column(column)
