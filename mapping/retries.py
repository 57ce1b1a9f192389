"""How often, and after how long, a request QuickBooks could not take right now is sent again.

A record or list in use (3170, 3175, 3176, 3180: ``mapping.explain.is_retryable_status``) or a passing
error of the Web Connector puts the request back in the queue for a later session, with a growing
delay, at most ``MAX_ATTEMPTS`` times in all (docs/qbwc.md, "Settling a request").
"""

from __future__ import annotations

import datetime as dt

MAX_ATTEMPTS = 5


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait before the next attempt, after ``attempts`` so far: 1, 2, 4, 8… minutes, at most 30."""
    return dt.timedelta(minutes=min(30, 2 ** max(0, attempts - 1)))
