"""JSON text for the database: what every JSON column and parameter is written with.

orjson writes the same documents as the standard library's ``json.dumps`` (other whitespace, and
non-ASCII characters as UTF-8 rather than ``\\uXXXX`` escapes: the same JSON values), several times
faster: the JSON of an accepted send (its payload, its steps' intents) was about 5 % of the
service's CPU per send with ``json.dumps`` (py-spy of ``bench/send_cost.py``).

Reading stays with the standard library: ``orjson.loads`` reads an integer wider than 64 bits as a
float, a different value, where ``json.loads`` keeps it exact.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps_bytes(value: Any) -> bytes:
    """``value`` as UTF-8 JSON text."""
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except orjson.JSONEncodeError:
        # What orjson refuses and the standard library writes (a lone surrogate, an integer wider
        # than 64 bits) is written as before, or refused the same way (a Decimal, a set).
        return json.dumps(value).encode()


def dumps(value: Any) -> str:
    """``value`` as JSON text (SQLAlchemy's JSON columns)."""
    return dumps_bytes(value).decode()
