"""Running a coroutine from a test: asyncio.run in a thread of its own, because after the
browser tests Playwright's event loop runs on the test thread and asyncio.run refuses to
start another there ("cannot be called from a running event loop")."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T], timeout: float = 300) -> T:
    with ThreadPoolExecutor(1, thread_name_prefix="test-asyncio") as runner:
        return runner.submit(asyncio.run, coroutine).result(timeout=timeout)
