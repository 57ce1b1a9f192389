"""A tenant's last queue place in a narrow table of its own (``tenant_queues``), out of the tenant's
row: every accepted send takes the next place with an update that holds the row's lock until commit
(db/queue/sql.py, NEXT_QUEUE_SEQ). On the tenant's row, wide with its settings and what the Web
Connector reported, each such update wrote a new version of the whole row and of its indexes
(issue 14: 94 µs of PostgreSQL's time a send), and the lock was also the one every Web Connector
call's write to the tenant's row takes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_queues",
        sa.Column(
            "tenant_id",
            sa.String(36),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("last_queue_seq", sa.BigInteger(), nullable=False),
    )
    # Only tenants that have queued something have a place to keep (NEXT_QUEUE_SEQ makes the row).
    op.execute(
        "INSERT INTO tenant_queues (tenant_id, last_queue_seq) "
        "SELECT id, last_queue_seq FROM tenants WHERE last_queue_seq > 0"
    )
    with op.batch_alter_table("tenants") as batch_op:
        batch_op.drop_column("last_queue_seq")


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch_op:
        batch_op.add_column(sa.Column("last_queue_seq", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE tenants SET last_queue_seq = COALESCE("
        "(SELECT q.last_queue_seq FROM tenant_queues q WHERE q.tenant_id = tenants.id), 0)"
    )
    op.drop_table("tenant_queues")
