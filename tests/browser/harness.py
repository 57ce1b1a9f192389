"""Real headless Chromium for the page tests: Debian's ``chromium`` driven by Playwright for Python.

Every page a test opens is watched: an error in the browser's console, an uncaught exception, or a
request that failed (including any request to another host, which is aborted: the pages must work on
a machine without internet) fails the test. ``check_axe`` runs axe-core (vendored from its npm
package under ``vendor/axe-core``) in the page and fails on any serious or critical violation.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Playwright, Request, Route, expect

CHROMIUM = os.environ.get("QBBRIDGE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
# Where tests write screenshots of the main pages (docs/console.md shows them), when set.
SCREENSHOTS_VARIABLE = "QBBRIDGE_SCREENSHOTS"
# Two cores shared with the server under test (and ReDoc renders a whole contract): generous waits.
TIMEOUT_MS = 20_000
expect.set_options(timeout=TIMEOUT_MS)


def chromium_missing() -> str | None:
    if not Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is None:
        return f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test.sh does)"
    return None


@dataclass
class PageWatch:
    """What went wrong in the browser while a test ran."""

    problems: list[str] = field(default_factory=list)
    # Responses a test expects to be errors (a form refused with 422 shows its errors): path → status.
    expected_statuses: dict[str, int] = field(default_factory=dict)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            text = message.text
            # Chromium reports a document answered with an error status as a console error; a test that
            # expects that status for that page has said so.
            match = re.match(r"Failed to load resource: the server responded with a status of (\d+)", text)
            if match and int(match.group(1)) in self.expected_statuses.values():
                return
            # A page asked for while another still loads replaces that load (base.html: hx-sync), and
            # htmx logs the load it abandoned as two errors. A request that fails logs htmx:sendError,
            # htmx:timeout or htmx:responseError besides, which still count.
            if text.startswith(("htmx:sendAbort,", "htmx:afterRequest,")):
                return
            self.problems.append(f"console error: {text} ({message.location.get('url', '')})")

    def on_page_error(self, error: Any) -> None:
        self.problems.append(f"uncaught exception: {error}")

    def on_request_failed(self, request: Request) -> None:
        # A page left while its styles or scripts still load has them cancelled (net::ERR_ABORTED):
        # the test moved on, nothing failed. Every other failure counts.
        if request.failure == "net::ERR_ABORTED":
            return
        self.problems.append(f"request failed: {request.method} {request.url} ({request.failure})")

    def on_response(self, response: Any) -> None:
        path = urlsplit(response.url).path
        if response.status >= 400 and self.expected_statuses.get(path) != response.status:
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def expect_status(self, path: str, status: int) -> None:
        self.expected_statuses[path] = status

    def assert_clean(self) -> None:
        assert not self.problems, "the browser saw problems:\n" + "\n".join(self.problems)


def _only_this_machine(route: Route) -> None:
    host = urlsplit(route.request.url).hostname or ""
    if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
        route.continue_()
    else:
        route.abort("internetdisconnected")


@contextmanager
def browser_context(playwright: Playwright, profile_dir: Path, *, javascript: bool = True) -> Iterator[
    BrowserContext
]:
    """A fresh Chromium with its own profile (``--user-data-dir``), closed at the end."""
    context = playwright.chromium.launch_persistent_context(
        str(profile_dir),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        java_script_enabled=javascript,
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


def watch(page: Page) -> PageWatch:
    found = PageWatch()
    page.on("console", found.on_console)
    page.on("pageerror", found.on_page_error)
    page.on("requestfailed", found.on_request_failed)
    page.on("response", found.on_response)
    page.route("**/*", _only_this_machine)
    return found


def check_axe(page: Page) -> None:
    """axe-core's rules on the page as it is now: no serious or critical violation."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_SCRIPT.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v["impact"] in {"serious", "critical"}]
    described = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:5]]}" for v in bad
    ]
    assert not bad, f"axe-core found serious or critical violations on {page.url}:\n" + "\n".join(described)


def screenshot(page: Page, name: str) -> None:
    """Write ``name``.png to ``$QBBRIDGE_SCREENSHOTS`` (docs/console.md shows them), when it is set."""
    folder = os.environ.get(SCREENSHOTS_VARIABLE)
    if not folder:
        return
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), full_page=False)
