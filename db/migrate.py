"""Schema upgrades with Alembic, run programmatically (``qbbridge db upgrade`` and at ``serve``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

from db.sealing import Keyring

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic's config is ConfigParser-backed: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction for the migrations.

    SQLite cannot alter most of a table in place, so Alembic's batch mode copies it to a new table,
    drops the old one and renames the copy. With foreign keys enforced (``db/engine.py`` turns them on
    for every connection) dropping ``tenants`` would delete every row that refers to it through an
    ``ON DELETE CASCADE``: a tenant's jobs, links and imports. So they are off while migrating (SQLite
    ignores the pragma inside a transaction: it is set before the transaction begins) and the
    references are checked before the transaction commits."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # On the driver's connection: through SQLAlchemy the statement would begin a transaction
            # first (``db/engine.py`` begins each with BEGIN IMMEDIATE), where the pragma does nothing.
            _pragma(connection, "foreign_keys=OFF")
        try:
            with connection.begin():
                yield connection
                if sqlite:
                    broken = connection.execute(text("PRAGMA foreign_key_check")).all()
                    if broken:
                        raise RuntimeError(f"the upgrade left rows whose references are broken: {broken[:5]}")
        finally:
            if sqlite:
                _pragma(connection, "foreign_keys=ON")


def _pragma(connection: Connection, pragma: str) -> None:
    driver_connection = connection.connection.dbapi_connection
    assert driver_connection is not None
    driver_connection.execute(f"PRAGMA {pragma}")


def _run(
    engine: Engine, keyring: Keyring | None, command_: Callable[[Config, str], None], revision: str
) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with _migrating(engine) as connection:
        config.attributes["connection"] = connection
        config.attributes["keyring"] = keyring
        command_(config, revision)


def upgrade(engine: Engine, revision: str = "head", *, keyring: Keyring | None = None) -> None:
    """Upgrade the schema. ``keyring`` seals secrets a migration finds stored in plain text."""
    _run(engine, keyring, command.upgrade, revision)


def downgrade(engine: Engine, revision: str, *, keyring: Keyring | None = None) -> None:
    _run(engine, keyring, command.downgrade, revision)
