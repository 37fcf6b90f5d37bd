"""A run trained as a local worker trains it (app/executors/local_job.py `train_run`: claimed,
then trained here, in the test process), cut by a crash between writing an epoch's
checkpoint and committing the epoch: it is left resumable from the epoch before, with
exactly that many epochs in its history, and resumed it ends as an uninterrupted run."""

from __future__ import annotations

import math
import warnings

import pytest

from app.models import RunStatus
from app.runs import state
from tests.helpers.stacks import mlp

pytestmark = [pytest.mark.keras, pytest.mark.both_databases]

# Digits, an MLP: early stopping after 16 of 40 epochs, the learning rate lowered on the way
# (tests/ml/test_training.py shows both).
FIT = {
    "epochs": 40,
    "seed": 3,
    "batch_size": 64,
    "early_stopping": {"patience": 3, "min_delta": 0.05, "restore_best_weights": True},
    "reduce_lr_on_plateau": {"patience": 1, "factor": 0.5, "min_delta": 0.05},
}
CRASH_AT = 14


class Crash(BaseException):
    """The worker process dying (it is no Exception: nothing in the worker handles it)."""


def queue(client) -> int:
    answer = client.post("/api/runs", json={"architecture": mlp(), "dataset_id": 1, "fit": FIT})
    assert answer.status_code == 202, answer.text
    return answer.json()["id"]


def train_next(client, run_id: int) -> RunStatus | None:
    """Claim the run as the local worker does and train it here; what train_run says."""
    from app.executors.local_job import train_run  # Keras: only once a test asks

    engine, paths = client.app.state.engine, client.app.state.settings.paths
    assert state.claim_next(engine, "test-worker") == run_id
    with warnings.catch_warnings():  # printed in a worker, not raised: Keras's own warnings
        warnings.simplefilter("default")
        return train_run(engine, paths, run_id, lambda: False)


def run_files(client, run_id: int) -> list[str]:
    return sorted(p.name for p in client.app.state.settings.paths.run(run_id).iterdir())


def test_a_crash_between_checkpoint_and_commit_resumes_as_if_never_cut(keras, client, monkeypatch):
    straight = queue(client)
    train_next(client, straight)
    expected = client.get(f"/api/runs/{straight}").json()
    assert expected["status"] == "completed" and CRASH_AT < len(expected["history"]) < 40

    record_epoch = state.record_epoch

    def crash_at(engine, run_id, epoch, logs, **kwargs):
        if epoch == CRASH_AT:
            raise Crash  # the checkpoint of CRASH_AT is on disk, the epoch not committed
        return record_epoch(engine, run_id, epoch, logs, **kwargs)

    cut = queue(client)
    with monkeypatch.context() as patched, pytest.raises(Crash):
        patched.setattr(state, "record_epoch", crash_at)
        train_next(client, cut)
    state.interrupt_running(client.app.state.engine)  # as the server's next start does
    stopped = client.get(f"/api/runs/{cut}").json()
    assert stopped["status"] == "interrupted" and stopped["epochs_done"] == CRASH_AT - 1
    assert [h["epoch"] for h in stopped["history"]] == list(range(1, CRASH_AT))
    assert run_files(client, cut) == [
        f"checkpoint-{CRASH_AT - 1}.npz",
        f"checkpoint-{CRASH_AT}.npz",
    ]

    assert client.post(f"/api/runs/{cut}/resume").status_code == 200
    train_next(client, cut)
    final = client.get(f"/api/runs/{cut}").json()
    assert final["status"] == "completed"
    assert len(final["history"]) == len(expected["history"])  # stopped at the same epoch
    for ours, theirs in zip(final["history"], expected["history"], strict=True):
        for key in ("loss", "val_loss", "learning_rate"):
            assert math.isclose(ours[key], theirs[key], rel_tol=1e-6), (ours, theirs, key)
    assert final["confusion"] == expected["confusion"]
    last = len(final["history"])
    assert run_files(client, cut) == [f"checkpoint-{last}.npz", "model.keras"]
    assert final["size_bytes"] == sum(
        p.stat().st_size for p in client.app.state.settings.paths.run(cut).iterdir()
    )
    model = client.get(f"/api/runs/{cut}/model.keras")
    assert model.status_code == 200 and model.content[:2] == b"PK"


def test_a_run_ended_elsewhere_while_it_trains_stops_at_its_next_epoch(keras, client, monkeypatch):
    """Marked interrupted under its worker (a server stopping): the next epoch is not taken,
    training stops there, and the worker leaves the run as it found it."""
    run_id = queue(client)
    record_epoch = state.record_epoch

    def interrupt_after_two(engine, run_id, epoch, logs, **kwargs):
        recorded = record_epoch(engine, run_id, epoch, logs, **kwargs)
        if epoch == 2:
            state.interrupt_running(engine)
        return recorded

    monkeypatch.setattr(state, "record_epoch", interrupt_after_two)
    assert train_next(client, run_id) is None
    run = client.get(f"/api/runs/{run_id}").json()
    assert run["status"] == "interrupted" and [h["epoch"] for h in run["history"]] == [1, 2]
    assert run_files(client, run_id) == ["checkpoint-2.npz"]
