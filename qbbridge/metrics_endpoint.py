"""``GET /metrics``: Prometheus' text format, for a scraper holding ``QBBRIDGE_METRICS_TOKEN``.

Without the variable, ``/metrics`` answers 404, as if it did not exist: the Web Connector endpoint
faces the internet, and what the figures tell (how many customers, how busy, which errors) is for
the operator only. With it, a request without ``Authorization: Bearer <token>`` gets 401 (and
``WWW-Authenticate: Bearer``), one with another token 403. The token is compared in constant time.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from db.engine import is_unavailable
from qbbridge import metrics

PATH = "/metrics"

router = APIRouter(include_in_schema=False)


def _refusal(request: Request) -> Response | None:
    token: str | None = request.app.state.settings.metrics_token
    if token is None:
        return JSONResponse(
            {"detail": "Not Found"},
            status_code=404,
        )
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return JSONResponse(
            {"detail": "metrics need 'Authorization: Bearer <QBBRIDGE_METRICS_TOKEN>'"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        return JSONResponse({"detail": "this token is not QBBRIDGE_METRICS_TOKEN"}, status_code=403)
    return None


@router.get(PATH)
async def metrics_page(request: Request) -> Response:
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    cache: metrics.QueueFiguresCache = request.app.state.queue_figures
    try:
        # In a thread: a database that does not answer must not hold the event loop.
        figures = await run_in_threadpool(cache.get)
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        # The counters are still worth having while the database restarts; the queue's gauges are
        # left out (a scraper sees them missing, not zero).
        figures = None
    body = await run_in_threadpool(metrics.exposition, figures)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
