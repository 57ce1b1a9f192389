"""Counting the SQL statements a piece of code sends, for tests that pin them (no N+1 reads)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from db.engine import Database


@contextmanager
def counted(database: Database) -> Iterator[list[str]]:
    """The statements sent through ``database``'s engine while the block runs, in order."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
