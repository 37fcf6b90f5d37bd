"""Exactly one executor among several web processes: the one holding the `executor` lease.

With WEB_WORKERS=N (or several servers on one database) every web process makes an executor,
but only the process holding the lease in the database starts it: its worker processes (or
its Ray dispatcher) train the queue for all of them. The others serve requests and events;
a run they queue waits in the database, where the leader's workers find it (within their idle
poll, worker.IDLE_WAIT_S). Every process keeps trying for the lease, so when the leader dies
another one takes over within TTL_S, after interrupting the runs the dead one left `running`
(resumable, as after a crash of a single server). A leader on this host whose process is gone
is taken over at once, so restarting a killed server does not wait for the lease to expire.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from app.executors import lease
from app.executors.base import Executor
from app.models import utcnow
from app.runs.state import interrupt_running

log = logging.getLogger("layerstack.executor")
LEASE = "executor"
TTL_S = 10.0
RENEW_S = 2.0


def _holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _dead_here(holder: str) -> bool:
    """True when `holder` names a process of this host that no longer exists."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


class Leader:
    """An Executor that runs one made by `make` only while this process holds the executor
    lease (a fresh one each time it takes the lease: a stopped executor does not restart).

    `spare` is interrupt_running's: with EXECUTOR=ray the dispatcher's runs are left to the
    dispatcher that takes its own lease over. `clock` is the lease's (app/executors/lease.py):
    the real time unless a test moves one on itself."""

    def __init__(
        self,
        make: Callable[[], Executor],
        engine: Engine,
        enabled: bool,
        spare: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.make, self.engine, self.enabled, self.spare = make, engine, enabled, spare
        self.clock = clock
        self.inner: Executor | None = None
        self.holder = _holder_name()
        self.leading = False
        self.interrupted: list[int] = []  # what this process found left running when it took over
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        """Try for the lease now (a lone server starts its workers at once), then keep trying
        (or renewing) in a thread. WORKERS=0: nothing to lead with, so it never tries."""
        if not self.enabled:
            # Nothing trains here; runs left `running` by a server that is gone (no live
            # lease) are resumable now, as a lone server restarted with WORKERS=0 expects.
            if lease.holder_of(self.engine, LEASE, live=True, clock=self.clock) is None:
                self.interrupted = interrupt_running(self.engine, self.spare)
            return
        self._try()
        self.thread = threading.Thread(target=self._keep, name="executor-lease", daemon=True)
        self.thread.start()

    def _keep(self) -> None:
        while not self.stopping.wait(RENEW_S):
            try:
                self._try()
            except Exception:  # a busy or restarting database: try again next time
                log.exception("could not renew the executor lease; trying again")

    def _try(self) -> None:
        with self.lock:
            if self.stopping.is_set():
                return
            previous = lease.hold(self.engine, LEASE, self.holder, TTL_S, self.clock)
            if previous is None and not self.leading:
                current = lease.holder_of(self.engine, LEASE)
                if current is not None and _dead_here(current):
                    lease.release(self.engine, LEASE, current)
                    previous = lease.hold(self.engine, LEASE, self.holder, TTL_S, self.clock)
            if previous is not None and not self.leading:
                # Runs left `running` were trained by the previous leader's workers, which
                # died with it (or by this server before a crash): resumable now.
                self.interrupted = interrupt_running(self.engine, self.spare)
                if self.interrupted:
                    log.warning(
                        "runs %s were running when the last executor stopped: interrupted",
                        self.interrupted,
                    )
                log.info("this process (%s) runs the executor", self.holder)
                self.inner = self.make()
                self.inner.start()
                self.leading = True
            elif previous is None and self.leading:
                # Someone else holds it: this process missed its renewals for TTL_S (a stalled
                # machine or database). Stop training here; the new leader has taken over.
                log.error("the executor lease went to another process; stopping workers here")
                self._stop_inner()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=RENEW_S + 5)
        with self.lock:
            if self.leading:
                self._stop_inner()
                lease.release(self.engine, LEASE, self.holder)

    def _stop_inner(self) -> None:
        self.leading = False
        if self.inner is not None:
            self.inner.stop()
            self.inner = None

    # Read once: the lease thread may swap self.inner meanwhile.
    def submit(self, run_id: int) -> None:
        if (inner := self.inner) is not None:
            inner.submit(run_id)

    def cancel(self, run_id: int) -> None:
        if (inner := self.inner) is not None:
            inner.cancel(run_id)

    def describe(self) -> list[dict[str, Any]]:
        return inner.describe() if (inner := self.inner) is not None else []

    @property
    def role(self) -> str:
        """For GET /api/health: does this web process run the executor."""
        if not self.enabled:
            return "none (WORKERS=0)"
        return "this process" if self.leading else "another process"
