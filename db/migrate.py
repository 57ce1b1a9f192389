"""Schema upgrades with Alembic, run programmatically (``qbbridge db upgrade`` and at ``serve``), and
where a database's schema stands against the code's migrations (``/readyz``, ``/api/v1/version``)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from db.sealing import Keyring

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic's config is ConfigParser-backed: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def head_revision() -> str:
    """The revision the code's newest migration brings a database to."""
    head = _scripts().get_current_head()
    assert head is not None, "no migrations found"
    return head


def revisions() -> list[str]:
    """Every migration's revision, oldest first."""
    return [script.revision for script in reversed(list(_scripts().walk_revisions()))]


@dataclass(frozen=True, slots=True)
class SchemaState:
    current: str | None  # None: never migrated
    head: str

    @property
    def is_current(self) -> bool:
        return self.current == self.head

    @property
    def is_known(self) -> bool:
        """False when a newer qbbridge upgraded the database past anything this code knows."""
        return self.current is None or self.current in revisions()

    def problem(self) -> str | None:
        """Why the code cannot run on this schema, in words for an operator; None when it can."""
        if self.is_current:
            return None
        if self.current is None:
            return f"the database has no qbbridge schema yet (run 'qbbridge db upgrade' to reach {self.head})"
        if not self.is_known:
            return (
                f"the database schema is at revision {self.current}, which this version of qbbridge does "
                f"not know (a newer version upgraded it; this one needs {self.head})"
            )
        return (
            f"the database schema is at revision {self.current}, behind the {self.head} this version "
            "needs (run 'qbbridge db upgrade')"
        )


VERSION_TABLE = "alembic_version"
# The PostgreSQL advisory lock held while migrating ("qbbr" in ASCII); nothing else in qbbridge uses one.
MIGRATION_LOCK_KEY = 0x71626272


def schema_state(connection: Connection) -> SchemaState:
    """Where the database's schema stands: two small queries (is there Alembic's version table, and
    what it holds). Read directly rather than through Alembic, which logs at every look."""
    current = None
    if inspect(connection).has_table(VERSION_TABLE):
        rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
        # One row on a linear history; several only on a branched one, which qbbridge never has.
        current = ",".join(sorted(rows)) or None
    return SchemaState(current=current, head=head_revision())


class UnknownRevision(Exception):
    """The database was upgraded by a newer qbbridge; this one must not run on it."""


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction for the migrations.

    SQLite cannot alter most of a table in place, so Alembic's batch mode copies it to a new table,
    drops the old one and renames the copy. With foreign keys enforced (``db/engine.py`` turns them on
    for every connection) that drop deletes (``ON DELETE CASCADE``) or orphans every row that refers to
    the old table: upgrading ``jobs`` would empty ``job_steps``, upgrading ``tenants`` would delete a
    tenant's jobs, links and imports. So they are off while migrating (SQLite ignores the pragma inside
    a transaction: it is set before the transaction begins) and the references are checked before the
    transaction commits."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, enforced=False)
        try:
            with connection.begin():
                if not sqlite:
                    # Several instances started at once on one database (compose, a rolling deploy)
                    # each upgrade at start: one at a time, and the later ones find the schema at
                    # head when Alembic reads it under the lock, and do nothing. Released at commit.
                    # SQLite needs no lock: db/engine.py begins every transaction IMMEDIATE.
                    lock = text("SELECT pg_advisory_xact_lock(:key)")
                    connection.execute(lock, {"key": MIGRATION_LOCK_KEY})
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"the upgrade would break foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, enforced=True)


def _sqlite_foreign_keys(connection: Connection, *, enforced: bool) -> None:
    """On the driver's connection itself: through SQLAlchemy the statement would begin a transaction
    first (``db/engine.py`` begins each with BEGIN IMMEDIATE), where the pragma does nothing."""
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")


def _run(
    engine: Engine, keyring: Keyring | None, command_: Callable[[Config, str], None], revision: str
) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with _migrating(engine) as connection:
        config.attributes["connection"] = connection
        # Seals secrets a migration finds stored in plain text (0008).
        config.attributes["keyring"] = keyring
        command_(config, revision)


def upgrade(engine: Engine, revision: str = "head", *, keyring: Keyring | None = None) -> None:
    """Upgrade the schema. ``keyring`` seals secrets a migration finds stored in plain text."""
    with engine.connect() as connection:
        state = schema_state(connection)
    if not state.is_known:
        raise UnknownRevision(state.problem())
    _run(engine, keyring, command.upgrade, revision)


def downgrade(engine: Engine, revision: str, *, keyring: Keyring | None = None) -> None:
    _run(engine, keyring, command.downgrade, revision)
