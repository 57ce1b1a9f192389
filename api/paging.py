"""Paging of every list the admin API answers: ``limit``, ``cursor``, and ``nextCursor`` in the answer.

A list answers ``{"items": [...], "nextCursor": "…"}``; ``nextCursor`` is null on the last page, and
otherwise is passed as ``cursor`` to read the next one. Pages are keyset pages (the cursor names the
last item read, not an offset), so items added meanwhile are neither skipped nor repeated.

A cursor is opaque to clients: letters, digits, ``-`` and ``_``, at most 64 characters. Lists keyed by a
row number check that it is one (ASCII digits that fit a 64-bit integer) with :func:`row_number`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Query

from api.errors import issue, unprocessable

T = TypeVar("T")

CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
# A row number that always fits a signed 64-bit integer (PostgreSQL bigint, SQLite INTEGER).
ROW_NUMBER_DIGITS = 18

Cursor = Annotated[
    str | None,
    Query(
        pattern=CURSOR_PATTERN,
        description="The `nextCursor` of the previous page; omit it for the first page.",
    ),
]


def limit_query(maximum: int) -> Any:
    """The ``limit`` parameter of a list: 1 to ``maximum`` items per page."""
    return Query(ge=1, le=maximum, description=f"Items per page, 1 to {maximum}.")


def _stale_cursor(cursor: str) -> Exception:
    return unprocessable(
        [
            issue(
                ["query", "cursor"],
                f"{cursor!r} is not a cursor of this list; pass the nextCursor of a previous page, "
                "or leave cursor out for the first page",
                "cursor_invalid",
            )
        ]
    )


def row_number(cursor: str) -> int:
    """The row number a cursor of a row-numbered list names (a 422 naming ``cursor`` otherwise)."""
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= ROW_NUMBER_DIGITS):
        raise _stale_cursor(cursor)
    return int(cursor)


def refuse_cursor(cursor: str) -> Exception:
    """The 422 for a cursor that names nothing in this list (to raise)."""
    return _stale_cursor(cursor)


def one_page(rows: Sequence[T], limit: int, cursor_of: Callable[[T], str]) -> tuple[list[T], str | None]:
    """The page in ``rows`` (read with ``limit + 1``) and the cursor of the next page, if there is one."""
    items = list(rows[:limit])
    more = len(rows) > limit and bool(items)
    return items, cursor_of(items[-1]) if more else None


class Numbered(Protocol):
    @property
    def id(self) -> int: ...


N = TypeVar("N", bound=Numbered)


def numbered_page(
    read: Callable[[int | None, int], Sequence[N]], cursor: str | None, limit: int
) -> tuple[list[N], str | None]:
    """The page of a row-numbered list that ``cursor`` asks for, and the cursor of the next one.
    ``read(past_id, count)`` reads ``count`` rows past the row ``past_id`` (from the first without a
    cursor); one more row than the page is read, to know whether another page follows."""
    rows = read(row_number(cursor) if cursor is not None else None, limit + 1)
    return one_page(rows, limit, lambda row: str(row.id))
