"""Lists read a page with a fixed number of statements, however many rows the page holds: no statement
per job (the API's job list used to read each job's steps one by one) and none per tenant."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI

from db import tenants as tenant_repo
from db.engine import Database
from db.queue import NewStep, enqueue
from tests.console.conftest import KEY, client_address
from tests.onboarding.test_setup_batched import STATES, tenants_in_every_state
from tests.support.run_async import run_async
from tests.support.statements import counted


def _tenant_with_jobs(database: Database, jobs: int, failed: int = 0) -> str:
    with database.transaction() as session:
        tenant = tenant_repo.create_tenant(session, "Statements")
        for n in range(jobs):
            job = enqueue(
                session,
                tenant_id=tenant.id,
                kind="raw_qbxml",
                payload={},
                steps=[
                    NewStep(kind="raw_qbxml", intent={"n": n}),
                    NewStep(kind="raw_qbxml", intent={"n": n}),
                ],
            )
            if n < failed:
                job.status = "failed"
        return tenant.id


async def _get(app: FastAPI, path: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=client_address())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path, **kwargs)


async def _console_get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=client_address())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        form = await client.get("/console/sign-in")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf
        signed = await client.post("/console/sign-in", data={"key": KEY, "csrf": csrf.group(1)})
        assert signed.status_code == 303
        return await client.get(path)


def _statements_for(database: Database, call: Any) -> int:
    with counted(database) as statements:
        response = run_async(call)
    assert response.status_code == 200, response.text
    return len(statements)


def test_the_api_job_list_reads_steps_once_per_page(app: FastAPI, database: Database) -> None:
    tenant_id = _tenant_with_jobs(database, 40)
    headers = {"Authorization": f"Bearer {KEY}"}
    path = f"/api/v1/tenants/{tenant_id}/jobs"
    few = _statements_for(database, _get(app, path, params={"limit": 2}, headers=headers))
    many = _statements_for(database, _get(app, path, params={"limit": 40}, headers=headers))
    assert many == few, (few, many)
    page = run_async(_get(app, path, params={"limit": 40}, headers=headers)).json()["items"]
    assert len(page) == 40 and all(len(job["steps"]) == 2 for job in page)


def test_the_sync_log_and_tenants_pages_read_a_page_in_fixed_statements(
    app: FastAPI, database: Database
) -> None:
    tenant_id = _tenant_with_jobs(database, 60, failed=3)
    small = _tenant_with_jobs(database, 1)
    # The sign-in's own statements are the same for both calls.
    few = _statements_for(database, _console_get(app, f"/console/tenants/{small}/jobs"))
    many = _statements_for(database, _console_get(app, f"/console/tenants/{tenant_id}/jobs"))
    assert many == few, (few, many)
    with database.transaction() as session:
        for n in range(60):
            tenant_repo.create_tenant(session, f"Statements more {n}")
    page = run_async(_console_get(app, "/console/tenants?q=statements"))
    assert page.text.count('<th scope="row">') == 50  # a full page
    assert _statements_for(
        database, _console_get(app, "/console/tenants?q=statements more 1")
    ) == _statements_for(database, _console_get(app, "/console/tenants?q=statements"))


def test_the_tenants_list_reads_setup_progress_in_fixed_statements(app: FastAPI, database: Database) -> None:
    # Tenants at every step of setup (sessions, access tests, failed ones' codes): one page with each
    # state once, another with each twice, read in the same number of statements.
    tenants_in_every_state(database, "Progress one")
    tenants_in_every_state(database, "Progress two")
    both = run_async(_console_get(app, "/console/tenants?q=progress"))
    assert both.text.count('<th scope="row">') == 2 * len(STATES)
    assert both.text.count(" of 5") == 2 * len(STATES) and "ready" in both.text
    assert _statements_for(database, _console_get(app, "/console/tenants?q=progress one")) == _statements_for(
        database, _console_get(app, "/console/tenants?q=progress")
    )
