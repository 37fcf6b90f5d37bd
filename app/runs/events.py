"""Live run state for server-sent events, read from the DB once per change for all watchers.

One poller asks the DB, every POLL_S, only for the versions of the runs someone watches;
when a version moves it reads what is new once and wakes every watcher of that run. A
watcher never queries the DB itself, so 500 watchers cost what one does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from fastapi.sse import ServerSentEvent
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.models import Run, RunStatus
from app.runs.state import history

POLL_S = 0.02


@dataclass
class Watch:
    """What watchers of one run see; `changed` is replaced (after being set) on each change."""

    version: int = -1
    status: str = RunStatus.QUEUED
    waiting_for: str | None = None  # why a queued run waits (EXECUTOR=ray), in words
    progress: dict[str, Any] = field(default_factory=dict)
    epochs: list[dict[str, Any]] = field(default_factory=list)
    # Each epoch and the progress built as an event once here, not once per watcher.
    epoch_events: list[ServerSentEvent] = field(default_factory=list)
    progress_event: ServerSentEvent | None = None
    final: dict[str, Any] = field(default_factory=dict)
    watchers: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    ready: asyncio.Event = field(default_factory=asyncio.Event)


def _read(engine: Engine, run_id: int, known_epochs: int) -> dict[str, Any] | None:
    with Session(engine) as session:
        run = session.get(Run, run_id)
        if run is None:
            return None
        epochs = history(session, run_id) if run.epochs_done != known_epochs else None
        return {
            "version": run.version,
            "status": run.status,
            "waiting_for": run.waiting_for,
            "progress": run.progress or {},
            "epochs": epochs,
            "final": {
                "status": run.status,
                "error": run.error,
                "test_metrics": run.test_metrics,
                "epochs_done": run.epochs_done,
            },
        }


def _versions(engine: Engine, ids: list[int]) -> dict[int, int]:
    with Session(engine) as session:
        rows = session.exec(select(Run.id, Run.version).where(col(Run.id).in_(ids))).all()
    return {run_id: version for run_id, version in rows if run_id is not None}


class EventHub:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.watches: dict[int, Watch] = {}
        self.task: asyncio.Task[None] | None = None

    async def subscribe(self, run_id: int) -> Watch | None:
        watch = self.watches.get(run_id)
        if watch is None:
            # Registered before the first read, so watchers arriving meanwhile share it.
            watch = self.watches[run_id] = Watch()
            found = await self._refresh(run_id, watch)
            watch.ready.set()
            if not found:
                del self.watches[run_id]
                return None
        else:
            await watch.ready.wait()
            if run_id not in self.watches:
                return None
        watch.watchers += 1
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._poll())
        return watch

    def unsubscribe(self, run_id: int) -> None:
        watch = self.watches.get(run_id)
        if watch is not None:
            watch.watchers -= 1
            if watch.watchers <= 0:
                del self.watches[run_id]

    async def _refresh(self, run_id: int, watch: Watch) -> bool:
        fresh = await asyncio.to_thread(_read, self.engine, run_id, len(watch.epochs))
        if fresh is None:
            return False
        watch.version, watch.status = fresh["version"], fresh["status"]
        watch.waiting_for = fresh["waiting_for"]
        watch.final = fresh["final"]
        if fresh["progress"] != watch.progress:
            watch.progress = fresh["progress"]
            watch.progress_event = ServerSentEvent(
                event="progress", raw_data=json.dumps(watch.progress)
            )
        if fresh["epochs"] is not None:
            watch.epochs = fresh["epochs"]
            watch.epoch_events = [
                ServerSentEvent(event="epoch", id=str(e["epoch"]), raw_data=json.dumps(e))
                for e in watch.epochs
            ]
        watch.changed.set()
        watch.changed = asyncio.Event()
        return True

    async def _poll(self) -> None:
        while self.watches:
            await asyncio.sleep(POLL_S)
            ids = list(self.watches)
            with contextlib.suppress(Exception):  # a busy DB: try again next tick
                versions = await asyncio.to_thread(_versions, self.engine, ids)
                for run_id, version in versions.items():
                    watch = self.watches.get(run_id)
                    if watch is not None and version != watch.version:
                        await self._refresh(run_id, watch)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
