"""The runs list's live rows: one event stream for all the runs on a page that are still going.

One stream, not one per run: a browser opens at most six HTTP/1.1 connections to a server,
and a page of queued runs would use them all. Each run's row is sent, rendered by the server
as event `run-<id>`, when its status changes (the row is read again, so it is exact) and when
an epoch ends (the history comes from the hub, no query); `done` once every run has ended.
The hub reads the database once per change for every watcher, as for a run's own stream,
and sets this stream's one flag whichever of its runs changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Self

from app.models import FINISHED, RunPublic
from app.runs.events import EventHub
from app.runs.sse import encode
from app.runs.watching import Watching

ReadRow = Callable[[int], Awaitable[RunPublic | None]]  # None: the run is gone
RenderRow = Callable[[RunPublic], str]
DONE = encode("done", raw="Every run on this page has ended.")


class LiveRows(Watching):
    """Rows of the given runs as they change, then `done` (at once if none is going): an
    app/runs/sse.py Source."""

    def __init__(
        self, hub: EventHub, run_ids: Iterable[int], read: ReadRow, render: RenderRow
    ) -> None:
        super().__init__(hub, run_ids)
        self.read, self.render = read, render
        self.going: set[int] = set()
        self.shown: dict[int, tuple[str, int]] = {}  # what each run's last row showed
        self.rows: dict[int, RunPublic] = {}
        self.over = False

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.going = set(self.watches)
        return self

    async def next(self) -> bytes | None:
        if self.over:
            return None
        self.flag.clear()  # before looking: a change while we render sets it again
        out = [event for run_id in sorted(self.going) if (event := await self._row(run_id))]
        if not self.going:
            self.over = True
            out.append(DONE)
        return b"".join(out)

    async def _row(self, run_id: int) -> bytes | None:
        """The run's row as an event if it shows something new."""
        watch = self.watches[run_id]
        now = (watch.status, len(watch.epochs))
        if self.shown.get(run_id) == now and not watch.gone:
            return None
        if watch.gone or run_id not in self.rows or self.shown[run_id][0] != watch.status:
            row = await self.read(run_id)
            if row is None:  # deleted meanwhile: its row is gone from the page too
                self.going.discard(run_id)
                return None
            self.rows[run_id] = row
        else:
            update = {"history": watch.epochs, "epochs_done": len(watch.epochs)}
            self.rows[run_id] = self.rows[run_id].model_copy(update=update)
        self.shown[run_id] = now
        if self.rows[run_id].status in FINISHED:
            self.going.discard(run_id)
        return encode(f"run-{run_id}", raw=self.render(self.rows[run_id]))
