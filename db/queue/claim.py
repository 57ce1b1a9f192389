"""Claiming: the next step of a tenant's first job in queue order, the steps that may share its
message set, and the start of a sendRequestXML or receiveResponseXML as one batch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from db import batch
from db.queue.refs import JobRef, SendStart, SessionRow, StepRef, dialect_of, session_row, step_ref
from db.queue.settle import orphan_texts
from db.queue.sql import (
    ANY_RUNNABLE,
    CLAIM_BY_ID,
    CLAIM_BY_TICKET,
    CLAIM_COMPANIONS,
    CLAIM_READY_BY_TICKET,
    CLEAR_WAIT,
    COUNT_QUEUED,
    IN_FLIGHT_BY_TICKET,
    JOB_OF_CLAIM_TO_IN_FLIGHT,
    JOB_TO_IN_FLIGHT,
    JOBS_OF_SESSION_TO_IN_FLIGHT,
    MARK_SENT,
    ORPHAN_BY_TICKET,
    TOUCH,
)
from db.states import StepPhase
from db.transaction import Work


def claim_next_step(session: Work, *, tenant_id: str, session_id: int, now: dt.datetime) -> StepRef | None:
    """Hand the tenant's next runnable step to ``session_id``, or return None when there is none.

    Commit promptly after this: on PostgreSQL the claimed row stays locked until the transaction ends.
    """
    params = {"tenant_id": tenant_id, "session_id": session_id, "now": now}
    dialect = dialect_of(session)
    rows = batch.run_one(session, CLAIM_BY_ID[dialect], params)
    if not rows:
        return None
    if rows[0].position == 0 and dialect == "sqlite":
        # Only a job's first step can find it still 'queued' (see ``_JOB_STARTED``, which does this
        # within the claim on PostgreSQL).
        batch.run_one(session, JOB_TO_IN_FLIGHT, {"now": now, "job_id": rows[0].job_id})
    return step_ref(rows[0])


def shares_message(step: StepRef, kind: str) -> bool:
    """Whether a step just claimed may take companions into its message set: it meets the condition
    ``CLAIM_COMPANIONS`` puts on them (of ``kind``, phase ``send``, its first attempt), and it is
    its job's last step, so the steps of later jobs after it leave no earlier job with steps to go."""
    return step.kind == kind and step.phase == StepPhase.SEND and step.attempts == 1 and step.last


def claim_companions(
    session: Work,
    *,
    tenant_id: str,
    session_id: int,
    head: StepRef,
    now: dt.datetime,
    limit: int,
    kind: str,
) -> list[StepRef]:
    """Up to ``limit`` more steps for ``session_id``, to send in one message set after ``head``, the
    last step of the tenant's head job, which the session just claimed: steps of the jobs right after
    it in queue order, up to the first that must wait or go alone, and up to the first that is not its
    job's last (``CLAIM_COMPANIONS``), all of ``kind`` (the one kind of step that may share). One
    round trip; commit promptly, as after ``claim_next_step``."""
    if limit <= 0:
        return []
    params = {"tenant_id": tenant_id, "session_id": session_id, "now": now}
    dialect = dialect_of(session)
    companions = {**params, "job_id": head.job_id, "limit": limit, "shared_kind": kind}
    statements = [(CLAIM_COMPANIONS[dialect], companions)]
    if dialect == "sqlite":
        # PostgreSQL moves their jobs in flight within the claim (``_JOB_STARTED``).
        statements.append((JOBS_OF_SESSION_TO_IN_FLIGHT, {"session_id": session_id, "now": now}))
    claimed = batch.run(session, statements)[0]
    # In queue order: QuickBooks processes a message set's requests in the order they are written.
    return [step_ref(row) for row in sorted(claimed, key=lambda row: row.queue_seq)]


