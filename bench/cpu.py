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


def _stat_fields(pid: int | str) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (None: the process is gone)."""
    try:
        # The command name, in parentheses, may itself hold spaces: split after its closing one.
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _cpu_ticks(fields: list[str]) -> int:
    return int(fields[11]) + int(fields[12])  # utime, stime


def backend_cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            ticks += _cpu_ticks(fields)
    return ticks / os.sysconf("SC_CLK_TCK")


def _all_processes() -> dict[int, tuple[str, int, int]]:
    """Every process on this machine: pid → (command name, parent pid, CPU ticks so far)."""
    found: dict[int, tuple[str, int, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue
        fields = _stat_fields(entry.name)
        if fields is None:
            continue
        found[int(entry.name)] = (name, int(fields[1]), _cpu_ticks(fields))
    return found


class CpuMeter:
    """CPU seconds used between ``start()`` and ``stop()`` by a process and its descendants (the
    server and its workers), and by every PostgreSQL process on the machine.

    Processes that exit in between take their ticks with them, so this suits long-lived processes:
    the server's workers and the pool's backends. PostgreSQL's share includes its background
    processes, a small part beside the backends under load."""

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self.started: tuple[dict[int, int], dict[int, int]] | None = None
        self.service_seconds = 0.0
        self.postgres_seconds = 0.0

    def _read(self) -> tuple[dict[int, int], dict[int, int]]:
        processes = _all_processes()
        tree = {self.root_pid}
        grew = True
        while grew:
            grew = False
            for pid, (_, parent, _) in processes.items():
                if parent in tree and pid not in tree:
                    tree.add(pid)
                    grew = True
        service = {pid: processes[pid][2] for pid in tree if pid in processes}
        postgres = {pid: ticks for pid, (name, _, ticks) in processes.items() if name.startswith("postgres")}
        return service, postgres

    def start(self) -> None:
        self.started = self._read()

    def stop(self) -> None:
        assert self.started is not None, "start() first"
        before_service, before_postgres = self.started
        service, postgres = self._read()
        tick = os.sysconf("SC_CLK_TCK")
        self.service_seconds = sum(t - before_service.get(pid, 0) for pid, t in service.items()) / tick
        self.postgres_seconds = sum(t - before_postgres.get(pid, 0) for pid, t in postgres.items()) / tick
