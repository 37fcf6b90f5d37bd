"""Sweeps trained for real on the built-in digits: a 4-run sweep completes and is ranked by
its runs' best val_accuracy; cancelling and deleting a sweep that is training stops and
removes its runs; and with two workers, two runs of one sweep train at the same time."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.helpers.live_server import LiveServer
from tests.helpers.runs import WAIT_S, first_epoch, wait_for
from tests.helpers.stacks import mlp

pytestmark = pytest.mark.keras

GRID = {"compile.optimizer.learning_rate": [0.01, 0.0001], "layers[1].args.units": [8, 32]}


def start_sweep(server: LiveServer, grid=None, epochs: int = 2) -> dict:
    base = {"architecture": mlp([8, 8]), "dataset_id": 1, "fit": {"epochs": epochs, "seed": 1}}
    answer = httpx.post(f"{server.url}/api/sweeps", json={"base": base, "grid": grid or GRID})
    assert answer.status_code == 202, answer.text
    return answer.json()


def wait_for_sweep(server: LiveServer, sweep_id: int, timeout: float = 4 * WAIT_S) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sweep = httpx.get(f"{server.url}/api/sweeps/{sweep_id}").json()
        if not sweep["active"]:
            return sweep
        time.sleep(0.2)
    raise AssertionError(f"sweep {sweep_id} still going after {timeout} s: {sweep['statuses']}")


def test_a_four_run_sweep_on_the_digits_completes_ranked_by_val_accuracy(trainer):
    sweep = start_sweep(trainer)
    assert sweep["run_count"] == 4
    done = wait_for_sweep(trainer, sweep["id"])
    assert done["statuses"] == {"completed": 4} and done["metric"] == "val_accuracy"
    runs = done["runs"]
    assert [r["rank"] for r in runs] == [1, 2, 3, 4]
    values = [r["best"] for r in runs]
    assert values == sorted(values, reverse=True) and done["best"] == values[0]
    assert done["best_run_id"] == runs[0]["id"]
    for run in runs:  # each run's best is its history's best validation accuracy
        history = httpx.get(f"{trainer.url}/api/runs/{run['id']}").json()["history"]
        assert len(history) == 2 and run["epochs_done"] == 2
        assert run["best"] == max(e["val_accuracy"] for e in history)
        assert run["test_metrics"]["accuracy"] > 0
    # Adam at 0.01 learns the digits in 2 epochs far better than at 0.0001.
    assert runs[0]["params"]["compile.optimizer.learning_rate"] == 0.01
    assert runs[-1]["params"]["compile.optimizer.learning_rate"] == 0.0001


def test_cancel_then_delete_a_training_sweep(trainer):
    sweep = start_sweep(trainer, {"fit.batch_size": [8, 16, 32]}, epochs=1000)
    first = min(r["id"] for r in sweep["runs"])
    first_epoch(trainer, first)  # one trains, two wait
    answer = httpx.post(f"{trainer.url}/api/sweeps/{sweep['id']}/cancel")
    assert answer.status_code == 200, answer.text
    for run in sweep["runs"]:
        assert wait_for(trainer, run["id"])["status"] == "cancelled"
    assert wait_for_sweep(trainer, sweep["id"])["statuses"] == {"cancelled": 3}
    assert httpx.delete(f"{trainer.url}/api/sweeps/{sweep['id']}").status_code == 204
    for run in sweep["runs"]:
        assert httpx.get(f"{trainer.url}/api/runs/{run['id']}").status_code == 404
    # the worker is free for the next run
    after = start_sweep(trainer, {"fit.batch_size": [16]}, epochs=1)
    assert wait_for_sweep(trainer, after["id"])["statuses"] == {"completed": 1}
    assert httpx.delete(f"{trainer.url}/api/sweeps/{after['id']}").status_code == 204


def test_deleting_a_training_sweep_stops_its_runs(trainer):
    sweep = start_sweep(trainer, {"fit.batch_size": [8, 16]}, epochs=1000)
    first_epoch(trainer, min(r["id"] for r in sweep["runs"]))
    started = time.monotonic()
    assert httpx.delete(f"{trainer.url}/api/sweeps/{sweep['id']}", timeout=30).status_code == 204
    assert time.monotonic() - started < 10
    assert httpx.get(f"{trainer.url}/api/sweeps/{sweep['id']}").status_code == 404
    for run in sweep["runs"]:
        assert httpx.get(f"{trainer.url}/api/runs/{run['id']}").status_code == 404
    # the worker was freed: the next run trains
    after = start_sweep(trainer, {"fit.batch_size": [16]}, epochs=1)
    assert wait_for_sweep(trainer, after["id"])["statuses"] == {"completed": 1}


def test_with_two_workers_a_sweeps_runs_train_side_by_side(tmp_path):
    """Nothing special: the sweep queues its runs, and each free worker takes the next."""
    server = LiveServer(tmp_path / "data", backend="sqlite", WORKERS="2").start()
    try:
        sweep = start_sweep(server, {"fit.batch_size": [8, 16]}, epochs=1000)
        deadline = time.monotonic() + 2 * WAIT_S
        statuses: dict = {}
        while time.monotonic() < deadline and statuses != {"running": 2}:
            time.sleep(0.2)
            statuses = httpx.get(f"{server.url}/api/sweeps/{sweep['id']}").json()["statuses"]
        assert statuses == {"running": 2}
        assert httpx.post(f"{server.url}/api/sweeps/{sweep['id']}/cancel").status_code == 200
        assert wait_for_sweep(server, sweep["id"])["statuses"] == {"cancelled": 2}
    finally:
        server.stop()
