"""The system's Chromium for Playwright (never a downloaded build), shared by every browser
test: tests/browser and the cross-site tests in tests/security."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# As root, in a container, with no network but loopback: no sandbox, nothing phoning home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]  # fmt: skip


def need_chromium() -> None:
    """Skip without Chromium, with a note; in CI (CI=true) that is a failure."""
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "Chromium is missing in CI: `make test` installs it (apt-get install chromium)"
            )
        pytest.skip("Chromium is not installed (apt-get install chromium); browser tests skipped")


def launch_args(args: dict) -> dict:
    """pytest-playwright's launch arguments, on the system's Chromium."""
    return {**args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
