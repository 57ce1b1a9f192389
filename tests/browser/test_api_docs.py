"""/docs (Swagger UI) and /redoc render in Chromium with no request leaving this machine."""

from __future__ import annotations

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
    # Swagger UI's own markup nests buttons in its operation headers (axe: nested-interactive), which
    # no page of ours can change; ReDoc, the same contract for reading, passes.
    page.goto(live_server.base_url + "/redoc")
    expect(page.locator("h1")).to_contain_text("qbbridge admin API")
    check_axe(page)
