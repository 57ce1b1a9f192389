"""The server's resident memory, as the benchmarks that watch it (bench/soak.py, bench/retrieve.py) see it."""

from __future__ import annotations

import contextlib
import threading
import time

import psutil


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants (``serve`` and its workers)."""
    root = psutil.Process(pid)
    total = 0
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):  # a worker being replaced
            total += process.memory_info().rss
    return total


class PeakRss:
    """Samples ``tree_rss`` every ``interval`` seconds until stopped; ``stop`` returns the highest."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.is_set():
            with contextlib.suppress(psutil.Error):  # the server itself is gone: keep the peak seen
                self.peak = max(self.peak, tree_rss(self.pid))
            time.sleep(self.interval)

    def stop(self) -> int:
        self.stopped.set()
        self.thread.join()
        return self.peak
