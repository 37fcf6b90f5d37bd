"""How many live event streams are open, so that streams have a bound like every other cost:
MAX_STREAMS in all, and MAX_STREAMS_PER_USER for each user in accounts mode. A stream past
either limit is refused before it starts (429 with Retry-After), naming the setting.

The room is checked by a dependency (so the refusal is a normal answer, before any event
is sent) and a stream counts while its generator runs; two streams opening at the same
moment may both pass the check, so a limit can be passed by a few, never by many.

Open streams also end when the server shuts down (`close`, `close_on_exit`): uvicorn waits
for every response to finish before it stops, and a stream of a queued run has nothing to
finish with, so one open tab held Ctrl-C (or a container's SIGTERM) until it was closed and
its next keep-alive noticed, or for ever.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from types import FrameType

from app.errors import TooManyTries

RETRY_AFTER_S = 5
EXIT_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Streams:
    def __init__(self, most: int, most_per_user: int | None) -> None:
        self.most, self.most_per_user = most, most_per_user
        self.open = 0
        self.by_user: Counter[int | None] = Counter()
        self.closing = False
        self._idle: set[asyncio.Timeout] = set()  # the timers of the streams waiting now

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

    @asynccontextmanager
    async def idle(self, seconds: float) -> AsyncIterator[None]:
        """A stream's wait for news, cut short by TimeoutError after `seconds` (time for a
        keep-alive) or at once when the server shuts down."""
        if self.closing:
            raise TimeoutError
        async with asyncio.timeout(seconds) as timer:
            self._idle.add(timer)
            try:
                yield
            finally:
                self._idle.discard(timer)

    def close(self) -> None:
        """The server is stopping: every stream ends now (each waiting one wakes and sees
        `closing`). In the event loop."""
        self.closing = True
        for timer in list(self._idle):
            timer.reschedule(0)  # a time already past: its TimeoutError comes at once


def close_on_exit(streams: Streams) -> Callable[[], None]:
    """Close `streams` when the process is asked to stop (SIGINT, SIGTERM), then let the
    handlers already there (uvicorn's: it goes on shutting down as before) do their part.
    Only from the main thread, where signals arrive (TestClient's app runs elsewhere: nothing
    to do there). Returns what puts the handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    before = {sig: signal.getsignal(sig) for sig in EXIT_SIGNALS}
    chained: dict[int, Callable[[int, FrameType | None], object]] = {
        sig: handler for sig, handler in before.items() if callable(handler)
    }

    def handler(sig: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(streams.close)
        chained[sig](sig, frame)

    for sig in chained:
        signal.signal(sig, handler)

    def undo() -> None:
        for sig, previous in chained.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, previous)

    return undo
