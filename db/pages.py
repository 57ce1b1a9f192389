"""One page of a tenant's rows, for the lists of the admin API (``api/paging.py`` makes the cursors)."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

T = TypeVar("T")


def tenant_rows(
    session: Session,
    model: type[T],
    tenant_id: str,
    past_id: int | None,
    limit: int,
    *,
    newest_first: bool,
    **equal: object,
) -> list[T]:
    """Up to ``limit`` of the tenant's ``model`` rows whose columns equal the values of ``equal`` (a None
    value filters nothing), in the order of their ``id``, newest or oldest first, past the row ``past_id``
    when given (keyset paging: rows added meanwhile move no page)."""
    row_id = inspect(model).columns["id"]
    given = {column: value for column, value in equal.items() if value is not None}
    query = select(model).filter_by(tenant_id=tenant_id, **given)
    if past_id is not None:
        query = query.where(row_id < past_id if newest_first else row_id > past_id)
    return list(session.scalars(query.order_by(row_id.desc() if newest_first else row_id).limit(limit)))
