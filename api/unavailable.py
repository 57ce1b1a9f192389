"""What an admin call answers when the database is unavailable for a moment: 503 with ``Retry-After``.

A database that restarts, or a connection lost in the middle of a call, is not the caller's fault and
not a bug: the call's transaction was rolled back (nothing half-done is kept), and the same call can
simply be sent again a few seconds later. The answer is JSON like every other error, without the
statement or its parameters; the log gets one line, not a traceback.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from db.engine import describe_failure, is_unavailable

log = logging.getLogger("qbbridge.api")

RETRY_AFTER_SECONDS = 5
UNAVAILABLE = (
    "The service's database is unavailable for a moment (it may be restarting). Nothing was changed; "
    f"send the same request again in {RETRY_AFTER_SECONDS} seconds."
)


async def database_unavailable(request: Request, exc: Exception) -> Response:
    if not is_unavailable(exc):
        # Any other database error is a bug: the usual 500, with its traceback in the log.
        raise exc
    log.warning(
        "%s %s answered 503: the database is unavailable (%s)",
        request.method,
        request.url.path,
        describe_failure(exc),
    )
    return JSONResponse(
        {"detail": UNAVAILABLE}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(DBAPIError, database_unavailable)
    app.add_exception_handler(PoolTimeoutError, database_unavailable)
