"""A run's live event stream, as one watcher sees it: status (and, while queued, what it
waits for), progress, each epoch (id = epoch, so a reconnect with Last-Event-ID resumes),
then `done`. Every event is bytes the hub encoded once; a watcher only keeps its place."""

from __future__ import annotations

from app.models import FINISHED, RunStatus
from app.runs.events import EventHub
from app.runs.watching import Watching


class RunEvents(Watching):
    """The events of run `run_id` after epoch `sent`, until the run ends (an app/runs/sse.py
    Source); nothing if the run is gone."""

    def __init__(self, hub: EventHub, run_id: int, sent: int = 0) -> None:
        super().__init__(hub, [run_id])
        self.run_id, self.sent = run_id, sent
        self.status: bytes | None = None  # the status event last sent
        self.progress: bytes | None = None
        self.over = False

    async def next(self) -> bytes | None:
        watch = self.watches.get(self.run_id)
        if watch is None or watch.gone or self.over:
            return None
        self.flag.clear()  # before looking: a change from here on sets it again
        out: list[bytes] = []
        if watch.status_event is not self.status:
            self.status = watch.status_event
            out.append(watch.status_event)
        # Index, never a slice taken once: the hub may append epochs while we write.
        out += watch.epoch_events[self.sent :]
        self.sent = max(self.sent, len(watch.epoch_events))
        # Progress about an epoch that has already ended is news to no one: skip it.
        event = watch.progress_event
        current = watch.progress.get("epoch", 0) > self.sent
        news = event is not None and event is not self.progress
        if watch.status == RunStatus.RUNNING and news and current:
            self.progress = event
            out.append(event)  # type: ignore[arg-type]
        if watch.status in FINISHED and watch.done_event is not None:
            self.over = True
            out.append(watch.done_event)
        return out[0] if len(out) == 1 else b"".join(out)
