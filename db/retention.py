"""Removing old payloads: what a finished job sent and received, and what an acknowledged import held.

A job that ended (``succeeded``, ``failed``, ``cancelled``) before the cutoff loses its payload and
result, and each of its steps its request, response, intent and result; what each step was and how it
ended stays: its state, QuickBooks' status code, severity and message, the HRESULT and the
plain-language error, as do the job's status, error and warnings, its links (which QuickBooks
document each entity became) and the audit log. A job left with an unknown outcome is kept whole: a
person still has to settle it from what it sent. ``jobs.payload_pruned_at`` records when.

An import acknowledged before the cutoff loses its document (``data``, ``notes``) and keeps what
identifies it (its QuickBooks source, code and status), so the same QuickBooks document retrieved
again is still recognised and not imported twice. ``imports.data_pruned_at`` records when.

Each call does one small batch in its own short transaction (a few hundred rows, found through a
partial index of what is still prunable, oldest first), so no lock is held for long and the Web
Connector's calls go on meanwhile. On PostgreSQL rows another transaction holds are skipped
(``SKIP LOCKED``) and left for the next batch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import JSON, TextClause, bindparam, text
from sqlalchemy.orm import Session

from db.models import PRUNABLE_IMPORT_CONDITION, PRUNABLE_JOB_CONDITION, UTCDateTime
from db.results import affected_rows

_SKIP_LOCKED = {"postgresql": "FOR UPDATE SKIP LOCKED", "sqlite": ""}


def _pick(table: str, prunable: str, ended: str) -> dict[str, TextClause]:
    """Per dialect: the ids of up to ``:limit`` rows of ``table`` still ``prunable`` that ``ended``
    before ``:cutoff``, oldest first (on PostgreSQL, none another transaction holds)."""
    return {
        dialect: text(
            f"SELECT id FROM {table} WHERE {prunable} AND {ended} < :cutoff "
            f"ORDER BY {ended} LIMIT :limit {lock}"
        ).bindparams(bindparam("cutoff", type_=UTCDateTime()))
        for dialect, lock in _SKIP_LOCKED.items()
    }


_PICK_JOBS = _pick("jobs", PRUNABLE_JOB_CONDITION, "finished_at")
_PICK_IMPORTS = _pick("imports", PRUNABLE_IMPORT_CONDITION, "acknowledged_at")


_EMPTY = (bindparam("empty", type_=JSON()), bindparam("now", type_=UTCDateTime()))
_PRUNE_STEPS = text(
    "UPDATE job_steps SET request = NULL, response = NULL, intent = :empty, result = :empty, "
    "prepared_request = NULL "
    "WHERE job_id IN :ids"
).bindparams(bindparam("ids", expanding=True), bindparam("empty", type_=JSON()))
_PRUNE_JOBS = text(
    "UPDATE jobs SET payload = :empty, result = :empty, payload_pruned_at = :now WHERE id IN :ids"
).bindparams(bindparam("ids", expanding=True), *_EMPTY)
_PRUNE_IMPORTS = text(
    "UPDATE imports SET data = :empty, notes = :nothing, data_pruned_at = :now WHERE id IN :ids"
).bindparams(bindparam("ids", expanding=True), bindparam("nothing", type_=JSON()), *_EMPTY)


@dataclass(frozen=True, slots=True)
class Pruned:
    jobs: int = 0
    steps: int = 0
    imports: int = 0

    def __add__(self, other: Pruned) -> Pruned:
        return Pruned(self.jobs + other.jobs, self.steps + other.steps, self.imports + other.imports)

    @property
    def anything(self) -> bool:
        return bool(self.jobs or self.imports)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def prune_jobs(session: Session, *, cutoff: dt.datetime, now: dt.datetime, limit: int) -> Pruned:
    """One batch: up to ``limit`` jobs that ended before ``cutoff``, with their steps."""
    found = session.execute(_PICK_JOBS[_dialect(session)], {"cutoff": cutoff, "limit": limit})
    ids = [row.id for row in found]
    if not ids:
        return Pruned()
    steps = affected_rows(session.execute(_PRUNE_STEPS, {"ids": ids, "empty": {}}))
    session.execute(_PRUNE_JOBS, {"ids": ids, "empty": {}, "now": now})
    return Pruned(jobs=len(ids), steps=steps)


def prune_imports(session: Session, *, cutoff: dt.datetime, now: dt.datetime, limit: int) -> Pruned:
    """One batch: up to ``limit`` imports acknowledged before ``cutoff``."""
    found = session.execute(_PICK_IMPORTS[_dialect(session)], {"cutoff": cutoff, "limit": limit})
    ids = [row.id for row in found]
    if not ids:
        return Pruned()
    session.execute(_PRUNE_IMPORTS, {"ids": ids, "empty": {}, "nothing": [], "now": now})
    return Pruned(imports=len(ids))
