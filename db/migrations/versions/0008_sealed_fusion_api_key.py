"""The Fusion Operations API key is kept sealed (Fernet) under the service's secret key.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Keys stored in plain text by earlier versions are sealed here, with the keyring ``db.migrate.upgrade``
is given (``qbbridge serve`` and ``qbbridge db upgrade`` pass the service's). Without one, a database
that holds such keys is not upgraded: nothing is lost, and the error says what to set.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

tenants = sa.table(
    "tenants",
    sa.column("id", sa.String),
    sa.column("fusion_api_key", sa.String),
    sa.column("fusion_api_key_sealed", sa.Text),
)


def _keyring() -> Any:  # the Keyring qbbridge db upgrade passes (db/sealing.py)
    keyring = context.config.attributes.get("keyring")
    if keyring is None:
        raise RuntimeError(
            "stored Fusion Operations API keys must be encrypted by this upgrade, and no secret key was "
            "given: run 'qbbridge db upgrade' (it reads QBBRIDGE_SECRET_KEY or the key file)"
        )
    return keyring


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch_op:
        batch_op.add_column(sa.Column("fusion_api_key_sealed", sa.Text(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(tenants.c.id, tenants.c.fusion_api_key).where(tenants.c.fusion_api_key.is_not(None))
    ).all()
    if rows:
        keyring = _keyring()
        for tenant_id, plain in rows:
            connection.execute(
                tenants.update()
                .where(tenants.c.id == tenant_id)
                .values(fusion_api_key_sealed=keyring.seal(plain))
            )
    with op.batch_alter_table("tenants") as batch_op:
        batch_op.drop_column("fusion_api_key")


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch_op:
        batch_op.add_column(sa.Column("fusion_api_key", sa.String(length=500), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(tenants.c.id, tenants.c.fusion_api_key_sealed).where(
            tenants.c.fusion_api_key_sealed.is_not(None)
        )
    ).all()
    if rows:
        keyring = _keyring()
        for tenant_id, sealed in rows:
            connection.execute(
                tenants.update().where(tenants.c.id == tenant_id).values(fusion_api_key=keyring.open(sealed))
            )
    with op.batch_alter_table("tenants") as batch_op:
        batch_op.drop_column("fusion_api_key_sealed")
