"""The 422 answer to a request body that does not validate, for any body a client can send.

FastAPI's own answer repeats each offending input. Python's JSON reader takes ``NaN``, ``Infinity`` and
numbers past a float's range (``1e400``) as non-finite floats, which JSON cannot carry back: the answer
would fail to render and the client would get a 500. Here such an input is echoed as text.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf", "-inf"
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


async def validation_failed(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = _json_safe(jsonable_encoder(exc.errors()))
    return JSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": detail})


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_failed)
