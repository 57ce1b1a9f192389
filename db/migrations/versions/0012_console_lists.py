"""The console's lists: a tenant's jobs newest first, found by Fusion Operations code or QuickBooks number.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A tenant's jobs newest first (the sync log, GET …/jobs) without walking every tenant's newer jobs:
    # ix_jobs_tenant_status serves only one status at a time.
    op.create_index("ix_jobs_tenant_id", "jobs", ["tenant_id", "id"])
    # The sync log's search: by the Fusion Operations code a job sends, and by the QuickBooks number of
    # the document it became.
    op.create_index("ix_jobs_tenant_link_code", "jobs", ["tenant_id", "link_code"])
    op.create_index("ix_links_tenant_ref_number", "links", ["tenant_id", "ref_number"])


def downgrade() -> None:
    op.drop_index("ix_links_tenant_ref_number", table_name="links")
    op.drop_index("ix_jobs_tenant_link_code", table_name="jobs")
    op.drop_index("ix_jobs_tenant_id", table_name="jobs")
