"""Where the tests find the project and the real data beside it (../shared)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SHARED_DATA = SHARED / "data"

# What a missing folder under ../shared costs, by its first path part.
NEEDED_BY = {
    "data": "tests that read the real MNIST/Fashion-MNIST data need ../shared/data "
    "(see its README)",
    "seed": "tests that import the tutorial's code blocks need ../shared/seed",
}


def shared_file(relative: str) -> Path:
    """The file at ../shared/<relative>, or, when it is missing, a skip that says so.

    In CI (CI=true) a missing file fails the test instead: there the data must be present,
    and a suite that passes by skipping would prove nothing.
    """
    path = SHARED / relative
    if not path.is_file():
        reason = f"{path} is missing: {NEEDED_BY.get(relative.split('/')[0], 'see ../shared')}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path
