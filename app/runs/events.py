"""Live run state for server-sent events, read from the DB once per change for all watchers.

The hub learns that a watched run changed in three ways: a wake (`wake_soon`, from the
local executor's workers right after their commit, or from this process's own cancel and
delete), a PostgreSQL notification (app/runs/listen.py: every writer notifies in its own
transaction), and a slow fallback poll of the watched runs' versions (POLL_S) for writers
that cannot tell us (another web process on SQLite) and to heal a missed wake. It then
reads the run once, in its own thread (never queued behind other work), encodes each new
event to bytes once, and sets every watcher's flag: a watcher writes the shared bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.models import FINISHED, Run, RunStatus
from app.runs.sse import encode
from app.runs.state import history

POLL_S = 0.5
# What the hub knows of a run: its version, how many epochs, and the last of them.
Known = tuple[int, int, dict[str, Any] | None]
log = logging.getLogger("layerstack.events")


@dataclass
class Watch:
    """What watchers of one run see, each event already encoded; `listeners` are the
    watchers' flags, set on every change, each one there from its `subscribe` on."""

    version: int = -1
    status: str = RunStatus.QUEUED
    waiting_for: str | None = None  # why a queued run waits (EXECUTOR=ray), in words
    progress: dict[str, Any] = field(default_factory=dict)
    epochs: list[dict[str, Any]] = field(default_factory=list)
    status_event: bytes = b""
    epoch_events: list[bytes] = field(default_factory=list)
    progress_event: bytes | None = None
    done_event: bytes | None = None  # once the run has ended
    gone: bool = False  # deleted: its streams end
    listeners: set[asyncio.Event] = field(default_factory=set)
    ready: asyncio.Event = field(default_factory=asyncio.Event)


def _read(session: Session, run_id: int, known: Known) -> dict[str, Any] | None:
    run = session.get(Run, run_id)
    if run is None:
        return None
    return {
        "version": run.version,
        "status": run.status,
        "waiting_for": run.waiting_for,
        "progress": run.progress or {},
        "epochs": _new_epochs(session, run_id, run.epochs_done, known),
        "final": {
            "status": run.status,
            "error": run.error,
            "test_metrics": run.test_metrics,
            "epochs_done": run.epochs_done,
        },
    }


def _new_epochs(
    session: Session, run_id: int, done: int, known: Known
) -> tuple[int, list[dict[str, Any]]] | None:
    """(how many known epochs stay, the epochs after them); None when nothing is new. Only
    the new rows are read, plus the last known epoch to check it is still the same: a resume
    from an earlier checkpoint rewrites epochs, and then all are read again."""
    _, count, last = known
    if done == count:
        return None
    if count == 0 or done < count:
        return 0, history(session, run_id)
    tail = history(session, run_id, after=count - 1)
    if tail and tail[0] == last:
        return count, tail[1:]
    return 0, history(session, run_id)


def _read_changed(
    engine: Engine, known: dict[int, Known], woken: set[int], poll: bool
) -> dict[int, dict[str, Any] | None]:
    """The runs that moved past the version we know: the woken ones, and when polling, any
    watched one whose version moved. None for a run that is gone."""
    with Session(engine) as session:
        wanted = woken & known.keys()
        if poll:
            ids = list(known)
            rows = session.exec(select(Run.id, Run.version).where(col(Run.id).in_(ids))).all()
            versions = dict(rows)
            wanted |= {i for i in ids if versions.get(i) != known[i][0]}
        fresh = {run_id: _read(session, run_id, known[run_id]) for run_id in wanted}
    return {i: f for i, f in fresh.items() if f is None or f["version"] != known[i][0]}


