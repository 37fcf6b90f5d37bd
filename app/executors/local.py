"""The local executor: long-lived worker processes on this machine that train runs taken from
the DB queue (WORKERS of them; none with WORKERS=0, and runs then wait in the queue).

Workers are separate processes because TensorFlow costs ~9 s and ~580 MB to import and
training would stall the web process; a worker that crashes or is killed fails only its
own run and is replaced. The queue and every run's state live in the DB: a worker claims a
run there and polls its cancel flag there, so nothing here holds a handle on a run.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from app.config import Settings
from app.executors import worker
from app.runs import state

log = logging.getLogger("layerstack.workers")
WATCH_EVERY_S = 0.5


@dataclass
class Worker:
    name: str
    process: Any


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
        self.wake = self.context.Event()
        self.workers: list[Worker] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.watcher: threading.Thread | None = None

    def start(self) -> None:
        if not self.settings.workers:
            return
        for _ in range(self.settings.workers):
            self.workers.append(self._spawn())
        self.watcher = threading.Thread(target=self._watch, name="worker-watch", daemon=True)
        self.watcher.start()

    def _spawn(self) -> Worker:
        name = f"worker-{uuid.uuid4().hex[:8]}"
        data_dir = str(self.settings.data_dir.resolve())
        process = self.context.Process(
            target=worker.main,
            name=name,
            daemon=True,
            args=(self.settings.db_url, data_dir, name, self.wake),
        )
        process.start()
        return Worker(name, process)

    def _watch(self) -> None:
        while not self.stopping.wait(WATCH_EVERY_S):
            with self.lock:
                for i, w in enumerate(self.workers):
                    if w.process.is_alive() or self.stopping.is_set():
                        continue
                    failed = state.fail_worker_runs(self.engine, w.name, _death(w.process.exitcode))
                    log.warning(
                        "%s died (exit %s); runs failed: %s; starting a new one",
                        w.name,
                        w.process.exitcode,
                        failed,
                    )
                    self.workers[i] = self._spawn()
                    self.wake.set()

    def submit(self, run_id: int) -> None:
        """Wake idle workers now rather than at their next poll; one of them claims the run."""
        self.wake.set()

    def cancel(self, run_id: int) -> None:
        """Nothing to signal: the worker training the run polls its cancel flag (every
        worker.CANCEL_POLL_S) and stops within one compiled step of seeing it."""

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
                w.process.terminate()
            for w in self.workers:
                w.process.join(timeout=10)
                if w.process.is_alive():
                    w.process.kill()
        state.interrupt_running(self.engine)
