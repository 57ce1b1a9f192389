"""Requests back from JSON: the queue stores a step's intent and renders qbXML only when a session
with a known host version claims it.

``QBObject.to_dict`` (in :mod:`requests_builder.model`) writes only the fields that are set, with
numbers as strings (exact decimals), dates as ISO text and durations as ``PT#H#M#S``;
``request_from_dict`` restores the same objects.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any, TypeVar

from requests_builder.errors import BuildError
from requests_builder.model import REQUEST_TYPES, QBObject, Ref, Request

_Object = TypeVar("_Object", bound=QBObject)


def _decode(kind: str | None, cls: type[QBObject] | None, value: Any, where: str) -> Any:
    if kind == "ref":
        return Ref(**value)
    if kind in ("agg", "aggs"):
        assert cls is not None, f"{where}: an aggregate field declares its class (model.el)"
        if kind == "agg":
            return _object_from_dict(cls, value, where)
        return [_object_from_dict(cls, item, f"{where}[{i}]") for i, item in enumerate(value)]
    if kind in ("amount", "price") and isinstance(value, str):
        return Decimal(value)
    if kind == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if kind == "datetime" and isinstance(value, str):
        parsed = dt.datetime.fromisoformat(value)
        return parsed.date() if "T" not in value else parsed
    return value


def _object_from_dict(cls: type[_Object], data: Any, where: str) -> _Object:
    if not isinstance(data, dict):
        raise BuildError(where, "expected an object", value=data)
    known = {fld.name: fld for fld in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key == "type":
            continue
        fld = known.get(key)
        if fld is None:
            raise BuildError(f"{where}.{key}", f"{cls.__name__} has no such field", value=value)
        kwargs[key] = _decode(fld.metadata.get("kind"), fld.metadata.get("cls"), value, f"{where}.{key}")
    return cls(**kwargs)


def request_from_dict(data: dict[str, Any]) -> Request:
    """Rebuild a request stored with :meth:`QBObject.to_dict`."""
    name = data.get("type") if isinstance(data, dict) else None
    cls = REQUEST_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise BuildError("type", "not a request type we build", limit=sorted(REQUEST_TYPES), value=name)
    return _object_from_dict(cls, data, str(name))
