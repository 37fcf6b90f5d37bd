"""app/ml/training.py `train`: a Job, arrays and a Sink in, an Outcome out, in this process.

A run interrupted mid-way and resumed from the checkpoint bytes it reported ends exactly as
an uninterrupted one: the same losses, the same learning rates (ReduceLROnPlateau's wait and
cooldown carried over) and the same stopping epoch (EarlyStopping's patience and best weights
carried over). And `train` needs no database and no DATA_DIR: it imports neither, and opens
nothing under DATA_DIR while it trains."""

from __future__ import annotations

import ast
import dataclasses
import math
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlmodel import Session

from app.datasets.base import load_split
from app.ml.job import Arrays, Job, Outcome
from app.models import Run
from app.paths import SPLITS
from tests.helpers.stacks import mlp

pytestmark = pytest.mark.keras

REPO = Path(__file__).resolve().parents[2]
# Digits, an MLP: early stopping after 16 of 40 epochs, the learning rate halved after epochs
# 12, 14 and 15; at epoch 14 EarlyStopping has waited 2 epochs and ReduceLROnPlateau 1.
FIT = {
    "epochs": 40,
    "seed": 3,
    "batch_size": 64,
    "early_stopping": {"patience": 3, "min_delta": 0.05, "restore_best_weights": True},
    "reduce_lr_on_plateau": {"patience": 1, "factor": 0.5, "min_delta": 0.05},
}
KEYS = ("loss", "val_loss", "accuracy", "val_accuracy", "learning_rate")


class Interrupted(Exception):
    """What the test sink raises to stop a run, as a lost worker would stop it."""


class MemorySink:
    """Keeps what `train` reports; raises Interrupted instead of taking epoch `stop_at`."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.stop_at = stop_at
        self.epochs: list[tuple[int, dict[str, float], bytes | None]] = []
        self.progress_reports = 0

    def is_cancelled(self) -> bool:
        return False

    def progress(self, progress: dict[str, Any]) -> None:
        self.progress_reports += 1

    def epoch(
        self, epoch: int, logs: dict[str, float], checkpoint: bytes | None, weights=None
    ) -> None:
        if epoch == self.stop_at:
            raise Interrupted
        self.epochs.append((epoch, logs, checkpoint))


@pytest.fixture
def job(client) -> tuple[Job, Arrays]:
    """A run queued through the API (digits, an MLP, FIT), as a Job; its dataset's arrays
    copied into memory, so nothing `train` reads is a file under DATA_DIR."""
    body = {"architecture": mlp(), "dataset_id": 1, "fit": FIT}
    queued = client.post("/api/runs", json=body)
    assert queued.status_code == 202, queued.text
    with Session(client.app.state.engine) as session:
        run = session.get(Run, queued.json()["id"])
    assert run is not None and run.id is not None and run.dataset_id is not None
    folder = client.app.state.settings.paths.dataset(run.dataset_id)
    arrays = {}
    for split in SPLITS:
        x, y = load_split(folder, split)  # type: ignore[misc]
        arrays[split] = (np.array(x), np.array(y))
    return Job(run.id, 1, run.stack, run.fit, run.preprocessing), arrays


def train_here(job: Job, arrays: Arrays, sink: MemorySink) -> Outcome:
    from app.ml.training import train  # Keras: only once a test asks

    # As in a worker process, warnings are printed, not raised: a fit warns about its
    # tf.data input and NumPy 2's copy keyword, which is Keras's business, not this test's.
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        return train(job, arrays, sink)


def resumed(job: Job, sink: MemorySink) -> Job:
    """The job again, from the last epoch `sink` took."""
    epoch, _, checkpoint = sink.epochs[-1]
    return dataclasses.replace(
        job, attempt=job.attempt + 1, start_epoch=epoch, checkpoint=checkpoint
    )


def assert_same_history(ours: list[dict[str, float]], theirs: list[dict[str, float]]) -> None:
    assert len(ours) == len(theirs), "stopped at another epoch"
    for epoch, (a, b) in enumerate(zip(ours, theirs, strict=True), start=1):
        for key in KEYS:
            assert math.isclose(a[key], b[key], rel_tol=1e-6), (epoch, key, a[key], b[key])


def assert_same_results(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert ours["confusion"] == theirs["confusion"]
    epochs = ("stopped_epoch", "best_epoch", "weights_epoch", "restored_best_weights")
    assert {k: ours["early_stopping"][k] for k in epochs} == {
        k: theirs["early_stopping"][k] for k in epochs
    }
    for key, value in theirs["test_metrics"].items():
        assert math.isclose(ours["test_metrics"][key], value, rel_tol=1e-6), key


@pytest.fixture
def straight(keras, job) -> tuple[MemorySink, Outcome]:
    sink = MemorySink()
    return sink, train_here(*job, sink)


def test_the_uninterrupted_run_stops_early_and_lowers_its_learning_rate(straight):
    """What the resume tests below rely on: both callbacks act, and at epoch 14 (where the
    run is cut) both are part-way through waiting."""
    sink, outcome = straight
    rates = [logs["learning_rate"] for _, logs, _ in sink.epochs]
    assert len(sink.epochs) == 16 < FIT["epochs"]
    assert rates[12] == rates[0] / 2 and rates[14] == rates[0] / 4
    assert all(checkpoint for _, _, checkpoint in sink.epochs)
    assert outcome.results["test_metrics"]["accuracy"] > 0.8
    assert outcome.model[:2] == b"PK" and sink.progress_reports >= 1


def test_the_run_records_where_early_stopping_stopped_and_whose_weights_it_kept(straight):
    """Patience 3: the best epoch is the one 3 before the stop (no improvement by 0.05 after
    it); restore_best_weights puts that epoch's weights back, so the model is epoch 13's."""
    sink, outcome = straight
    record = outcome.results["early_stopping"]
    val_loss = {epoch: logs["val_loss"] for epoch, logs, _ in sink.epochs}
    assert record == {
        "monitor": "val_loss",
        "stopped_epoch": 16,
        "best_epoch": 13,
        "best": val_loss[13],
        "restored_best_weights": True,
        "weights_epoch": 13,
    }


@pytest.mark.parametrize("cut", [3, 14, 15])
def test_a_resumed_run_ends_exactly_as_an_uninterrupted_one(job, straight, cut):
    """Cut as epoch `cut` ends (its epoch not taken), resumed from the bytes of `cut - 1`:
    the same epochs, rates and stopping epoch, and the same best weights at the end."""
    first = MemorySink(stop_at=cut)
    with pytest.raises(Interrupted):
        train_here(*job, first)
    assert [e for e, _, _ in first.epochs] == list(range(1, cut))
    second = MemorySink()
    outcome = train_here(resumed(job[0], first), job[1], second)
    both = first.epochs + second.epochs
    assert [e for e, _, _ in both] == list(range(1, len(both) + 1))
    history = [logs for _, logs, _ in both]
    assert_same_history(history, [logs for _, logs, _ in straight[0].epochs])
    assert_same_results(outcome.results, straight[1].results)


def test_a_run_resumed_after_it_stopped_early_trains_no_more_and_keeps_its_best_weights(
    job, straight
):
    """Its last epoch committed, its model not yet saved (the worker lost then): resuming
    trains nothing and ends with the best epoch's weights, as the first time."""
    sink, outcome = straight
    again = MemorySink()
    final = train_here(resumed(job[0], sink), job[1], again)
    assert again.epochs == []
    assert_same_results(final.results, outcome.results)


