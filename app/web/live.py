"""The runs list's live rows: one event stream for all the runs on a page that are still going.

One stream, not one per run: a browser opens at most six HTTP/1.1 connections to a server,
and a page of queued runs would use them all. Each run's row is sent, rendered by the server
as event `run-<id>`, when its status changes (the row is read again, so it is exact) and when
an epoch ends (the history comes from the hub, no query); `done` once every run has ended.
The hub reads the database once per change for every watcher, as for a run's own stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable

from fastapi.sse import ServerSentEvent

from app.models import FINISHED, RunPublic
from app.runs.events import EventHub, Watch

ReadRow = Callable[[int], Awaitable[RunPublic | None]]  # None: the run is gone
RenderRow = Callable[[RunPublic], str]
DONE = ServerSentEvent(event="done", raw_data="Every run on this page has ended.")


async def _any_change(events: Iterable[asyncio.Event]) -> None:
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def live_rows(
    hub: EventHub, run_ids: Iterable[int], read: ReadRow, render: RenderRow
) -> AsyncIterator[ServerSentEvent]:
    """Rows of the given runs as they change, then `done` (at once if none is going)."""
    watches: dict[int, Watch] = {}
    try:
        for run_id in dict.fromkeys(run_ids):
            watch = await hub.subscribe(run_id)
            if watch is not None:
                watches[run_id] = watch
        going = set(watches)
        shown: dict[int, tuple[str, int]] = {}  # what each run's last row showed
        rows: dict[int, RunPublic] = {}
        while going:
            # Taken before looking: a change while we render sets one of these.
            changed = [watches[run_id].changed for run_id in going]
            for run_id in sorted(going):
                watch = watches[run_id]
                now = (watch.status, len(watch.epochs))
                if shown.get(run_id) == now:
                    continue
                if run_id not in rows or shown[run_id][0] != watch.status:
                    row = await read(run_id)
                    if row is None:  # deleted meanwhile: its row is gone from the page too
                        going.discard(run_id)
                        continue
                    rows[run_id] = row
                else:
                    update = {"history": watch.epochs, "epochs_done": len(watch.epochs)}
                    rows[run_id] = rows[run_id].model_copy(update=update)
                shown[run_id] = now
                yield ServerSentEvent(event=f"run-{run_id}", raw_data=render(rows[run_id]))
                if rows[run_id].status in FINISHED:
                    going.discard(run_id)
            if going:
                await _any_change(changed)
        yield DONE
    finally:
        for run_id in watches:
            hub.unsubscribe(run_id)
