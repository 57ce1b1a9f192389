"""Retention: payloads older than ``QBBRIDGE_PAYLOAD_RETENTION_DAYS`` removed, in small batches.

What is removed and what is kept: ``db/retention.py``. Every worker process of every instance runs
the background pass (``prune_forever``: shortly after start, then every hour), but only the holder of
the ``retention`` lease (``db/leases.py``) prunes: each batch takes or renews the lease in its own
transaction, so a second process finds it held and waits for the next pass, and a process that dies
mid-pass lets another take over once the lease expires. ``qbbridge prune`` runs one pass at once,
under the same lease.

Each batch is one short transaction of at most ``BATCH_SIZE`` jobs (or imports), followed by a short
pause: the Web Connector's calls and admin calls interleave with the pruning instead of waiting
behind it (what it costs them: docs/performance.md).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from db import leases
from db import retention as pruning
from db.engine import Database, describe_failure, is_unavailable
from db.models import utcnow
from qbbridge import metrics

log = logging.getLogger("qbbridge.retention")

LEASE = "retention"
LEASE_DURATION = dt.timedelta(minutes=5)
BATCH_SIZE = 500
PAUSE_SECONDS = 0.05
FIRST_PASS_AFTER_SECONDS = 60.0
PASS_EVERY_SECONDS = 3600.0


def holder_name() -> str:
    """Who holds the lease: this host and process, told apart from a later process with its id."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class PassReport:
    pruned: pruning.Pruned
    batches: int
    lease_held_elsewhere: bool = False


def prune_pass(
    database: Database,
    *,
    days: int,
    holder: str,
    batch_size: int = BATCH_SIZE,
    pause_seconds: float = PAUSE_SECONDS,
    clock: Callable[[], dt.datetime] = utcnow,
    on_batch: Callable[[pruning.Pruned], None] | None = None,
) -> PassReport:
    """Prune everything due, batch after batch, while this holder has the lease."""
    total = pruning.Pruned()
    batches = 0
    try:
        for prune in (pruning.prune_jobs, pruning.prune_imports):
            while True:
                now = clock()
                cutoff = now - dt.timedelta(days=days)
                with database.transaction() as session:
                    if not leases.take(session, LEASE, holder, now=now, duration=LEASE_DURATION):
                        return PassReport(total, batches, lease_held_elsewhere=True)
                    done = prune(session, cutoff=cutoff, now=now, limit=batch_size)
                batches += 1
                total += done
                _count(done)
                if on_batch is not None:
                    on_batch(done)
                if not done.anything:
                    break
                if pause_seconds:
                    time.sleep(pause_seconds)
    finally:
        try:
            with database.transaction() as session:
                leases.release(session, LEASE, holder)
        except Exception as exc:
            # It expires by itself; nothing else depends on releasing it now.
            log.warning("could not release the retention lease (%s)", describe_failure(exc))
    return PassReport(total, batches)


def _count(done: pruning.Pruned) -> None:
    if done.jobs:
        metrics.PRUNED.labels(kind="job").inc(done.jobs)
    if done.imports:
        metrics.PRUNED.labels(kind="import").inc(done.imports)


async def prune_forever(database: Database, *, days: int) -> None:
    """The background pass of one worker process (see the module's notes)."""
    holder = holder_name()
    await asyncio.sleep(FIRST_PASS_AFTER_SECONDS)
    while True:
        try:
            report = await run_in_threadpool(prune_pass, database, days=days, holder=holder)
            if report.pruned.anything:
                log.info(
                    "retention: payloads removed from %d job(s) (%d step(s)) and %d import(s) older than "
                    "%d days",
                    report.pruned.jobs,
                    report.pruned.steps,
                    report.pruned.imports,
                    days,
                )
        except Exception as exc:
            if not is_unavailable(exc):
                log.exception("retention failed; trying again at the next pass")
            else:
                log.warning("retention waits for the database (%s)", describe_failure(exc))
        await asyncio.sleep(PASS_EVERY_SECONDS)
