"""More of the console in Chromium: imports and acknowledging them, a large qbXML document paged, the
support page reached through a tenant's own .qwc link, keyboard-only use, reading with JavaScript off."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from lxml import etree
from playwright.sync_api import Error, Page, Playwright, Route, expect

from db import imports as import_repo
from db.engine import Database
from db.models import Job, Step, utcnow
from tests.browser.console_flows import (
    demo_quickbooks,
    new_tenant,
    queue_qbxml,
    run_simulator,
    sign_in,
)
from tests.browser.harness import PageWatch, browser_context, check_axe, screenshot, watch
from tests.support.servers import LiveServer


def test_imports_show_why_skipped_and_can_be_acknowledged(live_server: LiveServer, page: Page) -> None:
    tenant = new_tenant(live_server)
    database = Database(live_server.database_url)
    rows = [
        {"tenant_id": tenant["id"], "entity": "salesOrder", "status": "pending", "source_type": "SalesOrder",
         "source_id": "TXN-1", "ref_number": "1001", "code": "1001", "data": {"code": "1001"},
         "notes": ["Sales tax of 7.50 is not a row."], "reason": None},
        {"tenant_id": tenant["id"], "entity": "salesOrder", "status": "skipped", "source_type": "Invoice",
         "source_id": "TXN-2", "ref_number": "77", "code": None, "data": {},
         "notes": [], "reason": "Created by qbbridge: it came from Fusion Operations."},
    ]
    try:
        with database.transaction() as session:
            import_repo.store_many(session, rows, now=utcnow())
    finally:
        database.dispose()
    sign_in(page, live_server, live_server.admin_key)
    page.goto(live_server.base_url + f"/console/tenants/{tenant['id']}/imports")
    skipped = page.get_by_role("row").filter(has_text="Invoice 77")
    expect(skipped).to_contain_text("skipped")
    expect(skipped).to_contain_text("Created by qbbridge: it came from Fusion Operations.")
    pending = page.get_by_role("row").filter(has_text="SalesOrder 1001")
    expect(pending).to_contain_text("Sales tax of 7.50 is not a row.")
    check_axe(page)
    screenshot(page, "imports")
    pending.get_by_role("checkbox").check()
    page.get_by_role("button", name="Acknowledge the checked ones").click()
    expect(page.get_by_role("status")).to_have_text("Acknowledged 1.")
    expect(page.get_by_role("row").filter(has_text="SalesOrder 1001")).to_contain_text("acknowledged")
    listed = live_server.client.get(f"/api/v1/tenants/{tenant['id']}/imports", params={"status": "acknowledged"})
    assert [item["data"]["code"] for item in listed.json()["items"]] == ["1001"]


def test_a_large_qbxml_document_is_shown_a_page_at_a_time(live_server: LiveServer, page: Page) -> None:
    tenant = new_tenant(live_server)
    job_id = queue_qbxml(live_server, tenant["id"], "<CustomerQueryRq><MaxReturned>1</MaxReturned></CustomerQueryRq>")
    # A retrieval-sized answer: 3,000 customers, one element a line once indented.
    customers = "".join(f"<CustomerRet><ListID>L{n}</ListID><Name>Customer {n}</Name></CustomerRet>" for n in range(3000))
    response = (
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0" statusSeverity="Info" '
        f'statusMessage="Status OK">{customers}</CustomerQueryRs></QBXMLMsgsRs></QBXML>'
    )
    database = Database(live_server.database_url)
    try:
        with database.transaction() as session:
            job = session.query(Job).filter(Job.public_id == job_id).one()
            step = session.query(Step).filter(Step.job_id == job.id).one()
            step.response = response
    finally:
        database.dispose()
    sign_in(page, live_server, live_server.admin_key)
    page.goto(live_server.base_url + f"/console/jobs/{job_id}")
    summary = page.get_by_text(re.compile(r"Response qbXML \(\d+ lines, page 1 of \d+\)"))
    expect(summary).to_be_visible()
    pages = int(re.search(r"of (\d+)", summary.inner_text()).group(1))  # type: ignore[union-attr]
    assert pages >= 20  # 3,000 customers × 4 lines at 400 lines a page
    summary.click()
    shown = page.get_by_label("response qbXML of step 1")
    expect(shown).to_contain_text("<Name>Customer 0</Name>")
    expect(shown).not_to_contain_text("<Name>Customer 2999</Name>")
    page.get_by_role("link", name="Next page").click()
    expect(page.get_by_text(re.compile(r"Response qbXML \(\d+ lines, page 2 of"))).to_be_visible()
    expect(page.get_by_label("response qbXML of step 1")).to_be_visible()  # the paged one stays open
    expect(page.get_by_label("response qbXML of step 1")).not_to_contain_text("<Name>Customer 0</Name>")
    page.goto(live_server.base_url + f"/console/jobs/{job_id}?step=0&part=response&page={pages}")
    expect(page.get_by_label("response qbXML of step 1")).to_contain_text("<Name>Customer 2999</Name>")
    assert len(page.content()) < len(response)  # never the whole document at once
    check_axe(page)


def test_the_support_page_through_a_tenants_own_link(live_server: LiveServer, page: Page) -> None:
    tenant = new_tenant(live_server, "Support Link Co")
    other = new_tenant(live_server, "Someone Else Ltd")
    qwc = live_server.client.get(f"/api/v1/tenants/{tenant['id']}/qwc").text
    link = etree.fromstring(qwc.encode()).findtext("AppSupport") or ""
    assert link.startswith("http://localhost:") and "/support?file=" in link
    own_link = live_server.base_url + link[link.index("/support"):]

    page.goto(own_link)  # no sign-in
    status = page.get_by_role("region", name=re.compile("Your connection"))
    expect(status).to_contain_text("Support Link Co")
    expect(status).to_contain_text("No Web Connector password has been generated yet")
    expect(status).to_contain_text("has not reached qbbridge yet")
    expect(page.get_by_role("row").filter(has_text="QBWC1039")).to_contain_text("Download the .qwc file again")
    expect(page.get_by_role("row").filter(has_text="QBWC1048")).to_be_visible()
    expect(page.get_by_text("Yes, always; allow access even if QuickBooks is not running")).to_be_visible()
    expect(page.get_by_role("heading", name="Reaching support")).to_be_visible()
    content = page.content()
    assert tenant["qbwcUsername"] not in content and other["name"] not in content
    check_axe(page)
    screenshot(page, "support")

    token = live_server.client.post(f"/api/v1/tenants/{tenant['id']}/token").json()["token"]
    # A session with nothing to exchange (its status line says "nothing more to send").
    run_simulator(live_server, tenant["qbwcUsername"], token, demo_quickbooks())
    page.reload()
    expect(status).to_contain_text("The Web Connector last reached qbbridge just now")
    expect(status).to_contain_text("Nothing is waiting for anyone.")
    assert token not in page.content()

    # Another tenant's status cannot be found by trying: an unknown link says only that.
    for probe in ("6DB6FA3C-BD43-4B0D-B18D-294CE1A59DB6", "x", tenant["id"], tenant["qbwcUsername"]):
        page.goto(live_server.base_url + "/support?file=" + probe)
        expect(page.get_by_text("This help link does not match a connection")).to_be_visible()
        assert "Support Link Co" not in page.content()


def test_the_last_click_wins_while_a_page_is_still_loading(live_server: LiveServer, page: Page) -> None:
    """As in a browser without scripts, a click while a page is still loading replaces that load: the
    slower page's answer, if it comes, does not replace the one asked for after it."""
    tenant = new_tenant(live_server, "Last Click Works")
    sign_in(page, live_server, live_server.admin_key)
    page.goto(live_server.base_url + "/console/tenants?q=last+click+works")
    held: list[Route] = []
    page.route(re.compile(rf"/console/tenants/{tenant['id']}$"), lambda route: held.append(route))
    page.get_by_role("link", name="Last Click Works").click()
    for _ in range(500):  # the tenant page's request is on its way, held here (10 s at most)
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "the tenant page was never requested after its link was clicked"
    page.get_by_role("link", name="Help").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Help")
    with contextlib.suppress(Error):  # (a request the page abandoned has nothing left to answer)
        held[0].continue_()  # the tenant page answers late
    page.wait_for_timeout(500)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Help")
    expect(page).to_have_url(re.compile(r"/support$"))


