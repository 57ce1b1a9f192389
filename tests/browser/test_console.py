"""The operator console in real Chromium: signing in, onboarding a tenant with the simulator, settings,
failed jobs and their retry, imports, tenant isolation; axe-core on every page, and no console error
or failed request anywhere (tests/browser/harness.py)."""

from __future__ import annotations

import re
import time

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.browser.console_flows import (
    demo_quickbooks,
    job_status,
    new_tenant,
    queue_qbxml,
    run_simulator,
    sign_in,
    tenant_api_key,
)
from tests.browser.harness import PageWatch, check_axe, screenshot
from tests.support.servers import LiveServer

MISSING_CUSTOMER_ORDER = (
    "<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>{customer}</FullName></CustomerRef>"
    "<SalesOrderLineAdd><ItemRef><FullName>WIDGET-1</FullName></ItemRef><Quantity>2</Quantity>"
    "</SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>"
)


def test_sign_in_with_the_admin_key_then_sign_out(live_server: LiveServer, page: Page, page_watch: PageWatch) -> None:
    tenant = new_tenant(live_server)
    page.goto(live_server.base_url + f"/console/tenants/{tenant['id']}")
    # Not signed in: the sign-in page, which comes back here afterwards.
    expect(page).to_have_url(re.compile(r"/console/sign-in\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to the qbbridge console")
    check_axe(page)
    screenshot(page, "sign-in")

    page_watch.expect_status("/console/sign-in", 401)
    page.get_by_label("API key").fill("not-the-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That key is not valid")
    # The key typed is not written back into the page.
    assert "not-the-key" not in page.content()
    check_axe(page)

    page.get_by_label("API key").fill(live_server.admin_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.base_url + f"/console/tenants/{tenant['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(tenant["name"])
    assert live_server.admin_key not in page.content()

    cookie = next(c for c in page.context.cookies() if c["name"] == "qbbridge_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    assert live_server.admin_key not in cookie["value"]

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/console/sign-in$"))
    page.goto(live_server.base_url + "/console/tenants")
    expect(page).to_have_url(re.compile(r"/console/sign-in\?next="))
    assert live_server.admin_key not in live_server.log_text()


def test_a_tenant_key_sees_its_tenant_only(live_server: LiveServer, page: Page, page_watch: PageWatch) -> None:
    own = new_tenant(live_server)
    other = new_tenant(live_server)
    key = tenant_api_key(live_server, own["id"])
    sign_in(page, live_server, key, expect_path=f"/console/tenants/{own['id']}")
    page.get_by_role("link", name="Tenants").click()
    expect(page.get_by_role("row")).to_have_count(2)  # the header and its own tenant
    expect(page.get_by_role("link", name=own["name"])).to_be_visible()
    expect(page.get_by_text(other["name"])).to_have_count(0)
    for path in ("", "/settings", "/jobs", "/imports"):
        page_watch.expect_status(f"/console/tenants/{other['id']}{path}", 404)
        page.goto(live_server.base_url + f"/console/tenants/{other['id']}{path}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
        assert other["name"] not in page.content()
    check_axe(page)


def test_onboarding_one_tenant_with_the_simulator(live_server: LiveServer, page: Page) -> None:
    tenant = new_tenant(live_server, "Onboarding Manufacturing")
    job_id = queue_qbxml(live_server, tenant["id"], "<CustomerQueryRq><MaxReturned>2</MaxReturned></CustomerQueryRq>")
    sign_in(page, live_server, live_server.admin_key)
    row = _find_in_tenants(page, tenant["name"])
    expect(row).to_contain_text("never")
    # Setup progress at a glance: steps done of five, and the next one.
    expect(row.locator("td.progress")).to_have_text(re.compile(r"^0 of 5\s*next: Install$"))
    check_axe(page)
    row.get_by_role("link", name=tenant["name"]).click()

    expect(page.get_by_text("never: the Web Connector has not reached qbbridge yet")).to_be_visible()
    checklist = page.locator("ol.checklist > li")
    expect(checklist).to_have_count(5)
    expect(checklist.nth(0)).to_contain_text("not started")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download .qwc file").click()
    qwc = download.value.path().read_text()
    assert f"<UserName>{tenant['qbwcUsername']}</UserName>" in qwc
    page.get_by_role("button", name="Generate a new token").click()
    # The file went out (step 1 waits for the connector to call) and the token exists (step 2).
    expect(checklist.nth(0).locator(".status")).to_have_text("waiting")
    expect(checklist.nth(1).locator(".status")).to_have_text("done")
    expect(checklist.nth(2).locator(".status")).not_to_have_text("done")
    token = page.get_by_label("The new Web Connector password").input_value()
    assert len(token) >= 24
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status")).to_have_text(re.compile("Copied|copy it"))
    check_axe(page)
    screenshot(page, "tenant-token")
    # The token is in this page only: not in its address, not after a reload.
    assert token not in page.url

    quickbooks = demo_quickbooks()
    result = run_simulator(live_server, tenant["qbwcUsername"], token, quickbooks)
    assert result.ok, result
    page.goto(live_server.base_url + f"/console/tenants/{tenant['id']}")
    assert token not in page.content()
    # The simulator's session connected and QuickBooks let it in: steps 1, 3 and 4 turned done.
    expect(checklist.nth(0).locator(".status")).to_have_text("done")
    expect(checklist.nth(2).locator(".status")).to_have_text("done")
    expect(checklist.nth(3).locator(".status")).to_have_text("done")
    screenshot(page, "tenant-connected")
    row = _find_in_tenants(page, tenant["name"])
    expect(row.locator("td.progress")).to_have_text(re.compile(r"^4 of 5\s*next: Confirm$"))
    row.get_by_role("link", name=tenant["name"]).click()
    page.get_by_role("button", name="Test access").click()
    expect(page.get_by_role("status").first).to_contain_text("Access test queued")
    assert run_simulator(live_server, tenant["qbwcUsername"], token, quickbooks).ok
    page.goto(live_server.base_url + f"/console/tenants/{tenant['id']}")
    expect(checklist.nth(4).locator(".status")).to_have_text("done")
    facts = page.locator("dl.facts").first
    expect(facts).to_contain_text("just now")
    expect(facts).not_to_contain_text("never")
    expect(facts).to_contain_text("QuickBooks")
    page.get_by_role("link", name="Sync log").click()
    expect(page.get_by_role("row").filter(has_text="Raw qbXML")).to_contain_text("succeeded")
    assert job_status(live_server, job_id) == "succeeded"
    check_axe(page)
    row = _find_in_tenants(page, tenant["name"])
    expect(row.locator("td.progress")).to_have_text(re.compile(r"^5 of 5\s*ready$"))
    expect(row).to_contain_text("2.3.0")  # the Web Connector's version
    check_axe(page)
    screenshot(page, "tenants")


def _find_in_tenants(page: Page, name: str) -> Locator:
    """The Tenants list searched for ``name``, and its row there."""
    page.get_by_role("link", name="Tenants", exact=True).click()
    page.get_by_label("Search by name").fill(name.lower()[:14])
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/console/tenants\?q="))
    return page.get_by_role("row").filter(has_text=name)


def test_a_setting_refused_inline_then_saved_with_what_changed(live_server: LiveServer, page: Page, page_watch: PageWatch) -> None:
    tenant = new_tenant(live_server)
    sign_in(page, live_server, live_server.admin_key)
    page.goto(live_server.base_url + f"/console/tenants/{tenant['id']}/settings")
    interval = page.get_by_label("Minutes between automatic retrievals")
    expect(interval).to_have_value("30")  # the spec's default
    check_axe(page)
    page_watch.expect_status(f"/console/tenants/{tenant['id']}/settings", 422)
    interval.fill("0")
    page.get_by_label("Synchronization Interval Start Time").fill("25:00")
    page.get_by_role("button", name="Save settings").click()
    field = page.locator(".field").filter(has=page.get_by_label("Minutes between automatic retrievals"))
    expect(field.locator(".field-error")).to_contain_text("greater than or equal to 1")
    start = page.locator(".field").filter(has=page.get_by_label("Synchronization Interval Start Time"))
    expect(start.locator(".field-error")).to_contain_text("HH:MM")
    expect(page.get_by_label("Minutes between automatic retrievals")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    check_axe(page)
    screenshot(page, "settings-error")
    stored = live_server.client.get(f"/api/v1/tenants/{tenant['id']}/settings").json()
    assert stored["retrievalIntervalMinutes"] == 30 and stored["syncWindow"]["start"] == "19:00"

    page.get_by_label("Minutes between automatic retrievals").fill("45")
    page.get_by_label("Synchronization Interval Start Time").fill("20:00")
    page.get_by_label("Sales Order creates Sales Order: automatic").first.check()
    page.get_by_role("button", name="Save settings").click()
    saved = page.get_by_role("status")
    expect(saved).to_contain_text("Minutes between automatic retrievals: 30 → 45")
    expect(saved).to_contain_text("Synchronization Interval Start Time: 19:00 → 20:00")
    expect(saved).to_contain_text("Sales Order creates Sales Order: automatic: False → True")
    stored = live_server.client.get(f"/api/v1/tenants/{tenant['id']}/settings").json()
    assert stored["retrievalIntervalMinutes"] == 45
    assert stored["syncWindow"]["start"] == "20:00"
    assert stored["sends"]["salesOrder"]["automatic"] is True
    check_axe(page)


def test_a_failed_job_read_retried_and_succeeded(live_server: LiveServer, page: Page) -> None:
    tenant = new_tenant(live_server)
    token = live_server.client.post(f"/api/v1/tenants/{tenant['id']}/token").json()["token"]
    customer = f"Console Customer {tenant['id'][:6]}"
    job_id = queue_qbxml(live_server, tenant["id"], MISSING_CUSTOMER_ORDER.format(customer=customer))
    qb = demo_quickbooks()
    run_simulator(live_server, tenant["qbwcUsername"], token, qb)
    assert job_status(live_server, job_id) == "failed"

    sign_in(page, live_server, live_server.admin_key)
    page.goto(live_server.base_url + f"/console/tenants/{tenant['id']}")
    page.get_by_role("link", name="Sync log").click()
    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("row")).to_have_count(2)
    check_axe(page)
    screenshot(page, "sync-log")
    page.get_by_role("link", name=job_id[:8]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Job {job_id}")
    explanation = page.locator("dd.explanation").first
    expect(explanation).not_to_be_empty()
    page.get_by_text("Request qbXML").click()
    request = page.get_by_label("request qbXML of step 1")
    expect(request).to_be_visible()
    expect(request).to_contain_text("<SalesOrderAddRq")
    expect(request).to_contain_text(f"<FullName>{customer}</FullName>")
    # Pretty-printed: one element a line, indented.
    assert "\n      <CustomerRef>" in request.inner_text() or "\n        <CustomerRef>" in request.inner_text()
    page.get_by_text("Response qbXML").click()
    expect(page.get_by_label("response qbXML of step 1")).to_contain_text("statusSeverity=\"Error\"")
    check_axe(page)
    screenshot(page, "job-failed")

    # The bookkeeper adds the customer in QuickBooks; the retry then goes through.
    qb.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
        f"<CustomerAddRq><CustomerAdd><Name>{customer}</Name></CustomerAdd></CustomerAddRq>"
        "</QBXMLMsgsRq></QBXML>"
    )
    page.get_by_role("button", name="Retry").click()
    expect(page.get_by_role("status")).to_have_text("Job retried.")
    expect(page.locator(".facts .status").first).to_have_text("queued")
    result = run_simulator(live_server, tenant["qbwcUsername"], token, qb)
    assert result.ok, result
    page.reload()
    expect(page.locator(".facts .status").first).to_have_text("succeeded")
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
    assert job_status(live_server, job_id) == "succeeded"
    check_axe(page)


def test_retry_all_failed_asks_first(live_server: LiveServer, page: Page) -> None:
    tenant = new_tenant(live_server)
    token = live_server.client.post(f"/api/v1/tenants/{tenant['id']}/token").json()["token"]
    jobs = [
        queue_qbxml(live_server, tenant["id"], MISSING_CUSTOMER_ORDER.format(customer=f"Nobody {n}"))
        for n in range(2)
    ]
    qb = demo_quickbooks()
    run_simulator(live_server, tenant["qbwcUsername"], token, qb)
    # The first failure stops nothing else: both fail on their own.
    deadline = time.monotonic() + 10
    while any(job_status(live_server, j) != "failed" for j in jobs) and time.monotonic() < deadline:
        run_simulator(live_server, tenant["qbwcUsername"], token, qb)
    assert all(job_status(live_server, j) == "failed" for j in jobs)
    sign_in(page, live_server, live_server.admin_key)
    page.goto(live_server.base_url + f"/console/tenants/{tenant['id']}/jobs")
    page.get_by_role("link", name="Retry all failed jobs…").click()
    expect(page.get_by_text("2 failed jobs will be queued again")).to_be_visible()
    assert all(job_status(live_server, j) == "failed" for j in jobs)  # asking changed nothing
    check_axe(page)
    page.get_by_role("button", name="Yes, retry 2 jobs").click()
    expect(page.get_by_role("status")).to_have_text("Retried 2 jobs.")
    assert all(job_status(live_server, j) == "queued" for j in jobs)


def test_forms_without_the_session_token_are_refused(live_server: LiveServer, page: Page) -> None:
    tenant = new_tenant(live_server)
    sign_in(page, live_server, live_server.admin_key)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    # Another site's form would carry the cookie but not the token (SameSite=Strict stops it too).
    response = httpx.post(
        live_server.base_url + f"/console/tenants/{tenant['id']}/token",
        cookies=cookies,
        data={"csrf": "forged"},
    )
    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert live_server.client.get(f"/api/v1/tenants/{tenant['id']}").json()["hasToken"] is False
