"""Column types and index helpers the models share, each written once.

SQLAlchemy copies the ``mapped_column`` of an ``Annotated`` type into each column declared with it; a
column's nullability comes from its type (``Mapped[X | None]`` is nullable, ``Mapped[X]`` is not).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import mapped_column
from sqlalchemy.types import TypeDecorator


def partial_index(name: str, *columns: str, where: str) -> Index:
    """An index of the rows that meet ``where`` only, the same on both databases (each uses it only for
    a query that repeats the condition as written)."""
    return Index(name, *columns, postgresql_where=text(where), sqlite_where=text(where))


# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a real bigint identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# A time stamped when the row is written.
StampedNow = Annotated[dt.datetime, mapped_column(default=utcnow)]
# A tenant's own row: it goes when the tenant is deleted.
TenantKey = Annotated[str, mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))]
# A table's own key, numbered by the database.
SerialId = Annotated[int, mapped_column(BigId, primary_key=True, autoincrement=True)]
# A JSON object, empty unless given.
JsonObject = Annotated[dict[str, Any], mapped_column(JSON, default=dict)]
# A count that starts at zero.
Count = Annotated[int, mapped_column(Integer, default=0)]
# Text of any length (a message, an error, a document).
LongText = Annotated[str, mapped_column(Text)]

# What QuickBooks reports that several tables keep, each width stated once.
# A company file's Windows path: room past MAX_PATH (260) for the long paths Windows allows.
CompanyFilePath = Annotated[str, mapped_column(String(1000))]
# A qbXML version as QuickBooks names it ("13.0").
QbxmlVersion = Annotated[str, mapped_column(String(16))]
# QuickBooks' country edition ("US", "CA", "UK", "AU").
Country = Annotated[str, mapped_column(String(8))]


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC in Python on every database.

    SQLite has no time zones and hands back naive values; comparing those with aware ones fails, so
    values are normalised to aware UTC on the way out and to UTC on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