def _settled(page: Page) -> None:
    """Wait until htmx has finished its request, swap and settle: after a boosted page swaps in, htmx
    gives the focus back to the element it had before, a few milliseconds later. A person cannot type
    that fast, a test can: keys pressed before then would go to the element htmx focuses next."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def _tab_to(page: Page, name: str, *, limit: int = 80) -> None:
    """Press Tab until the element named ``name`` has the focus (a keyboard user's way there)."""
    _settled(page)
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; if (!e) return '';"
            " const label = e.labels && e.labels.length ? e.labels[0].innerText : '';"
            " return (label || e.getAttribute('aria-label') || e.innerText || e.value || '').trim(); }"
        )
        if focused == name:
            return
    raise AssertionError(f"{name!r} cannot be reached with Tab")


def test_the_main_paths_by_keyboard_only(live_server: LiveServer, page: Page) -> None:
    tenant = new_tenant(live_server, "Keyboard Works")
    token = live_server.client.post(f"/api/v1/tenants/{tenant['id']}/token").json()["token"]
    job_id = queue_qbxml(
        live_server,
        tenant["id"],
        "<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Nobody Keyboard</FullName></CustomerRef>"
        "<SalesOrderLineAdd><ItemRef><FullName>WIDGET-1</FullName></ItemRef><Quantity>1</Quantity>"
        "</SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>",
    )
    run_simulator(live_server, tenant["qbwcUsername"], token, demo_quickbooks())

    page.goto(live_server.base_url + "/console/sign-in")
    # The key field has the focus on arrival (autofocus). Chromium gives it at a rendering update that
    # may come after the load event on a busy machine; keys typed before then would be lost, so wait.
    expect(page.get_by_label("API key")).to_be_focused()
    page.keyboard.type(live_server.admin_key)
    expect(page.get_by_label("API key")).to_have_value(live_server.admin_key)  # every key reached it
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server.base_url + "/console/tenants")
    _settled(page)
    # The skip link comes first and moves the focus to the content.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    _tab_to(page, "Search")
    page.keyboard.press("Shift+Tab")
    page.keyboard.type("keyboard works")
    page.keyboard.press("Enter")
    expect(page.get_by_role("row")).to_have_count(2)
    _tab_to(page, "Keyboard Works")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Keyboard Works")

    _tab_to(page, "Settings")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Settings")
    _tab_to(page, "Receiving creates Bill: automatic")
    page.keyboard.press("Space")
    _tab_to(page, "Save settings")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Receiving creates Bill: automatic: False → True")

    _tab_to(page, "Sync log")
    page.keyboard.press("Enter")
    _tab_to(page, job_id[:8])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Job {job_id}")
    _tab_to(page, "Request qbXML (19 lines)")
    page.keyboard.press("Enter")
    expect(page.get_by_label("request qbXML of step 1")).to_be_visible()
    _tab_to(page, "Retry")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Job retried.")


