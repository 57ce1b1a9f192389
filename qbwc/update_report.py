"""What the Web Connector is told about an update's progress and end: the percentage
``receiveResponseXML`` returns, ``getLastError``'s text when nothing more is to be sent, and
``closeConnection``'s status line (docs/qbwc.md)."""

from __future__ import annotations

from db.queue import SessionOutcomes

# Where the bookkeeper, who sees the Web Connector, is sent when requests of an update failed: the
# person who runs the integration, who sees each job's plain-language error and what to do.
WHERE_TO_LOOK = "Your Fusion Operations admin can see why in the qbbridge job list."


def progress_percent(done: int, planned: int) -> int:
    """What ``receiveResponseXML`` reports while work remains: the answers so far against what was
    waiting when the session started. Work queued during the session, and retried requests, can take
    ``done`` to the plan and past it; at least one more request is then known to remain, so the
    estimate becomes ``done / (done + 1)``, below 100 % (which ends the session: it is only returned
    when nothing remains)."""
    return min(99, (100 * done) // max(planned, done + 1))


def _problems(outcomes: SessionOutcomes) -> list[str]:
    parts = []
    if outcomes.failed:
        parts.append(f"{outcomes.failed} failed")
    if outcomes.unknown:
        parts.append(f"{outcomes.unknown} may not have been saved")
    return parts


def closing_status(processed: int, outcomes: SessionOutcomes) -> str:
    """``closeConnection``'s text, which the Web Connector shows on its status line: how many
    requests QuickBooks answered, and how many of the session's requests failed or may not have
    been saved, with where to look."""
    requests = f"{processed} request{'s' if processed != 1 else ''} processed"
    problems = _problems(outcomes)
    if not problems:
        return f"qbbridge: update complete, {requests}."
    return f"qbbridge: {requests}, {', '.join(problems)}. {WHERE_TO_LOOK}"


def end_of_work_message(outcomes: SessionOutcomes) -> str:
    """``getLastError``'s text when nothing more is to be sent (the connector shows it, then closes)."""
    problems = _problems(outcomes)
    if not problems:
        return "qbbridge has nothing more to send. The update is complete."
    return (
        f"qbbridge has nothing more to send. Of this update's requests, {' and '.join(problems)}. "
        f"{WHERE_TO_LOOK}"
    )
