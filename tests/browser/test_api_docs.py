"""/docs (Swagger UI) and /redoc render in Chromium with no request leaving this machine."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.harness import check_axe
from tests.support.servers import LiveServer


def test_swagger_ui_renders_every_operation_offline(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.base_url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("qbbridge admin API")
    # Operations are rendered from /openapi.json: one of each tag at least.
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/tenants/{tenant_id}/token")).to_have_count(1)
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/jobs/{job_id}/retry")).to_have_count(1)
    # Opening an operation shows its documented answers.
    page.locator(".opblock-summary-path", has_text="/api/v1/jobs/{job_id}/retry").click()
    expect(page.locator(".responses-table").first).to_contain_text("409")


def test_redoc_renders_offline(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.base_url + "/redoc")
    expect(page.locator("h1")).to_contain_text("qbbridge admin API")
    expect(page.get_by_role("menuitem").filter(has_text="Retry Job").first).to_be_attached()


def test_docs_assets_are_served_by_the_service(live_server: LiveServer, page: Page) -> None:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    page.goto(live_server.base_url + "/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    assert seen, "the page made no request"
    assert all(url.startswith(live_server.base_url) or url.startswith("data:") for url in seen), seen
    assert any(url.endswith("/static/vendor/swagger-ui/swagger-ui-bundle.js") for url in seen)


def test_redoc_passes_axe(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.base_url + "/redoc")
    expect(page.locator("h1")).to_contain_text("qbbridge admin API")
    check_axe(page)


def test_swagger_ui_passes_axe_as_it_is_used(live_server: LiveServer, page: Page) -> None:
    """Our page around Swagger UI (console/docs_pages.py and static/swagger-ui-page.*): a language,
    no links nested in the operations' buttons, readable colours, scrolling boxes reachable by keyboard
    and its dialog's buttons named; checked on each state a reader goes through."""
    page.goto(live_server.base_url + "/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_title("qbbridge admin API - Swagger UI")
    expect(page.locator(".opblock-summary-control a[href]")).to_have_count(0)
    check_axe(page)

    retry = page.locator(".opblock", has=page.locator(".opblock-summary-path", has_text="/api/v1/jobs/{job_id}/retry"))
    retry.locator(".opblock-summary-control").click()
    expect(retry.locator(".responses-table").first).to_contain_text("409")
    expect(retry.locator("pre.microlight").first).to_have_attribute("tabindex", "0")
    check_axe(page)

    # The Authorize dialog, before and after a key is given.
    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".modal-ux")
    expect(dialog.locator("button.close-modal")).to_have_accessible_name("Close this dialog")
    check_axe(page)
    dialog.get_by_label("auth-bearer-value").fill(live_server.admin_key)
    dialog.get_by_role("button", name="Authorize").click()
    expect(dialog.get_by_role("button", name=re.compile("^Logout"))).to_be_visible()
    check_axe(page)
    dialog.get_by_role("button", name="Close this dialog").click()

    # Trying an operation: its request, the answer and the code samples.
    version = page.locator(".opblock", has=page.locator(".opblock-summary-path", has_text="/api/v1/version"))
    version.locator(".opblock-summary-control").click()
    version.get_by_role("button", name="Try it out").click()
    check_axe(page)
    version.get_by_role("button", name="Execute").click()
    expect(version.locator(".live-responses-table tbody .response-col_status").first).to_have_text("200")
    check_axe(page)
    version.get_by_role("tab", name="Schema").first.click()
    check_axe(page)