def test_pages_read_with_javascript_off(live_server: LiveServer, playwright: Playwright, tmp_path: Path) -> None:
    new_tenant(live_server, "No Script Inc")
    with browser_context(playwright, tmp_path / "profile", javascript=False) as context:
        page = context.new_page()
        found: PageWatch = watch(page)
        sign_in(page, live_server, live_server.admin_key)
        page.get_by_role("link", name="No Script Inc").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("No Script Inc")
        for name in ("Settings", "Sync log", "Imports"):
            page.get_by_role("link", name=name).click()
            expect(page.get_by_role("heading", level=1)).to_contain_text(name if name != "Sync log" else "Sync log")
        # Forms post normally: a new token without any script.
        page.get_by_role("link", name="No Script Inc").click()
        page.get_by_role("button", name="Generate a new token").click()
        expect(page.get_by_label("The new Web Connector password")).not_to_be_empty()
        # The copy button needs a script, so it is not offered.
        expect(page.get_by_role("button", name="Copy")).to_be_hidden()
        found.assert_clean()


def test_disable_enable_and_disconnect(live_server: LiveServer, page: Page, page_watch: PageWatch) -> None:
    tenant = new_tenant(live_server, "Pausing Co")
    live_server.client.post(f"/api/v1/tenants/{tenant['id']}/token")
    sign_in(page, live_server, live_server.admin_key)
    page.goto(live_server.base_url + f"/console/tenants/{tenant['id']}")
    page.get_by_role("button", name="Disable").click()
    expect(page.get_by_role("status")).to_contain_text("Disabled")
    expect(page.get_by_role("heading", level=1)).to_contain_text("disabled")
    assert live_server.client.get(f"/api/v1/tenants/{tenant['id']}").json()["disabled"] is True
    page_watch.expect_status(f"/console/tenants/{tenant['id']}/test-access", 409)
    page.get_by_role("button", name="Test access").click()
    expect(page.get_by_role("alert")).to_contain_text("disabled")
    check_axe(page)
    page.get_by_role("button", name="Enable").click()
    expect(page.get_by_role("status")).to_have_text("Enabled.")
    assert live_server.client.get(f"/api/v1/tenants/{tenant['id']}").json()["disabled"] is False
    page.get_by_role("button", name="Disconnect").click()
    expect(page.get_by_role("status")).to_contain_text("Disconnected")
    assert live_server.client.get(f"/api/v1/tenants/{tenant['id']}").json()["hasToken"] is False
