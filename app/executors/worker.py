"""A local worker process: imports TensorFlow once, then trains queued runs one after another.

This module itself imports no TensorFlow, so the web process can name `main` as a process
target; the child imports app.executors.local_job (and with it app.ml.training) when it
starts.
"""

from __future__ import annotations

import contextlib
import os
import signal
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from app.executors.bell import Listener
from app.processes import die_with_parent, quiet_tensorflow
from app.runs import state

IDLE_WAIT_S = 0.5
# A change told to the web process: the run's id and when it was committed (time.time()).
# 16 bytes, so one write is atomic on a pipe (under PIPE_BUF) and reads split on records.
CHANGE = struct.Struct("<qd")
# How often a training run reads its cancel flag: a DB read of ~0.2 ms, so ~0.2% of a core.
CANCEL_POLL_S = 0.1


class CancelFlag:
    """Called after each compiled step: True once the run's cancel flag is set in the DB."""

    def __init__(self, engine: Engine, run_id: int) -> None:
        self.engine, self.run_id = engine, run_id
        self.next_poll = 0.0

    def __call__(self) -> bool:
        now = time.monotonic()
        if now < self.next_poll:
            return False
        self.next_poll = now + CANCEL_POLL_S
        return state.cancel_requested(self.engine, self.run_id)


class Changes:
    """Tells the web process which run this worker just changed, right after the commit.
    The pipe never blocks training: when it is full (the web process is slow to read), the
    record is dropped and the web process's fallback poll finds the change instead."""

    def __init__(self, pipe: Any) -> None:
        self.pipe = pipe  # kept: the descriptor lives as long as the Connection
        os.set_blocking(pipe.fileno(), False)

    def __call__(self, run_id: int) -> None:
        with contextlib.suppress(OSError):  # full (BlockingIOError), or the parent is gone
            os.write(self.pipe.fileno(), CHANGE.pack(run_id, time.time()))


def _unheard(run_id: int) -> None:
    """No one to tell (a worker started without a pipe)."""


def main(db_url: str, data_dir: str, name: str, bell_end: Any, changes: Any = None) -> None:
    """Process entry: claim runs from the DB queue until the parent stops us; `bell_end`
    (app/executors/bell.py) wakes us when a run is queued."""
    die_with_parent()
    parent = os.getppid()
    quiet_tensorflow()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server, which stops us
    from app.db import make_engine
    from app.executors.local_job import train_run
    from app.ml.training import warm_up
    from app.paths import DataPaths

    warm_up()
    engine = make_engine(db_url)
    paths = DataPaths(Path(data_dir))
    changed: Callable[[int], None] = Changes(changes) if changes is not None else _unheard
    bell = Listener(bell_end)
    while True:
        run_id = state.claim_next(engine, name)
        if run_id is None:
            if os.getppid() != parent:  # orphaned where PR_SET_PDEATHSIG is not available
                return
            bell.wait(IDLE_WAIT_S)
            if bell.stopped:  # the server closed its end, or is gone
                return
            continue
        changed(run_id)  # now running
        train_run(engine, paths, run_id, CancelFlag(engine, run_id), changed)
