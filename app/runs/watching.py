"""What every live stream of runs shares: one flag the hub sets whenever any of the stream's
runs changes, subscribed on entry and given back on exit whatever happens to the connection.
A run's own stream (app/runs/stream.py) watches one run, the runs list (app/web/live.py) a
page of them; each says only what to send."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from types import TracebackType
from typing import Self

from app.runs.events import EventHub, Watch


class Watching:
    """Watches of `run_ids` from `hub` (runs already gone have none), as an async context."""

    def __init__(self, hub: EventHub, run_ids: Iterable[int]) -> None:
        self.hub = hub
        self.run_ids = list(dict.fromkeys(run_ids))
        self.flag = asyncio.Event()  # set by the hub on every change of a watched run
        self.watches: dict[int, Watch] = {}

    async def __aenter__(self) -> Self:
        for run_id in self.run_ids:
            watch = await self.hub.subscribe(run_id, self.flag)
            if watch is not None:
                self.watches[run_id] = watch
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for run_id in self.watches:
            self.hub.unsubscribe(run_id, self.flag)

    async def wait(self) -> None:
        await self.flag.wait()
