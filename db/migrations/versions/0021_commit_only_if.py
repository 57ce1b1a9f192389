"""A function that ends a transaction in error when what a batch assumed before its COMMIT is false.

A ``receiveResponseXML`` that settles one step successfully has, almost always, nothing left to do
after the batch that settles it, and on PostgreSQL that batch then ends with the COMMIT
(db/queue/settle.py, ``settle_step``). Almost: when the job's new status needs more work (it failed,
was cancelled or lost its outcome: links released, dependents failed), that work must be in the same
transaction. Just before the COMMIT the batch asks this function whether the job's status allows
committing; when it does not, the function raises SQLSTATE ``QB002``, which aborts the rest of the
batch, COMMIT included, and the call is made again with the COMMIT after the follow-up work.
SQLite commits as before, after the call's work, and needs none.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# The SQLSTATE the function raises (class "QB", qbbridge's own): db/queue/settle.py recognises it.
_CREATE = """
CREATE FUNCTION qbbridge_commit_only_if(ok boolean) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT ok THEN
        RAISE EXCEPTION 'this transaction has work left before its COMMIT'
            USING ERRCODE = 'QB002';
    END IF;
    RETURN ok;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION qbbridge_commit_only_if(boolean)")
