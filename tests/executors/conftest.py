"""The Ray cluster, once per test session, for tests marked `ray` (skip them locally with
`-m "not ray"`; CI runs them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.ray_cluster import start_cluster


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Any]:
    cluster = start_cluster()
    yield cluster
    cluster.shutdown()
