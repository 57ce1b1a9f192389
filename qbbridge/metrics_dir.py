"""The directory where several worker processes keep their metrics (prometheus-client's multiprocess
mode), made and removed by ``qbbridge serve``.

The supervisor makes a fresh, empty directory before it starts the workers and names it in
``PROMETHEUS_MULTIPROC_DIR``, which every worker inherits (so prometheus-client, when a worker imports
it, writes to files there). A worker that dies is marked dead (its live gauges are dropped; its
counters stay, so totals do not go down). The directory is removed when ``serve`` stops: counters start
again at zero with the next start, as they do for a single process; Prometheus' ``rate()`` and
``increase()`` expect that.

Not imported with prometheus-client: the supervisor must set the variable before anything imports it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def multiprocess_metrics() -> Iterator[str]:
    """A fresh directory named in the environment for the processes started inside the block."""
    previous = os.environ.get(VARIABLE)
    directory = tempfile.mkdtemp(prefix="qbbridge-metrics-")
    os.environ[VARIABLE] = directory
    try:
        yield directory
    finally:
        if previous is None:
            os.environ.pop(VARIABLE, None)
        else:
            os.environ[VARIABLE] = previous
        shutil.rmtree(directory, ignore_errors=True)


def single_process_metrics() -> None:
    """One process keeps its metrics in memory: a directory named by the environment (left from
    elsewhere) would otherwise be written to and summed with stale files."""
    os.environ.pop(VARIABLE, None)


def mark_worker_dead(pid: int | None) -> None:
    if pid is None or not os.environ.get(VARIABLE):
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)
