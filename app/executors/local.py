"""The local executor: long-lived worker processes on this machine that train runs taken from
the DB queue (WORKERS of them; none with WORKERS=0, and runs then wait in the queue).

Workers are separate processes because TensorFlow costs ~9 s and ~580 MB to import and
training would stall the web process; a worker that crashes or is killed fails only its
own run and is replaced. The queue and every run's state live in the DB: a worker claims a
run there and polls its cancel flag there, so nothing here holds a handle on a run.

Each worker also has a pipe back to this process on which it names the run it just changed
(claimed, progress, epoch, end), right after the commit; a thread relays those to
`on_change` (the event hub), so watchers hear of a commit without waiting for a poll. And a
bell (app/executors/bell.py) wakes idle workers when a run is queued, however they died.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from sqlalchemy.engine import Engine

from app.config import Settings
from app.executors import worker
from app.executors.bell import Bell
from app.runs import attempts, state

log = logging.getLogger("layerstack.workers")
WATCH_EVERY_S = 0.5


@dataclass
class Worker:
    name: str
    process: Any
    changes: Connection  # the read end of the worker's pipe of changed runs
    bell: Bell  # wakes it when a run is queued


def _ignore(run_id: int, committed: float | None = None) -> None:
    """Nobody listens for changes."""


def tell_changes(executor: Any, tell: Callable[[int, float | None], None]) -> Any:
    """`executor`, made to call `tell(run_id, committed_at)` (from a thread) after each
    change its workers commit; only the local executor's workers report here."""
    if isinstance(executor, LocalExecutor):
        executor.on_change = tell
    return executor


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        cause = " (the system may have run out of memory)" if name == "SIGKILL" else ""
        return f"The worker training this run was killed by {name}{cause}."
    return f"The worker training this run exited unexpectedly (exit code {exitcode})."


class LocalExecutor:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings, self.engine = settings, engine
        self.context = multiprocessing.get_context("spawn")
        self.workers: list[Worker] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.watcher: threading.Thread | None = None
        # Called from a thread with (run id, when it was committed) after a worker's change.
        self.on_change: Callable[[int, float | None], None] = _ignore

    def start(self) -> None:
        if not self.settings.workers:
            return
        for _ in range(self.settings.workers):
            self.workers.append(self._spawn())
        self.watcher = threading.Thread(target=self._watch, name="worker-watch", daemon=True)
        self.watcher.start()
        relay = threading.Thread(target=self._relay, name="worker-changes", daemon=True)
        relay.start()

    def _spawn(self) -> Worker:
        name = f"worker-{uuid.uuid4().hex[:8]}"
        data_dir = str(self.settings.data_dir.resolve())
        reader, writer = self.context.Pipe(duplex=False)
        bell = Bell(self.context)
        process = self.context.Process(
            target=worker.main,
            name=name,
            daemon=True,
            args=(self.settings.db_url, data_dir, name, bell.listener_end, writer),
        )
        process.start()
        writer.close()  # the worker's copy is the only one: its death reads as end of file
        bell.started()
        return Worker(name, process, reader, bell)

    def _ring(self) -> None:
        for w in self.workers:
            w.bell.ring()

    def _relay(self) -> None:
        """Pass each change the workers name to on_change, as it comes."""
        size = worker.CHANGE.size
        while not self.stopping.is_set():
            with self.lock:
                pipes = [w.changes for w in self.workers if not w.changes.closed]
            for pipe in wait(pipes, timeout=WATCH_EVERY_S):
                assert isinstance(pipe, Connection)
                try:
                    data = os.read(pipe.fileno(), size * 256)  # whole records: writes are atomic
                except OSError:
                    data = b""
                if not data:  # the worker is gone; its replacement has a new pipe
                    pipe.close()
                    continue
                for run_id, committed in worker.CHANGE.iter_unpack(data):
                    self.on_change(run_id, committed)

    def _watch(self) -> None:
        while not self.stopping.wait(WATCH_EVERY_S):
            with self.lock:
                for i, w in enumerate(self.workers):
                    if w.process.is_alive() or self.stopping.is_set():
                        continue
                    failed = state.fail_worker_runs(self.engine, w.name, _death(w.process.exitcode))
                    for run_id in failed:
                        self.on_change(run_id, None)
                    log.warning(
                        "%s died (exit %s); runs failed: %s; starting a new one",
                        w.name,
                        w.process.exitcode,
                        failed,
                    )
                    w.bell.close()
                    self.workers[i] = self._spawn()
                    self._ring()

    def submit(self, run_id: int) -> None:
        """Wake idle workers now rather than at their next poll; one of them claims the run."""
        with self.lock:
            self._ring()

    def cancel(self, run_id: int) -> None:
        """Nothing to signal: the worker training the run polls its cancel flag (every
        worker.CANCEL_POLL_S) and stops within one compiled step of seeing it, and names
        the run on its pipe when it has."""

    def describe(self) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {"name": w.name, "pid": w.process.pid, "alive": w.process.is_alive()}
                for w in self.workers
            ]

    def stop(self) -> None:
        self.stopping.set()
        with self.lock:
            for w in self.workers:
                w.bell.close()
                w.process.terminate()
            for w in self.workers:
                w.process.join(timeout=10)
                if w.process.is_alive():
                    w.process.kill()
            # Only this executor's runs: another web process may run the executor by now
            # (app/executors/leader.py), and its runs are not ours to interrupt.
            why = "The server stopped during training; resume to continue from the last epoch."
            for w in self.workers:
                attempts.interrupt_worker_runs(self.engine, w.name, why)
