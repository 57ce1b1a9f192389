"""The qbXML version each step's request was written for, which decides how it is found again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Steps sent before the upgrade have none: they are looked for the way they were planned to be.
    with op.batch_alter_table("job_steps") as batch_op:
        batch_op.add_column(sa.Column("sent_qbxml_version", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_steps") as batch_op:
        batch_op.drop_column("sent_qbxml_version")
