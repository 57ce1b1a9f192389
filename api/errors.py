"""How the admin API answers an error: one shape, documented for every operation, never echoing input.

Every error is ``{"detail": …}``: a sentence for most (``Problem``), and for 422 a list of issues, each
naming the field (``loc``: ``["body", "rows", 0, "quantity"]``, ``["query", "cursor"]``), what is wrong
and what to do (``msg``), and a machine-readable ``type``. Unlike FastAPI's default, the rejected
input is not sent back: it may be megabytes, or a secret, and a lone surrogate in it could not even be
written as UTF-8.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.models import ApiModel


class Problem(ApiModel):
    detail: str = Field(description="What went wrong and what to do, in plain language.")


class Issue(ApiModel):
    loc: list[str | int] = Field(
        description='Where: "body", "query", "path" or "header", then the field path.'
    )
    msg: str = Field(description="What is wrong with it and what to do.")
    type: str = Field(description="A machine-readable kind of error.")


class ValidationProblem(ApiModel):
    detail: list[Issue]


DESCRIPTIONS: dict[int, str] = {
    401: "No API key, or one that is not valid (send `Authorization: Bearer <key>`).",
    403: "This action needs the service's admin API key; a tenant's key cannot do it.",
    404: "No such tenant or job, or one this API key cannot reach.",
    409: "The request conflicts with the current state; the message says what to do.",
    413: "The request body is larger than the limit (QBBRIDGE_MAX_API_BODY_BYTES); nothing was read.",
    422: "A parameter or the body is invalid; each issue names the field. Nothing was changed.",
}


def error_responses(*codes: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error codes, with their models: those listed, with the generic
    text, then those an operation says more of (``e409=…``), which need not be listed as well."""
    described = {int(name.removeprefix("e")): text for name, text in descriptions.items()}
    return {
        code: {
            "model": ValidationProblem if code == 422 else Problem,
            "description": described.get(code, DESCRIPTIONS[code]),
        }
        for code in dict.fromkeys([*codes, *described])
    }


def printable(text: str) -> str:
    """``text`` as it can be written in a UTF-8 answer: a lone surrogate becomes ``\\udXXX``."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _writable(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable(str(key)): _writable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_writable(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return printable(str(value))


def issue(loc: Sequence[str | int], msg: str, kind: str) -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": kind}


def issues_from(errors: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's or FastAPI's errors as issues, without the input they refused."""
    return [
        issue(
            [part if isinstance(part, int) else printable(str(part)) for part in error.get("loc", ())],
            printable(str(error.get("msg", ""))).removeprefix("Value error, "),
            str(error.get("type", "invalid")),
        )
        for error in errors
    ]


def unprocessable(issues: list[dict[str, Any]]) -> HTTPException:
    return HTTPException(422, issues)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(status_code=422, content={"detail": issues_from(exc.errors())})


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    # A string from most raisers, a list of issues from those that name fields (api/jobs.py).
    detail: Any = exc.detail
    if exc.status_code == 422 and not isinstance(detail, list):
        detail = [issue(["body"], str(detail), "invalid")]
    return JSONResponse(
        status_code=exc.status_code, content={"detail": _writable(detail)}, headers=exc.headers
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
