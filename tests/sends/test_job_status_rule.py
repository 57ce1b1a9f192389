"""A job's status is derived from its steps by one rule (db/states.py: JOB_STATUS_RULES), read in
Python and run as SQL when a step settles: on both databases, for every set of step states, the SQL
gives what Python gives, and Python gives what the rule's sentences say."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import text

from db.engine import Database
from db.states import JobStatus, StepState, derive_job_status, job_status_sql

EVERY_SET = [
    frozenset(combo) for size in range(len(StepState) + 1) for combo in itertools.combinations(StepState, size)
]


def test_the_rules_sentences() -> None:
    assert derive_job_status([StepState.SUCCEEDED, StepState.FAILED, StepState.QUEUED]) == JobStatus.FAILED
    assert derive_job_status([StepState.UNKNOWN_OUTCOME, StepState.IN_FLIGHT]) == JobStatus.UNKNOWN_OUTCOME
    assert derive_job_status([StepState.QUEUED, StepState.SUCCEEDED]) == JobStatus.IN_FLIGHT
    assert derive_job_status([StepState.QUEUED, StepState.CANCELLED]) == JobStatus.QUEUED
    assert derive_job_status([StepState.SUCCEEDED, StepState.SUCCEEDED]) == JobStatus.SUCCEEDED
    assert derive_job_status([StepState.SUCCEEDED, StepState.CANCELLED]) == JobStatus.CANCELLED
    assert derive_job_status([]) == JobStatus.CANCELLED


def test_the_sql_gives_what_python_gives_for_every_set_of_states(database: Database) -> None:
    expression = job_status_sql("s.state")
    values = " UNION ALL ".join(
        f"SELECT {n} AS job, '{state.value}' AS state" for n, states in enumerate(EVERY_SET) for state in states
    )
    with database.sessions() as session:
        rows = session.execute(
            text(f"SELECT s.job, {expression} FROM ({values}) AS s GROUP BY s.job")
        ).all()
    from_sql = dict(rows)
    for n, states in enumerate(EVERY_SET):
        if not states:
            continue  # a job without steps has no rows to group: the queue's UPDATE covers it below
        assert from_sql[n] == derive_job_status(states).value, sorted(states)


def test_a_job_without_steps_is_cancelled_in_sql_too(database: Database) -> None:
    expression = job_status_sql("s.state")
    with database.sessions() as session:
        [status] = session.execute(
            text(f"SELECT {expression} FROM (SELECT 'x' AS state) AS s WHERE 1 = 0")
        ).one()
    assert status == derive_job_status([]).value


@pytest.mark.parametrize("states", [s for s in EVERY_SET if len(s) == 1], ids=lambda s: next(iter(s)).value)
def test_a_one_step_job_has_its_steps_state(states: frozenset[StepState]) -> None:
    [state] = states
    expected = JobStatus(state.value)
    assert derive_job_status(states) == expected