class EventHub:
    def __init__(self, engine: Engine, poll_s: float = POLL_S, trace: Path | None = None) -> None:
        self.engine, self.poll_s, self.trace = engine, poll_s, trace
        self.watches: dict[int, Watch] = {}
        self.woken: set[int] = set()
        self.commits: dict[int, float] = {}  # run -> when a worker said it committed (trace)
        self.news = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.tasks: list[asyncio.Task[None]] = []
        # One thread of its own: a read is never queued behind other to_thread work.
        self.reader = ThreadPoolExecutor(1, thread_name_prefix="event-hub")

    def start(self) -> None:
        """Start reading (at the first subscription, in the event loop)."""
        self.loop = asyncio.get_running_loop()
        self.tasks.append(asyncio.create_task(self._run()))
        if self.engine.dialect.name == "postgresql":
            from app.runs.listen import listen  # psycopg: only where the database is PostgreSQL

            self.tasks.append(asyncio.create_task(listen(self.engine, self)))

    def wake(self, run_id: int) -> None:
        """Run `run_id` changed: read it now (in the event loop's thread)."""
        if run_id in self.watches:
            self.woken.add(run_id)
            self.news.set()

    def wake_all(self) -> None:
        """Anything watched may have changed (a notification channel was down)."""
        self.woken.update(self.watches)
        self.news.set()

    def wake_soon(self, run_id: int, committed: float | None = None) -> None:
        """`wake` from any thread; `committed`: when the writer committed (for the trace)."""
        if self.loop is not None and not self.loop.is_closed():
            if committed is not None and self.trace is not None:
                self.commits[run_id] = committed
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self.loop.call_soon_threadsafe(self.wake, run_id)

    async def subscribe(self, run_id: int, listener: asyncio.Event) -> Watch | None:
        """The run's watch, with `listener` among its listeners; None if the run is gone.

        The listener is added before the first read, not after: a watch is dropped when its
        last listener leaves, and the first stream of a run that has ended writes everything
        and leaves in the step its read comes back in, before the watchers waiting for that
        read resume. Not counted yet, they found their watch dropped and sent nothing at all
        (issue 22; tests/runs/test_events.py)."""
        if not self.tasks:
            self.start()
        watch = self.watches.get(run_id)
        if watch is None:
            # Registered before the first read, so watchers arriving meanwhile share it.
            watch = self.watches[run_id] = Watch()
            watch.listeners.add(listener)
            try:
                nothing: Known = (-1, 0, None)
                run = (await self._read({run_id: nothing}, {run_id}, poll=False)).get(run_id)
            except BaseException:
                self._gone(run_id, watch)
                raise
            finally:
                watch.ready.set()
                if run_id in self.woken:  # woken during the first read: look again
                    self.news.set()
            if run is None:
                self._gone(run_id, watch)
                return None
            self._apply(watch, run)
        else:
            watch.listeners.add(listener)
            try:
                await watch.ready.wait()
            except BaseException:
                self.unsubscribe(run_id, listener)
                raise
            if watch.gone:  # deleted, or its first read failed
                return None
        return watch

    def unsubscribe(self, run_id: int, listener: asyncio.Event) -> None:
        watch = self.watches.get(run_id)
        if watch is not None:
            watch.listeners.discard(listener)
            if not watch.listeners:
                del self.watches[run_id]

    async def _read(
        self, known: dict[int, Known], woken: set[int], poll: bool
    ) -> dict[int, dict[str, Any] | None]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.reader, _read_changed, self.engine, known, woken, poll
        )

    def _apply(self, watch: Watch, fresh: dict[str, Any]) -> None:
        """The run as read now, each new event encoded once; then every watcher is told."""
        watch.version = fresh["version"]
        if (fresh["status"], fresh["waiting_for"]) != (watch.status, watch.waiting_for) or (
            not watch.status_event
        ):
            watch.status, watch.waiting_for = fresh["status"], fresh["waiting_for"]
            data = {"status": watch.status, "waiting_for": watch.waiting_for}
            watch.status_event = encode("status", data)
        if fresh["progress"] != watch.progress:
            watch.progress = fresh["progress"]
            watch.progress_event = encode("progress", raw=json.dumps(watch.progress))
        if fresh["epochs"] is not None:
            keep, new = fresh["epochs"]  # a rewind (keep 0) re-encodes them all
            encoded = [encode("epoch", raw=json.dumps(e), id=e["epoch"]) for e in new]
            watch.epochs = watch.epochs[:keep] + new
            watch.epoch_events = watch.epoch_events[:keep] + encoded
        if watch.status in FINISHED:
            watch.done_event = encode("done", fresh["final"])
        for listener in watch.listeners:
            listener.set()

    async def _run(self) -> None:
        next_poll = time.monotonic() + self.poll_s
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, next_poll - time.monotonic())):
                    await self.news.wait()
            # Every poll_s whatever the news: a steady stream of wakes for some runs must not
            # starve the poll that heals the others.
            poll = time.monotonic() >= next_poll
            if poll:
                next_poll = time.monotonic() + self.poll_s
            self.news.clear()
            woken, self.woken = self.woken, set()
            known = {
                i: (w.version, len(w.epochs), w.epochs[-1] if w.epochs else None)
                for i, w in self.watches.items()
                if w.ready.is_set()
            }
            # A wake for a run whose first read is still going is kept for the next round:
            # that read may have started before the change it announces.
            self.woken |= {i for i in woken if i in self.watches and i not in known}
            if not known or not (woken or poll):
                continue
            woke_at = time.time()
            try:
                fresh = await self._read(known, woken, poll)
            except Exception:  # a busy or unreachable DB: the next poll tries again
                log.warning("reading watched runs failed; retrying at the next poll", exc_info=True)
                continue
            for run_id, run in fresh.items():
                watch = self.watches.get(run_id)
                if watch is None:
                    continue
                if run is None:  # deleted: watchers end their streams
                    self._gone(run_id, watch)
                else:
                    self._apply(watch, run)
                    self._trace(run_id, watch, "wake" if run_id in woken else "poll", woke_at)

    def _gone(self, run_id: int, watch: Watch) -> None:
        if self.watches.get(run_id) is watch:
            del self.watches[run_id]
        watch.gone = True
        for listener in watch.listeners:
            listener.set()

    def _trace(self, run_id: int, watch: Watch, via: str, woke_at: float) -> None:
        """One line per change seen, for bench/bench_streams.py (EVENTS_TRACE)."""
        if self.trace is None:
            return
        line = {
            "run": run_id,
            "epochs": len(watch.epochs),
            "via": via,
            "committed": self.commits.pop(run_id, None),
            "woken": woke_at,
            "read": time.time(),
        }
        with self.trace.open("a") as file:
            file.write(json.dumps(line) + "\n")

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.reader.shutdown(wait=False)
