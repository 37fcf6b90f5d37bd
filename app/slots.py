"""Work slots: at most N heavy requests (dataset imports, .npz exports) at once.

These routes run in the thread pool, never on the event loop, but the pool itself lets
any number wait; each import holds up to ~2x MAX_DATASET_BYTES of memory and a core. A
request that finds every slot taken waits a little (most imports take seconds), then gets
503 with Retry-After instead of piling up.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from app.errors import Unavailable

WAIT_S = 2.0
RETRY_AFTER_S = 5


class Slots:
    def __init__(self, size: int, setting: str, wait_s: float = WAIT_S) -> None:
        self.size, self.setting, self.wait_s = size, setting, wait_s
        self._free = threading.BoundedSemaphore(size)

    @contextmanager
    def hold(self, what: str) -> Iterator[None]:
        """One slot for the block; called from a worker thread (it may wait `wait_s`)."""
        if not self._free.acquire(timeout=self.wait_s):
            raise Unavailable(
                f"The server is running {self.size} dataset imports or exports already "
                f"({self.setting}={self.size}), so this {what} did not start; try again in "
                f"a few seconds.",
                {"Retry-After": str(RETRY_AFTER_S)},
            )
        try:
            yield
        finally:
            self._free.release()
