"""The local executor's worker processes: one killed mid-run fails that run, saying how it
died, and a fresh worker takes the next run."""

from __future__ import annotations

import os
import signal

import httpx
import pytest

from tests.helpers.runs import first_epoch, submit, wait_for

pytestmark = pytest.mark.keras


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
