"""Fixtures shared by every test folder: the browser for the Playwright tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Headless, no sandbox (CI runs as root in a container), nothing fetched in the background.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent / "docs" / "screens"


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Every test starts with an empty cache: the database is rolled back between tests and
    its ids reused, so a cached figure (web/dashboard/figures.py) could outlive its data."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; never a downloaded browser.

    Skipped where Chromium is not installed, except when PANELCARE_REQUIRE_BROWSER is set
    (CI sets it), where a missing browser is a failure.
    """
    if not CHROMIUM.exists():
        if os.environ.get("PANELCARE_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
    # under a running loop unless told that this (test-only) use is safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()


def watch_csp_refusals(page: Any) -> list[str]:
    """The list, filled as the page runs, of what the Content-Security-Policy refused.

    Chromium reports a refusal on its own log, which Playwright does not relay; the page's
    ``securitypolicyviolation`` event does reach it, through the console."""
    page.add_init_script(
        """document.addEventListener("securitypolicyviolation", (event) => {
            console.error(`CSP refused ${event.effectiveDirective}: ${event.blockedURI}`);
        });"""
    )
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if message.text.startswith("CSP refused") else None
        ),
    )
    return refused


@pytest.fixture
def csp_refusals() -> Any:
    """:func:`watch_csp_refusals`, for a test that opens pages of its own."""
    return watch_csp_refusals


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A browser tab; the test fails if the Content-Security-Policy refused anything."""
    context = browser.new_context(locale="fr-CA", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused = watch_csp_refusals(page)
    yield page
    context.close()
    assert not refused, f"the Content-Security-Policy refused: {refused}"


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(autouse=True, scope="session")
def _panelcare_test_tasks() -> None:
    """Background tasks run at once, inside the request that enqueues them."""
    from django.conf import settings

    if not settings.configured:
        return
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # django-tasks caches its backends (a module defining a task may already have been
    # imported by the collection); the signal it listens to makes it read TASKS again.
    from django.core.signals import setting_changed

    setting_changed.send(sender=type(settings), setting="TASKS", value=settings.TASKS, enter=True)


@pytest.fixture(autouse=True)
def _panelcare_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test writes imported tables, plans and letters in a folder of its own: the
    database is rolled back after a test, and files named after primary keys must go too."""
    from django.conf import settings

    if not settings.configured:
        yield
        return
    before = getattr(settings, "PANELCARE_DATA_DIR", None)
    settings.PANELCARE_DATA_DIR = tmp_path_factory.mktemp("panelcare-data")
    yield
    settings.PANELCARE_DATA_DIR = before
