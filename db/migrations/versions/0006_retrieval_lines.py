"""Imports keep their code and notes; what retrievals know of QuickBooks' items and unit-of-measure sets.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("imports") as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("notes", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.create_index("ix_imports_code", ["tenant_id", "entity", "code"], unique=False)
    _keep_codes()
    op.create_table(
        "quickbooks_lists",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("list_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("full_name", sa.String(length=255), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "kind", "list_id"),
    )


def _keep_codes() -> None:
    """Imports made before keep the code they were imported under: the ``code`` of their data."""
    connection = op.get_bind()
    imports = sa.table(
        "imports",
        sa.column("id", sa.BigInteger()),
        sa.column("data", sa.JSON()),
        sa.column("code", sa.String()),
    )
    rows = connection.execute(sa.select(imports.c.id, imports.c.data).where(imports.c.code.is_(None))).all()
    for row_id, data in rows:
        value: Any = json.loads(data) if isinstance(data, str) else data
        code = value.get("code") if isinstance(value, dict) else None
        if isinstance(code, str) and code:
            connection.execute(sa.update(imports).where(imports.c.id == row_id).values(code=code))


def downgrade() -> None:
    op.drop_table("quickbooks_lists")
    with op.batch_alter_table("imports") as batch_op:
        batch_op.drop_index("ix_imports_code")
        batch_op.drop_column("notes")
        batch_op.drop_column("code")
