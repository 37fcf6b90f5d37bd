"""Stopping runs on a live server: cancel, resume, a server crash, deleting a running run.
What a user sees: the epochs done are kept, a resumed run ends as if never stopped, and a
stopped or deleted run frees the worker for the next one. Each on SQLite and on PostgreSQL."""

from __future__ import annotations

import math
import signal
import time

import httpx
import pytest

from tests.helpers.live_server import LiveServer
from tests.helpers.runs import first_epoch, submit, wait_for

pytestmark = [pytest.mark.keras, pytest.mark.both_databases]


def test_cancel_stops_a_running_run_and_keeps_its_epochs(each_trainer):
    trainer = each_trainer
    run = submit(trainer, epochs=1000, batch_size=8)
    first_epoch(trainer, run["id"])
    asked = time.monotonic()
    response = httpx.post(f"{trainer.url}/api/runs/{run['id']}/cancel")
    assert response.status_code == 200
    final = wait_for(trainer, run["id"])
    assert final["status"] == "cancelled" and time.monotonic() - asked < 5
    assert final["epochs_done"] >= 1 and len(final["history"]) == final["epochs_done"]
    again = httpx.post(f"{trainer.url}/api/runs/{run['id']}/cancel")
    assert again.status_code == 409


def test_resume_gives_the_same_history_as_an_uninterrupted_run(each_trainer):
    trainer = each_trainer
    straight = wait_for(trainer, submit(trainer, epochs=8, batch_size=8, seed=5)["id"])
    run = submit(trainer, epochs=8, batch_size=8, seed=5)
    first_epoch(trainer, run["id"])
    httpx.post(f"{trainer.url}/api/runs/{run['id']}/cancel")
    stopped = wait_for(trainer, run["id"])
    assert stopped["status"] == "cancelled" and stopped["epochs_done"] < 8
    resumed = httpx.post(f"{trainer.url}/api/runs/{run['id']}/resume")
    assert resumed.status_code == 200 and resumed.json()["status"] == "queued"
    final = wait_for(trainer, run["id"])
    assert final["status"] == "completed"
    assert [h["epoch"] for h in final["history"]] == list(range(1, 9))
    for ours, theirs in zip(final["history"], straight["history"], strict=True):
        for key in ("loss", "val_loss", "accuracy"):
            assert math.isclose(ours[key], theirs[key], rel_tol=1e-4), (ours, theirs)
    assert httpx.post(f"{trainer.url}/api/runs/{run['id']}/resume").status_code == 409


def test_a_crashed_server_leaves_runs_interrupted_and_resumable(tmp_path, backend):
    live = LiveServer(tmp_path / "data", backend=backend, WORKERS="1").start()
    try:
        run = submit(live, epochs=40, batch_size=16)
        first_epoch(live, run["id"])
        live.stop(signal.SIGKILL)
        live.start()
        interrupted = httpx.get(f"{live.url}/api/runs/{run['id']}").json()
        assert interrupted["status"] == "interrupted" and interrupted["epochs_done"] >= 1
        assert httpx.post(f"{live.url}/api/runs/{run['id']}/resume").status_code == 200
        final = wait_for(live, run["id"])
        assert final["status"] == "completed" and len(final["history"]) == 40
    finally:
        live.stop()


def test_deleting_a_running_run_stops_it_and_removes_its_files(each_trainer):
    trainer = each_trainer
    run = submit(trainer, epochs=1000, batch_size=8)
    first_epoch(trainer, run["id"])
    folder = trainer.data_dir / "runs" / str(run["id"])
    assert folder.exists()
    assert httpx.delete(f"{trainer.url}/api/runs/{run['id']}", timeout=30).status_code == 204
    assert httpx.get(f"{trainer.url}/api/runs/{run['id']}").status_code == 404
    assert not folder.exists()
    after = wait_for(trainer, submit(trainer, epochs=1)["id"])  # the worker is free again
    assert after["status"] == "completed"
