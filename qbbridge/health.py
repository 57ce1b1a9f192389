"""``/healthz`` and ``/readyz``, for load balancers and orchestrators; neither needs a key.

``/healthz``: the process is alive and serving (no database call), so a restart is never triggered by
a database that is down. ``/readyz``: the database answers and its schema is at the migration this
code needs, so traffic is sent only to a process that can serve it; otherwise 503 with the reason.
Both are left out of the access log at the default log level (probes every few seconds would bury
the requests that matter); at ``debug`` they are logged.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from db.engine import Database, is_unavailable
from db.migrate import schema_state

PROBES = ("/healthz", "/readyz")

router = APIRouter(include_in_schema=False)


@router.get("/healthz", response_class=PlainTextResponse)
async def healthz() -> str:
    return "ok"


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    # In a thread: a database that does not answer must not hold the event loop (and the Web
    # Connector calls it serves) for the connection timeout.
    revision, problem = await run_in_threadpool(readiness, request.app.state.database)
    if problem is not None:
        return JSONResponse({"status": "unavailable", "reason": problem}, status_code=503)
    return JSONResponse({"status": "ready", "schemaRevision": revision})


def readiness(database: Database) -> tuple[str | None, str | None]:
    """The schema revision, and why the service cannot serve (None when it can)."""
    try:
        with database.reading() as connection:
            state = schema_state(connection)
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        # Not the driver's own words: they can name internal hosts, and anyone may ask.
        return None, "the database does not answer"
    return state.current, state.problem()


class ProbeFilter(logging.Filter):
    """Drops the access-log lines of the probes, unless the log level is ``debug`` or finer."""

    def filter(self, record: logging.LogRecord) -> bool:
        if logging.getLogger("uvicorn.access").isEnabledFor(logging.DEBUG):
            return True
        # uvicorn's access record: (client, method, path with query, HTTP version, status).
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            return args[2].split("?", 1)[0] not in PROBES
        return True


def quiet_probes_in_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(existing, ProbeFilter) for existing in access.filters):
        access.addFilter(ProbeFilter())
