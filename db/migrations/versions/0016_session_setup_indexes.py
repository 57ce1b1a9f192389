"""Indexes for the setup checklist's sessions: a tenant's first Web Connector session since its token,
and its latest session in which QuickBooks answered, each found as one index entry.

Without them the checklist (the Tenants list's setup progress, the tenant page, GET …/setup) read
every session the tenant had since its token, and sessions are never deleted: a month of a 30-minute
schedule made the Tenants list twice as slow (docs/performance.md, the operator console). The
answered sessions get an index of their own, partial on exactly the checklist's condition, because
most sessions have nothing to exchange and QuickBooks never sees them: the latest answered one may be
any number of sessions back. On PostgreSQL the build holds back new sessions' rows until it ends (an
ordinary CREATE INDEX): a Web Connector logging in meanwhile waits, as it would for the upgrade itself.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_ANSWERED = (
    "(company_file IS NOT NULL AND refusal IS NULL) OR refusal IN ('other_company_file', 'connection_error')"
)


def upgrade() -> None:
    op.create_index("ix_qbwc_sessions_tenant_created", "qbwc_sessions", ["tenant_id", "created_at", "id"])
    op.create_index(
        "ix_qbwc_sessions_tenant_answered",
        "qbwc_sessions",
        ["tenant_id", "created_at", "id"],
        postgresql_where=sa.text(_ANSWERED),
        sqlite_where=sa.text(_ANSWERED),
    )


def downgrade() -> None:
    op.drop_index("ix_qbwc_sessions_tenant_answered", table_name="qbwc_sessions")
    op.drop_index("ix_qbwc_sessions_tenant_created", table_name="qbwc_sessions")
