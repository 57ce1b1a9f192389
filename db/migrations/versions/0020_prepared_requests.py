"""A step's request prepared when it is queued, so a session's claim can hand it out as it is.

A raw qbXML step that declares its version is prepared once, when it is queued: its text with our
requestIDs, a stand-in where the step's id goes (``prepared_request``), the lowest host level that
takes it as it is (``prepared_level``, major * 100 + minor) and how many requests it carries
(``prepared_requests``). On PostgreSQL the claim of such a step on a host of that level or newer
writes what is sent, requestIDs included, in the same statement (db/queue/sql.py,
``_PREPARED_READY``), so the call neither reads the document again nor writes it in a second
statement. Every other step has NULL here and is written at claim time as before. The prepared text
is cleared when the step ends (a retry renders it), so the document is not kept a third time.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_steps") as batch_op:
        batch_op.add_column(sa.Column("prepared_request", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("prepared_level", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prepared_requests", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_steps") as batch_op:
        batch_op.drop_column("prepared_requests")
        batch_op.drop_column("prepared_level")
        batch_op.drop_column("prepared_request")
