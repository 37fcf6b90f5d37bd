"""The cross-site tests drive the system's Chromium, as tests/browser does; the other tests
here need no browser."""

from __future__ import annotations

import pytest

from tests.helpers.browser import launch_args, need_chromium


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return launch_args(browser_type_launch_args)


@pytest.fixture
def chromium() -> None:
    need_chromium()


@pytest.fixture(scope="session")
def base_url() -> None:
    """Pages here are opened by full URL (there are two origins), never relative to one."""
    return None
