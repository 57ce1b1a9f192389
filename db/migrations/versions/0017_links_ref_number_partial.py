"""The sync log's index of links by QuickBooks number holds only links that have one.

As a plain index on ``(tenant_id, ref_number)`` it also offered every link of a tenant, in no useful
order, to any statement that looks links up by tenant: with statistics taken while tenants had few
links, PostgreSQL read a send's links through it (all of the tenant's, filtered by entity and code)
instead of probing the unique ``(tenant_id, entity, code)`` key. Partial on ``ref_number IS NOT
NULL``, it serves only a search that names a number (the sync log's, which implies the condition on
both databases), and is smaller: a link being created has no number yet.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_HAS_NUMBER = "ref_number IS NOT NULL"


def upgrade() -> None:
    op.drop_index("ix_links_tenant_ref_number", table_name="links")
    op.create_index(
        "ix_links_tenant_ref_number",
        "links",
        ["tenant_id", "ref_number"],
        postgresql_where=sa.text(_HAS_NUMBER),
        sqlite_where=sa.text(_HAS_NUMBER),
    )


def downgrade() -> None:
    op.drop_index("ix_links_tenant_ref_number", table_name="links")
    op.create_index("ix_links_tenant_ref_number", "links", ["tenant_id", "ref_number"])
