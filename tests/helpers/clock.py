"""A clock a test moves by hand, for code that takes `clock=` (the leases, the Leader)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from app.models import utcnow


class Clock:
    """Stands still until the test moves it on, and counts its readings: a Leader reads it
    once a try (lease.hold), so a count that grew by two means a whole try ran since."""

    def __init__(self) -> None:
        self.now, self.calls = utcnow(), 0

    def __call__(self) -> datetime:
        self.calls += 1  # before reading `now`: a reading counted after a move sees the move
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def another_try(self, timeout: float = 30) -> None:
        """Return once whoever reads this clock has made a whole try since now."""
        seen, deadline = self.calls, time.monotonic() + timeout
        while self.calls < seen + 2:
            assert time.monotonic() < deadline, "the clock was not read again"
            time.sleep(0.005)
