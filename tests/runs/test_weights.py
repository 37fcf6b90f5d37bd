"""GET /api/runs/{id}/weights (app/runs/weights.py): each epoch's weight and bias histograms
of every layer, as trained for real by the worker: every parameter in one bin, one entry per
epoch per layer, each epoch once after a resume, on SQLite and PostgreSQL; a run not trained
yet has none, an epoch it lacks is a 404 that says which it has, another user's run a 404."""

from __future__ import annotations

import math

import httpx
import pytest
from sqlmodel import Session

from app.models import RunStatus, RunWeights
from app.models.run_weights import BINS
from app.runs import state
from tests.helpers.accounts import admin, member, objects
from tests.helpers.runs import first_epoch, submit, wait_for
from tests.helpers.web import queue_run

# mlp([8, 8]) on the digits: Flatten, Dense(64) on 64 inputs, Dense(10)
SHAPES = {1: {"kernel": [64, 64], "bias": [64]}, 2: {"kernel": [64, 10], "bias": [10]}}
PARAMS = {1: 64 * 64 + 64, 2: 64 * 10 + 10}


def weights(server, run_id: int, epoch: int | None = None) -> httpx.Response:
    query = "" if epoch is None else f"?epoch={epoch}"
    return httpx.get(f"{server.url}/api/runs/{run_id}/weights{query}")


def check_epoch(answer: dict) -> None:
    """Each layer with weights once, each of its arrays' bins adding up to its size."""
    assert answer["bins"] == BINS and answer["layers_left_out"] == 0
    assert [(layer["index"], layer["type"]) for layer in answer["layers"]] == [
        (1, "Dense"), (2, "Dense")
    ]  # fmt: skip
    for layer in answer["layers"]:
        arrays = {w["name"]: w for w in layer["weights"]}
        assert {n: w["shape"] for n, w in arrays.items()} == SHAPES[layer["index"]]
        for w in arrays.values():
            assert len(w["counts"]) == BINS and w["nonfinite"] == 0
            assert sum(w["counts"]) == math.prod(w["shape"]) and w["min"] < w["max"]
        assert sum(sum(w["counts"]) for w in arrays.values()) == PARAMS[layer["index"]]


@pytest.mark.keras
def test_every_epoch_records_each_layers_kernel_and_bias_histograms(each_trainer):
    trainer = each_trainer
    run = wait_for(trainer, submit(trainer, epochs=3, batch_size=64)["id"])
    assert run["status"] == "completed", run["error"]
    latest = weights(trainer, run["id"])
    assert latest.status_code == 200, latest.text
    assert latest.json()["epochs"] == [1, 2, 3] and latest.json()["epoch"] == 3
    answers = [weights(trainer, run["id"], epoch).json() for epoch in (1, 2, 3)]
    for epoch, answer in enumerate(answers, start=1):
        assert answer["epoch"] == epoch
        check_epoch(answer)
    assert answers[2] == latest.json()
    assert answers[0]["layers"] != answers[2]["layers"]  # training moved the weights
    missing = weights(trainer, run["id"], 4)
    assert missing.status_code == 404
    assert "no weight histograms for epoch 4 (it has epochs 1 to 3)" in missing.json()["detail"]
    # The run's own record and its stream stay as small as before.
    assert "weights" not in str(httpx.get(f"{trainer.url}/api/runs/{run['id']}").json())


@pytest.mark.keras
def test_a_resumed_run_has_each_epochs_histograms_once_as_if_never_stopped(trainer):
    straight = wait_for(trainer, submit(trainer, epochs=8, batch_size=8, seed=3)["id"])
    run = submit(trainer, epochs=8, batch_size=8, seed=3)
    first_epoch(trainer, run["id"])
    httpx.post(f"{trainer.url}/api/runs/{run['id']}/cancel")
    stopped = wait_for(trainer, run["id"])
    assert stopped["status"] == "cancelled" and stopped["epochs_done"] < 8
    done = stopped["epochs_done"]
    assert weights(trainer, run["id"]).json()["epochs"] == list(range(1, done + 1))
    assert httpx.post(f"{trainer.url}/api/runs/{run['id']}/resume").status_code == 200
    assert wait_for(trainer, run["id"])["status"] == "completed"
    assert weights(trainer, run["id"]).json()["epochs"] == list(range(1, 9))
    for epoch in range(1, 9):
        ours = weights(trainer, run["id"], epoch).json()["layers"]
        theirs = weights(trainer, straight["id"], epoch).json()["layers"]
        for mine, other in zip(ours, theirs, strict=True):
            for a, b in zip(mine["weights"], other["weights"], strict=True):
                assert a["min"] == pytest.approx(b["min"], rel=1e-4, abs=1e-6), (epoch, a, b)
                assert a["max"] == pytest.approx(b["max"], rel=1e-4, abs=1e-6), (epoch, a, b)


def test_a_run_not_trained_yet_has_no_histograms(client):
    run = queue_run(client)
    answer = client.get(f"/api/runs/{run['id']}/weights")
    assert answer.status_code == 200
    assert answer.json() == {"run_id": run["id"], "epochs": [], "epoch": None, "bins": BINS,
                             "layers": [], "layers_left_out": 0}  # fmt: skip
    missing = client.get(f"/api/runs/{run['id']}/weights?epoch=1")
    assert missing.status_code == 404 and "(it has none yet)" in missing.json()["detail"]
    assert client.get(f"/api/runs/{run['id']}/weights?epoch=0").status_code == 422
    assert client.get("/api/runs/999/weights").status_code == 404


@pytest.mark.both_databases
def test_deleting_a_run_deletes_its_histograms(client):
    run_id = queue_run(client)["id"]
    engine = client.app.state.engine
    assert state.claim_next(engine, "test-worker") == run_id
    summary = {"layers": [], "layers_left_out": 0}
    assert state.record_epoch(engine, run_id, 1, {"loss": 1.0}, weights=summary)
    assert client.get(f"/api/runs/{run_id}/weights").json()["epochs"] == [1]
    state.finish(engine, run_id, RunStatus.CANCELLED)
    assert client.delete(f"/api/runs/{run_id}").status_code == 204
    with Session(engine) as session:
        assert session.get(RunWeights, (run_id, 1)) is None


def test_another_users_run_histograms_are_a_404(accounts):
    boss = admin(accounts)
    alice = member(accounts, boss, "alice@example.com")
    bob = member(accounts, boss, "bob@example.com")
    run_id = objects(accounts, alice)["run_id"]
    for query in ("", "?epoch=1"):
        url = f"/api/runs/{run_id}/weights{query}"
        assert accounts.get(url, headers=bob.headers).status_code == 404
    assert accounts.get(f"/api/runs/{run_id}/weights", headers=alice.headers).status_code == 200
