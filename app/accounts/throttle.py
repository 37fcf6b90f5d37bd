"""Sign-in throttling: after too many wrong passwords for one account, or from one address,
within a window, further tries answer 429 with Retry-After until the window has passed.

Kept in this process's memory: a restart forgets it (an attacker gains one window), and
several web processes each count their own share (issue 14 moves it to the database).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

WINDOW_S = 15 * 60
MAX_PER_ACCOUNT = 5  # wrong passwords for one email per window
MAX_PER_ADDRESS = 20  # wrong passwords from one client address per window


class Throttle:
    def __init__(self, window_s: float = WINDOW_S) -> None:
        self.window_s = window_s
        self.failures: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self.failures.setdefault(key, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def retry_after(self, email: str, address: str) -> int | None:
        """Seconds to wait before trying again, or None if a try is allowed now."""
        now = time.monotonic()
        waits = []
        with self.lock:
            for key, limit in (
                (f"email:{email}", MAX_PER_ACCOUNT),
                (f"addr:{address}", MAX_PER_ADDRESS),
            ):
                times = self._recent(key, now)
                if len(times) >= limit:
                    waits.append(times[len(times) - limit] + self.window_s - now)
        return max(1, math.ceil(max(waits))) if waits else None

    def failed(self, email: str, address: str) -> None:
        now = time.monotonic()
        with self.lock:
            for key in (f"email:{email}", f"addr:{address}"):
                self._recent(key, now).append(now)

    def succeeded(self, email: str) -> None:
        with self.lock:
            self.failures.pop(f"email:{email}", None)
