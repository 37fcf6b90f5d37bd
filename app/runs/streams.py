"""How many live event streams are open, so that streams have a bound like every other cost:
MAX_STREAMS in all, and MAX_STREAMS_PER_USER for each user in accounts mode. A stream past
either limit is refused before it starts (429 with Retry-After), naming the setting.

The room is checked by a dependency (so the refusal is a normal answer, before any event
is sent) and a stream counts while its generator runs; two streams opening at the same
moment may both pass the check, so a limit can be passed by a few, never by many.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from app.errors import TooManyTries

RETRY_AFTER_S = 5


class Streams:
    def __init__(self, most: int, most_per_user: int | None) -> None:
        self.most, self.most_per_user = most, most_per_user
        self.open = 0
        self.by_user: Counter[int | None] = Counter()

    def check_room(self, user_id: int | None) -> None:
        if self.open >= self.most:
            raise TooManyTries(
                f"The server has {self.open} live streams open, its limit (MAX_STREAMS="
                f"{self.most}); try again in a moment.",
                RETRY_AFTER_S,
            )
        if self.most_per_user is not None and self.by_user[user_id] >= self.most_per_user:
            raise TooManyTries(
                f"You have {self.by_user[user_id]} live streams open, your limit "
                f"(MAX_STREAMS_PER_USER={self.most_per_user}); close some tabs.",
                RETRY_AFTER_S,
            )

    @contextmanager
    def holding(self, user_id: int | None) -> Iterator[None]:
        self.open += 1
        self.by_user[user_id] += 1
        try:
            yield
        finally:
            self.open -= 1
            self.by_user[user_id] -= 1
            if self.by_user[user_id] <= 0:
                del self.by_user[user_id]
