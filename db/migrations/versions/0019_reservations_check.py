"""A function that ends a send's transaction in error when one of its link reservations was not taken.

A send's last batch (``db/sends.py``, ``write_send``) reserves the send's links and, on PostgreSQL,
commits in the same round trip. A reservation another request took first must not be committed
with the rest: the batch checks, just before its COMMIT, that the job holds every link it reserved,
and this function raises when it does not. The error aborts the rest of the batch, COMMIT included,
and the send is refused and rolled back as before. Plain SQL has no statement that raises; a
function does. SQLite runs the send's statements one by one and checks the reservations in Python,
so it needs none.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# The SQLSTATE the function raises (class "QB", qbbridge's own): db/sends.py recognises it.
_CREATE = """
CREATE FUNCTION qbbridge_reservations_taken(expected integer, taken bigint) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
    IF taken < expected THEN
        RAISE EXCEPTION 'a link this send reserved is held by another request'
            USING ERRCODE = 'QB001';
    END IF;
    RETURN expected;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION qbbridge_reservations_taken(integer, bigint)")
