"""Whatever a link or a form carries, a console page answers a page, never a 500: NUL characters,
lone surrogates, huge and malformed values, on both databases."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from db import tenants as tenant_repo
from db.engine import Database
from tests.console.conftest import KEY, client_address
from tests.support.run_async import run_async

HOSTILE = ["%00", "a%00b", "%ED%A0%80", "x" * 5000, "-1", "1e9", "99999999999999999999999", "' OR 1=1 --"]


async def _session(app: FastAPI) -> httpx.AsyncClient:
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=client_address()), base_url="http://test"
    )
    form = await client.get("/console/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf
    assert (
        await client.post("/console/sign-in", data={"key": KEY, "csrf": csrf.group(1)})
    ).status_code == 303
    return client


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_links_get_pages(app: FastAPI, database: Database, value: str) -> None:
    with database.transaction() as session:
        tenant_id = tenant_repo.create_tenant(session, "Hostile").id

    async def run() -> list[tuple[str, int]]:
        client = await _session(app)
        paths = [
            f"/console/tenants?q={value}&after={value}",
            f"/console/tenants/{value}",
            f"/console/tenants/{tenant_id}/jobs?status={value}&flow={value}&since={value}&until={value}&q={value}&before={value}",
            f"/console/tenants/{tenant_id}/imports?status={value}&entity={value}&before={value}",
            f"/console/jobs/{value}?step={value}&part={value}&page={value}",
            f"/console/sign-in?next={value}",
            f"/support?file={value}",
        ]
        answers = [(path, (await client.get(path)).status_code) for path in paths]
        await client.aclose()
        return answers

    for path, status in run_async(run()):
        assert status in (200, 404, 422), (path, status)


def test_hostile_forms_get_pages(app: FastAPI, database: Database) -> None:
    with database.transaction() as session:
        tenant_id = tenant_repo.create_tenant(session, "Hostile forms").id

    async def run() -> list[tuple[str, int, str]]:
        client = await _session(app)
        page = await client.get(f"/console/tenants/{tenant_id}/settings")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf
        answers = []
        for form in (
            {"timezone": "Europe/Paris\x00", "retrievalIntervalMinutes": "30"},
            {"retrievalIntervalMinutes": "1" * 400},
            {"inventory.tag": "x" * 100_000, "retrievalIntervalMinutes": "abc"},
        ):
            answer = await client.post(
                f"/console/tenants/{tenant_id}/settings", data={**form, "csrf": csrf.group(1)}
            )
            answers.append(("settings", answer.status_code, answer.text))
        # A lone surrogate, percent-encoded as a browser never would.
        answer = await client.post(
            f"/console/tenants/{tenant_id}/settings",
            content=f"csrf={csrf.group(1)}&timezone=%ED%A0%80&syncWindow.start=%00",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        answers.append(("settings", answer.status_code, answer.text))
        answer = await client.post(
            f"/console/tenants/{tenant_id}/imports/ack",
            data={"ids": ["\x00", "x" * 1000], "csrf": csrf.group(1)},
        )
        answers.append(("ack", answer.status_code, answer.text))
        form = await client.get("/console/sign-in")
        sign_in = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert sign_in
        answer = await client.post(
            "/console/sign-in", data={"key": "k\x00" * 10_000, "csrf": sign_in.group(1), "next": "\x00"}
        )
        answers.append(("sign-in", answer.status_code, answer.text))
        await client.aclose()
        return answers

    for name, status, text in run_async(run()):
        assert status in (303, 401, 422), (name, status, text[:300])
        if name == "settings":
            assert status == 422 and "Nothing was saved" in text
    settings = tenant_repo.get_tenant
    with database.transaction() as session:
        tenant = settings(session, tenant_id)
        assert tenant is not None and tenant.settings in ({}, None)  # nothing partial was stored