def test_a_checkpoint_of_another_epoch_than_the_job_says_is_refused(job, straight):
    sink, _ = straight
    wrong = resumed(job[0], sink)
    with pytest.raises(ValueError, match="starts after epoch 3 with a checkpoint of epoch 16"):
        train_here(dataclasses.replace(wrong, start_epoch=3), job[1], MemorySink())


# What the trainer must not import: the database, DATA_DIR's layout, the executors.
NOT_IN_TRAINING = ("sqlalchemy", "sqlmodel", "app.db", "app.runs", "app.paths", "app.executors")
TRAINING = ("training", "callbacks", "checkpoint", "data", "job")


@pytest.mark.parametrize("module", TRAINING)
def test_the_trainer_imports_no_database_and_no_data_dir_layout(module):
    tree = ast.parse((REPO / "app" / "ml" / f"{module}.py").read_text())
    imported = [
        name
        for node in ast.walk(tree)
        for name in (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    ]
    assert [n for n in imported if n.startswith(NOT_IN_TRAINING)] == []


# Paths under watch, and the audited file events (open, listdir, rename, remove, mkdir...)
# that named one. An audit hook cannot be removed: this one does nothing while unwatched.
_watched: list[str] = []
_seen: list[tuple[str, str]] = []


def _audit(event: str, args: tuple) -> None:
    if _watched:
        for arg in args:
            if isinstance(arg, str | bytes | Path) and os.fsdecode(arg).startswith(_watched[0]):
                _seen.append((event, os.fsdecode(arg)))


sys.addaudithook(_audit)


@pytest.fixture
def data_dir_watched(settings) -> Iterator[list[tuple[str, str]]]:
    _seen.clear()
    _watched.append(str(settings.data_dir.resolve()))
    yield _seen
    _watched.clear()


def test_train_touches_nothing_under_data_dir(keras, job, settings, data_dir_watched):
    """A run cut at epoch 3 and resumed: every file event of both is outside DATA_DIR."""
    sink = MemorySink(stop_at=3)
    with pytest.raises(Interrupted):
        train_here(*job, sink)
    train_here(resumed(job[0], sink), job[1], MemorySink())
    assert data_dir_watched == []
    assert not settings.paths.run(job[0].run_id).exists()
    list(settings.paths.datasets.iterdir())  # and the watch does see what happens there
    assert data_dir_watched == [("os.listdir", str(settings.paths.datasets.resolve()))]
