"""A run's live event stream, as one watcher sees it: status (and, while queued, what it
waits for), progress, each epoch (id =
epoch, so a reconnect with Last-Event-ID resumes), then `done`. Built on the hub, which
reads the database once per change for every watcher."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi.sse import ServerSentEvent

from app.models import FINISHED, RunStatus
from app.runs.events import EventHub


async def run_events(hub: EventHub, run_id: int, sent: int = 0) -> AsyncIterator[ServerSentEvent]:
    """Events after epoch `sent`, until the run ends; nothing if the run is gone."""
    watch = await hub.subscribe(run_id)
    if watch is None:  # deleted between the caller's check and now
        return
    try:
        status, waiting, progress = None, None, None
        while True:
            changed = watch.changed
            if (watch.status, watch.waiting_for) != (status, waiting):
                status, waiting = watch.status, watch.waiting_for
                yield ServerSentEvent(
                    event="status", data={"status": status, "waiting_for": waiting}
                )
            # Index, never a slice taken once: the hub may append epochs while we yield.
            while sent < len(watch.epoch_events):
                sent += 1
                yield watch.epoch_events[sent - 1]
            # Progress about an epoch that has already ended is news to no one: skip it.
            event = watch.progress_event
            current = watch.progress.get("epoch", 0) > sent
            running = status == RunStatus.RUNNING
            if running and event is not None and event is not progress and current:
                progress = event
                yield event
            if status in FINISHED and sent >= len(watch.epoch_events):
                yield ServerSentEvent(event="done", data=watch.final)
                return
            if changed is watch.changed:
                await changed.wait()
    finally:
        hub.unsubscribe(run_id)