def start_send(
    session: Work,
    touch: dict[str, Any],
    *,
    orphan_reason: str,
) -> SendStart:
    """The start of a ``sendRequestXML`` in one batch (one round trip on PostgreSQL):

    1. touch the session (``sql.py``: ``TOUCH``), which takes its row lock first, so a
       concurrent call of the same session waits here and then sees what this one did;
    2. orphan what the session still had in flight: one request at a time per session, so a new
       request while one is out means the earlier answer was lost;
    3. claim the tenant's next runnable step for the session;
    4. mark that step's job in flight when it is the job's first step.

    Steps 2–4 find the session by ticket (``OPEN_SESSION_ID``), so they do nothing when the touch found
    no open session. The caller refreshes the orphaned jobs (``refresh_job``).
    """
    params = {**touch, **orphan_texts(orphan_reason)}
    dialect = dialect_of(session)
    statements = [
        (TOUCH, touch),
        (ORPHAN_BY_TICKET, params),
        (CLAIM_BY_TICKET[dialect], touch),
    ]
    if dialect == "sqlite":
        # PostgreSQL does step 4 within the claim (``_JOB_STARTED``).
        statements.append((JOB_OF_CLAIM_TO_IN_FLIGHT, touch))
    touched, orphaned, claimed = batch.run(session, statements)[:3]
    return SendStart(
        session=session_row(touched),
        orphaned_job_ids=sorted({row.job_id for row in orphaned}),
        step=step_ref(claimed[0]) if claimed else None,
    )


def send_prepared(session: Work, touch: dict[str, Any]) -> str | None:
    """A whole ``sendRequestXML`` in one round trip, its COMMIT included, when it can be (PostgreSQL):
    touch the session; claim the tenant's next step only if it is ready as prepared when queued and
    the session has no request out (``sql.py``: ``CLAIM_READY_BY_TICKET``), which marks it sent,
    moves its job in flight and ends the session's wait if it asked for one. Returns what to hand the Web
    Connector, or None when it claimed nothing: the transaction has then committed the touch alone,
    and the call goes on in a new one as usual (``start_send``). The caller's transaction is ended
    either way."""
    touched, claimed = batch.run(session, [(TOUCH, touch), (CLAIM_READY_BY_TICKET, touch)], commit=True)
    if not touched or not claimed:
        return None
    sent: str | None = claimed[0].sent_xml
    return sent


def start_receive(session: Work, touch: dict[str, Any]) -> tuple[SessionRow | None, list[StepRef]]:
    """The start of a ``receiveResponseXML`` in one batch: touch the session (counting one more
    answered request) and read the steps it has in flight (one, or those sent together in one
    message set), found by ticket after the touch."""
    touched, in_flight = batch.run(
        session,
        [
            (TOUCH, touch),
            (IN_FLIGHT_BY_TICKET, touch),
        ],
    )
    row = session_row(touched)
    if row is None:
        return None, []
    steps = [
        step_ref(
            found,
            job=JobRef(
                tenant_id=found.job_tenant_id,
                link_entity=found.job_link_entity,
                link_code=found.job_link_code,
                result=dict(found.job_result or {}),
            ),
        )
        for found in in_flight
    ]
    return row, steps


def mark_sent(
    session: Work,
    sent: Sequence[tuple[StepRef, str, list[str], str | None]],
    *,
    clear_wait_of: int | None = None,
) -> None:
    """Store what was sent for each step (its request, its requestIDs, and the qbXML version its own
    request was written for, None when what was sent is a reconciliation query) and, with
    ``clear_wait_of``, end that Web Connector session's wait: one round trip, the transaction's last
    work (on PostgreSQL it ends with COMMIT; nothing may run on the session after it)."""
    statements = [
        (
            MARK_SENT,
            {"xml": xml, "request_ids": request_ids, "sent_version": sent_version, "step_id": step.id},
        )
        for step, xml, request_ids, sent_version in sent
    ]
    if clear_wait_of is not None:
        statements.append((CLEAR_WAIT, {"session_id": clear_wait_of}))
    batch.run(session, statements, commit=True)


def has_runnable(session: Work, *, tenant_id: str, now: dt.datetime) -> bool:
    """Whether the tenant has a step a session could take now."""
    return bool(batch.run_one(session, ANY_RUNNABLE, {"tenant_id": tenant_id, "now": now})[0].runnable)


def count_queued(session: Work, *, tenant_id: str) -> int:
    """The tenant's waiting steps, runnable now or later."""
    return int(batch.run_one(session, COUNT_QUEUED, {"tenant_id": tenant_id})[0].queued)
