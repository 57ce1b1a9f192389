"""Counting the SQL statements a piece of code sends, for tests that pin them (no N+1 reads)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from db import transaction
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


def sessions_made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Grows by one each time a ``db.transaction.Transaction`` makes its ORM session, for the rest of
    the test (the hot paths make none in their common call, on PostgreSQL)."""
    made: list[str] = []
    make = transaction.Transaction.session.fget
    assert make is not None

    def counting(work: transaction.Transaction) -> Session:
        made.append("session")
        return make(work)  # type: ignore[no-any-return]

    monkeypatch.setattr(transaction.Transaction, "session", property(counting))
    return made
