"""The tenant's inventory jobs, newest first, by an index of their own.

An inventory send looks at what QuickBooks said of item types to the tenant's latest inventory sends
(``db/sends.py``, ``recent_inventory_results``). Inventory jobs are few among a tenant's jobs, and
with no index that names the kind, PostgreSQL found them by reading the tenant's jobs newest first
and throwing the others away: when the tenant had fewer than twenty inventory jobs, every job it
kept. Partial on ``kind = 'inventory'``, the index holds only those jobs, so it costs nothing to the
sends of the other flows.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_INVENTORY = "kind = 'inventory'"


def upgrade() -> None:
    op.create_index(
        "ix_jobs_tenant_inventory",
        "jobs",
        ["tenant_id", "id"],
        postgresql_where=sa.text(_INVENTORY),
        sqlite_where=sa.text(_INVENTORY),
    )


def downgrade() -> None:
    op.drop_index("ix_jobs_tenant_inventory", table_name="jobs")
