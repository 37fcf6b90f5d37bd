"""The Ray executor (EXECUTOR=ray), as the web process sees it: it starts the dispatcher as a
child process (none with WORKERS=0: then a `python -m app dispatch` elsewhere does the work),
wakes it when a run is queued or cancelled, and restarts it if it dies, its runs then being
`interrupted` and resumable as with the local pool. The web process never imports Ray.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import uuid
from typing import Any

from sqlalchemy.engine import Engine

from app.config import Settings
from app.executors.bell import Bell
from app.runs import attempts

log = logging.getLogger("layerstack.ray")
WATCH_EVERY_S = 0.5
DISPATCHER_PREFIX = "dispatcher-"  # its runs' worker names: dispatcher-<8 hex digits>
STOP_WAIT_S = 15


class RayExecutor:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings, self.engine = settings, engine
        self.context = multiprocessing.get_context("spawn")
        self.bell: Bell | None = None  # the dispatcher's (app/executors/bell.py)
        self.stopping = threading.Event()
        self.process: Any = None
        self.name = ""
        self.lock = threading.Lock()
        self.watcher: threading.Thread | None = None

    def start(self) -> None:
        if not self.settings.workers:
            return
        self.process = self._spawn()
        self.watcher = threading.Thread(target=self._watch, name="dispatcher-watch", daemon=True)
        self.watcher.start()

    def _spawn(self) -> Any:
        self.name = f"{DISPATCHER_PREFIX}{uuid.uuid4().hex[:8]}"
        if self.bell is not None:
            self.bell.close()
        self.bell = Bell(self.context)
        process = self.context.Process(
            target=_dispatch,
            name=self.name,
            daemon=True,
            args=(self.settings, self.name, self.bell.listener_end),
        )
        process.start()
        self.bell.started()
        return process

    def _ring(self) -> None:
        with self.lock:
            if self.bell is not None:
                self.bell.ring()

    def _watch(self) -> None:
        while not self.stopping.wait(WATCH_EVERY_S):
            with self.lock:
                if self.process.is_alive() or self.stopping.is_set():
                    continue
                why = (
                    f"The dispatcher training this run exited (exit code "
                    f"{self.process.exitcode}); resume to continue from the last completed epoch."
                )
                lost = attempts.interrupt_worker_runs(self.engine, self.name, why)
                log.warning("%s died; runs interrupted: %s; starting a new one", self.name, lost)
                self.process = self._spawn()

    def submit(self, run_id: int) -> None:
        self._ring()

    def cancel(self, run_id: int) -> None:
        """The dispatcher polls cancel flags; waking it passes this one on at once."""
        self._ring()

    def describe(self) -> list[dict[str, Any]]:
        with self.lock:
            if self.process is None:
                return []
            return [
                {
                    "name": self.name,
                    "pid": self.process.pid,
                    "alive": self.process.is_alive(),
                    "executor": "ray",
                    "ray_address": self.settings.ray_address or "(a Ray instance of its own)",
                }
            ]

    def stop(self) -> None:
        self.stopping.set()
        with self.lock:
            if self.process is None:
                return
            assert self.bell is not None
            self.bell.close()  # the dispatcher reads it as "stop"
            self.process.join(timeout=STOP_WAIT_S)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(timeout=5)
        why = "The server stopped during training; resume to continue from the last epoch."
        attempts.interrupt_worker_runs(self.engine, self.name, why)


def _dispatch(settings: Settings, name: str, bell_end: Any) -> None:
    """The child's entry. Ray is imported here, in the child: naming the dispatcher's own
    `main` as the target would import it (and Ray) in the web process to pickle it."""
    from app.executors.dispatcher import main

    main(settings, name, bell_end)
