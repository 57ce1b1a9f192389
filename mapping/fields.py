"""Field types for every value that comes from outside: text, calendar days and instants.

Each model that reads input (the send payloads, the settings, the admin API's bodies and parameters)
builds on these, so a value qbbridge cannot store or compute with is refused where it is read, with
the path of the field, instead of failing later in the database, in a time-zone conversion or in
QuickBooks:

- Text never holds a NUL character (PostgreSQL refuses it in text and JSON) nor a lone surrogate
  (``"\\ud800"`` in JSON: it has no UTF-8 form, so it could be neither stored nor answered).
- Calendar days and instants lie between 1900-01-01 and 9998-12-31. Every conversion qbbridge makes
  (to UTC, to the company's time zone, a retrieval starting a few minutes early) stays inside
  Python's calendar from there, where ``0001-01-01T00:00:00+01:00`` would not.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

# A lone (unpaired) surrogate code point; a pair never appears in a decoded ``str``.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(9998, 12, 31)
EARLIEST_INSTANT = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST_INSTANT = dt.datetime(9998, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be kept as text, or None when it can."""
    if "\x00" in value:
        return "contains a NUL character (\\u0000), which cannot be stored; remove it"
    if _LONE_SURROGATE.search(value):
        return (
            "contains a lone UTF-16 surrogate (\\ud800-\\udfff without its pair), which is not a "
            "character; send the text as valid Unicode"
        )
    return None


def _storable_text(value: str) -> str:
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


# Checks that text can be stored and sent on. Put it after any StringConstraints in an Annotated
# type (``Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), STORABLE]``): placed
# before them, pydantic strips the text after checking its length.
STORABLE = AfterValidator(_storable_text)
# Text that can be stored and sent on: every ``str`` field of a model that reads input uses it.
SafeText = Annotated[str, STORABLE]


def _day_in_range(value: dt.date) -> dt.date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError(f"give a date between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}")
    return value


def _instant_in_range(value: dt.datetime) -> dt.datetime:
    # Without an offset a time is taken as UTC (the API documents ``Z`` times).
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    try:
        utc = value.astimezone(dt.UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST_INSTANT <= utc <= LATEST_INSTANT:
        raise ValueError(
            f"give a date and time between {EARLIEST_INSTANT.date().isoformat()} and "
            f"{LATEST_INSTANT.date().isoformat()} (UTC)"
        )
    return value


def _calendar_day(value: Any) -> Any:
    # Dates sometimes arrive as date-times (midnight UTC); the calendar day written is the one meant.
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str) and "T" in value:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    return value


def _day_or_instant_in_range(value: dt.date | dt.datetime) -> dt.date | dt.datetime:
    if isinstance(value, dt.datetime):
        return _instant_in_range(value)
    return _day_in_range(value)


# A calendar day (``2026-11-01``) or a moment (``2026-11-01T10:00:00Z``), each within the range.
DayOrInstant = Annotated[dt.date | dt.datetime, AfterValidator(_day_or_instant_in_range)]
# A calendar day, as written on a document (a date-time given instead names its day).
Day = Annotated[dt.date, BeforeValidator(_calendar_day), AfterValidator(_day_in_range)]
# A moment in time, always aware once read (with the offset it was given).
Instant = Annotated[dt.datetime, AfterValidator(_instant_in_range)]
