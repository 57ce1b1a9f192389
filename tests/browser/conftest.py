"""Fixtures of the page tests: Playwright, a fresh Chromium per test, every page watched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Playwright, sync_playwright

from tests.browser.harness import PageWatch, browser_context, chromium_missing, watch


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    missing = chromium_missing()
    if missing:
        pytest.fail(missing)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def page_and_watch(playwright: Playwright, tmp_path: Path) -> Iterator[tuple[Page, PageWatch]]:
    with browser_context(playwright, tmp_path / "profile") as context:
        page = context.new_page()
        found = watch(page)
        yield page, found
    found.assert_clean()


@pytest.fixture
def page(page_and_watch: tuple[Page, PageWatch]) -> Page:
    return page_and_watch[0]


@pytest.fixture
def page_watch(page_and_watch: tuple[Page, PageWatch]) -> PageWatch:
    return page_and_watch[1]
