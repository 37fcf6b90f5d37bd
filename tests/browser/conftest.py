"""Browser tests: Playwright driving Debian's Chromium against the live test server.

Never `playwright install`: the browser is the system's (`make test` installs it as root).
Without Chromium the tests skip with a note, except in CI (CI=true), where that is a failure.
Screenshots go to test-artifacts/ for people to look at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage

from tests.helpers.browser import launch_args, need_chromium
from tests.helpers.paths import REPO

ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(autouse=True)
def _needs_chromium() -> None:
    need_chromium()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return launch_args(browser_type_launch_args)


@pytest.fixture(autouse=True)
def _no_csp_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """Any browser test fails on a Content-Security-Policy violation on its page, whatever
    the page was doing (dragging, charting, swapping), not only on a first load."""
    if "page" not in request.fixturenames:
        yield
        return
    violations: list[str] = []
    page = request.getfixturevalue("page")

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:  # Chromium's words for any violation
            violations.append(message.text)

    page.on("console", on_console)
    yield
    assert violations == [], "the page broke its Content-Security-Policy"


@pytest.fixture(scope="session")
def base_url(trainer) -> str:
    return trainer.url


@pytest.fixture
def shot(page) -> Callable[[str], Path]:
    """Save a full-page screenshot as a test artifact."""

    def take(name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        # A full-page shot of a scrolled page draws the sticky header mid-page.
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
