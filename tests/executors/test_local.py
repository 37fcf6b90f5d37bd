"""The local executor's worker processes: one killed mid-run fails that run, saying how it
died, and a fresh worker takes the next run."""

from __future__ import annotations

import os
import signal
import time

import httpx
import pytest

from tests.helpers.processes import waiting_in_poll
from tests.helpers.runs import WAIT_S, first_epoch, submit, wait_for

pytestmark = pytest.mark.keras


def waiting_for_its_bell(pid: int) -> None:
    """Return once the worker `pid` sleeps in poll(2), as only its bell's wait does (its
    TensorFlow import and its queue look-ups never poll)."""
    waiting_in_poll(pid, WAIT_S, f"worker {pid}")  # a new worker imports TensorFlow first


def replaced(server, pid: int, timeout: float = 30) -> dict:
    """The live worker that took the place of the dead worker `pid`, once there is one."""
    deadline = time.monotonic() + timeout
    while True:
        workers = httpx.get(f"{server.url}/api/health", timeout=5).json()["workers"]
        new = [w for w in workers if w["pid"] != pid and w["alive"]]
        if new:
            return new[0]
        assert time.monotonic() < deadline, f"worker {pid} not replaced: {workers}"
        time.sleep(0.05)


def test_a_killed_worker_fails_its_run_and_the_next_run_starts(trainer):
    run = submit(trainer, epochs=1000, batch_size=8)
    first_epoch(trainer, run["id"])
    (worker,) = httpx.get(f"{trainer.url}/api/health").json()["workers"]
    os.kill(worker["pid"], signal.SIGKILL)
    final = wait_for(trainer, run["id"])
    assert final["status"] == "failed" and "SIGKILL" in final["error"]
    after = wait_for(trainer, submit(trainer, epochs=2)["id"])
    assert after["status"] == "completed"
    (replacement,) = httpx.get(f"{trainer.url}/api/health").json()["workers"]
    assert replacement["pid"] != worker["pid"] and replacement["alive"]


def test_a_worker_killed_while_idle_leaves_submissions_working(trainer):
    """An idle worker waits for its bell (app/executors/bell.py); killed there, the OOM
    killer's way, its replacement gets a bell of its own and the next run is taken at once.
    (With one multiprocessing.Event shared by all, the dead sleeper stayed counted: each
    set() then waited until a live worker happened to time out, and for ever once none
    waited; tests/executors/test_bell.py and the Ray server's clean stop show it.)"""
    (worker,) = httpx.get(f"{trainer.url}/api/health").json()["workers"]
    waiting_for_its_bell(worker["pid"])  # idle: waiting for a run
    os.kill(worker["pid"], signal.SIGKILL)
    replaced(trainer, worker["pid"])  # the watcher replaces it and wakes every worker
    run = submit(trainer, epochs=1)  # a 202 at once (httpx's default 5 s timeout)
    assert wait_for(trainer, run["id"])["status"] == "completed"
    (replacement,) = httpx.get(f"{trainer.url}/api/health", timeout=5).json()["workers"]
    assert replacement["pid"] != worker["pid"] and replacement["alive"]
