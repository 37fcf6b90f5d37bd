"""A worker process: imports TensorFlow once, then trains queued runs one after another.

This module itself imports no TensorFlow, so the web process can name `main` as a process
target; the child imports app.ml.training when it starts.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
from pathlib import Path
from typing import Any

IDLE_WAIT_S = 0.5


def _die_with_parent() -> None:
    """If the server is killed (even by SIGKILL), its workers must not train on unwatched."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)


def main(db_url: str, data_dir: str, name: str, wake: Any, cancel: Any) -> None:
    """Process entry: claim runs from the DB queue until the parent stops us."""
    _die_with_parent()
    parent = os.getppid()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server, which stops us
    from app.db import make_engine
    from app.ml.training import train_run, warm_up
    from app.runs.state import cancel_requested, claim_next

    warm_up()
    engine = make_engine(db_url)
    while True:
        run_id = claim_next(engine, name)
        if run_id is None:
            if os.getppid() != parent:  # orphaned where PR_SET_PDEATHSIG is not available
                return
            wake.wait(IDLE_WAIT_S)
            wake.clear()
            continue
        cancel.clear()

        def is_cancelled(run_id: int = run_id) -> bool:
            # The event is cheap to test each step; the DB flag says it is for this run.
            if not cancel.is_set():
                return False
            if cancel_requested(engine, run_id):
                return True
            cancel.clear()
            return False

        train_run(engine, Path(data_dir), run_id, is_cancelled)
