"""What the queue did, told to whoever counts it, once the transaction that did it has committed.

The queue notes a fact (a job finished, QuickBooks answered with a status code) in the transaction
that causes it; after that transaction commits, every listener is called with the fact's name and its
labels. A rolled-back transaction did nothing, so its facts are dropped. The metrics
(``qbbridge/metrics.py``) listen here, so the database layer knows nothing of Prometheus and each
call site in the queue is one line.

Facts:

- ``job_finished``: ``flow`` (the job's kind), ``status`` (the final status it just reached).
- ``quickbooks_status``: ``code`` (QuickBooks' statusCode of a settled step's deciding answer).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from db import transaction
from db.transaction import Work

log = logging.getLogger("qbbridge.observed")

JOB_FINISHED = "job_finished"
QUICKBOOKS_STATUS = "quickbooks_status"

Listener = Callable[[str, dict[str, str]], None]

_PENDING = "qbbridge.observed"
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def note(work: Work, fact: str, **labels: str) -> None:
    work.info.setdefault(_PENDING, []).append((fact, labels))


@event.listens_for(Session, "after_commit")
def _announce_committed(session: Session) -> None:
    _announce(session.info)


def _announce(info: dict[Any, Any]) -> None:
    for fact, labels in info.pop(_PENDING, ()):
        for listener in _listeners:
            try:
                listener(fact, labels)
            except Exception:
                # Counting must never undo or fail what was committed.
                log.exception("a listener of %s failed", fact)


transaction.after_commit(_announce)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session, *_: Any) -> None:
    session.info.pop(_PENDING, None)
