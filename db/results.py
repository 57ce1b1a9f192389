"""What a statement's result says beyond its rows, typed.

SQLAlchemy types ``Session.execute`` as returning a plain ``Result``; for a statement sent to the
database it is a ``CursorResult``, which alone carries the count of rows an INSERT, UPDATE or DELETE
touched and whether the statement returns rows. The casts below say so once, here.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.engine import CursorResult, Result


def affected_rows(result: Result[Any]) -> int:
    """How many rows an INSERT, UPDATE or DELETE touched."""
    return cast(CursorResult[Any], result).rowcount


def returns_rows(result: Result[Any]) -> bool:
    """Whether the statement (a SELECT, or DML with RETURNING) has rows to read."""
    return cast(CursorResult[Any], result).returns_rows
