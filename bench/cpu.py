"""CPU accounting for the in-process cost benchmarks: the service's own, and PostgreSQL's.

PostgreSQL's share is read from ``/proc/<pid>/stat`` of the backends serving the benchmark's database
(Linux, database on this machine): the connections the service's pool holds.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

from sqlalchemy import Engine, text


def freeze_like_the_server() -> None:
    """What a worker process does once it has started (qbbridge/app.py), so the figures match."""
    gc.collect()
    gc.freeze()


def backend_pids(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            ).scalars()
        )


def backend_cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")
