"""Onboarding and the connection's life: what the setup checklist is derived from, the company file a
tenant is bound to, disabled tenants, retired user names, when a tenant API key was last used, and
why qbbridge refused a Web Connector session.

Tenants already connected before this upgrade are bound to the company file they last used, so an
upgrade never lets another company file in.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch_op:
        batch_op.add_column(sa.Column("qwc_downloaded_at", _TS, nullable=True))
        batch_op.add_column(sa.Column("connector_seen_at", _TS, nullable=True))
        batch_op.add_column(sa.Column("login_failed_at", _TS, nullable=True))
        batch_op.add_column(sa.Column("bound_company_file", sa.String(1000), nullable=True))
        batch_op.add_column(sa.Column("bound_company_name", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("bound_at", _TS, nullable=True))
        batch_op.add_column(sa.Column("disabled_at", _TS, nullable=True))
    op.execute(
        "UPDATE tenants SET bound_company_file = connected_company_file, "
        "bound_at = COALESCE(host_info_at, last_contact_at, created_at), "
        "connector_seen_at = last_contact_at "
        "WHERE connected_company_file IS NOT NULL AND connected_company_file <> ''"
    )
    with op.batch_alter_table("qbwc_sessions") as batch_op:
        # Why qbbridge refused the session ("disabled", "other_company_file", "connection_error").
        batch_op.add_column(sa.Column("refusal", sa.String(40), nullable=True))
        # The company file authenticate asked the Web Connector to open (empty: the open one).
        batch_op.add_column(sa.Column("requested_company_file", sa.String(1000), nullable=True))
        batch_op.add_column(
            sa.Column("retried_open_file", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("api_keys") as batch_op:
        batch_op.add_column(sa.Column("last_used_at", _TS, nullable=True))
    op.create_table(
        "retired_usernames",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("retired_at", _TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("retired_usernames")
    with op.batch_alter_table("api_keys") as batch_op:
        batch_op.drop_column("last_used_at")
    with op.batch_alter_table("qbwc_sessions") as batch_op:
        batch_op.drop_column("retried_open_file")
        batch_op.drop_column("requested_company_file")
        batch_op.drop_column("refusal")
    with op.batch_alter_table("tenants") as batch_op:
        for column in (
            "disabled_at",
            "bound_at",
            "bound_company_name",
            "bound_company_file",
            "login_failed_at",
            "connector_seen_at",
            "qwc_downloaded_at",
        ):
            batch_op.drop_column(column)
