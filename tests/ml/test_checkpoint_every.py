"""Large models are checkpointed every few epochs (app/ml/callbacks.py epochs_between): each
epoch's metrics are still reported, the epochs between carry no checkpoint, the last epoch
always has one, and a run resumed from the last checkpoint ends as an uninterrupted one."""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any

import numpy as np
import pytest
from sqlmodel import Session

import app.ml.callbacks as callbacks
from app.datasets.base import load_split
from app.ml.job import Job
from app.models import Run
from app.paths import SPLITS
from tests.helpers.stacks import mlp

pytestmark = pytest.mark.keras
FIT = {"epochs": 8, "seed": 5, "batch_size": 64}


def test_epochs_between_checkpoints_grow_with_their_size() -> None:
    limit = callbacks.CHECKPOINT_BYTES
    assert [callbacks.epochs_between(s) for s in (1, limit, limit + 1, 10 * limit)] == [1, 1, 2, 10]


class Sink:
    def __init__(self) -> None:
        self.epochs: list[tuple[int, dict[str, float], bytes | None]] = []

    def is_cancelled(self) -> bool:
        return False

    def progress(self, progress: dict[str, Any]) -> None:
        pass

    def epoch(
        self, epoch: int, logs: dict[str, float], checkpoint: bytes | None, weights=None
    ) -> None:
        self.epochs.append((epoch, logs, checkpoint))


def train_here(job: Job, arrays: Any, sink: Sink) -> None:
    from app.ml.training import train

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        train(job, arrays, sink)


def test_a_large_model_is_checkpointed_every_few_epochs_and_resumes_the_same(
    client, keras, monkeypatch
) -> None:
    monkeypatch.setattr(callbacks, "epochs_between", lambda size: 3)  # as for a large model
    queued = client.post("/api/runs", json={"architecture": mlp(), "dataset_id": 1, "fit": FIT})
    assert queued.status_code == 202, queued.text
    with Session(client.app.state.engine) as session:
        run = session.get(Run, queued.json()["id"])
    assert run is not None and run.id is not None
    folder = client.app.state.settings.paths.dataset(1)
    arrays = {s: tuple(np.array(a) for a in load_split(folder, s)) for s in SPLITS}  # type: ignore[union-attr]
    job = Job(run.id, 1, run.stack, run.fit, run.preprocessing)

    whole = Sink()
    train_here(job, arrays, whole)
    kept = [epoch for epoch, _, state in whole.epochs if state is not None]
    assert [e for e, _, _ in whole.epochs] == list(range(1, 9)) and kept == [1, 3, 6, 8]

    # Lost during epoch 8: it goes back to epoch 6, the last with a checkpoint.
    _, _, state = whole.epochs[5]
    again = Sink()
    train_here(dataclasses.replace(job, attempt=2, start_epoch=6, checkpoint=state), arrays, again)
    assert [e for e, _, _ in again.epochs] == [7, 8]
    for (_, ours, _), (_, theirs, _) in zip(again.epochs, whole.epochs[6:], strict=True):
        for key in ("loss", "val_loss", "accuracy"):
            assert math.isclose(ours[key], theirs[key], rel_tol=1e-6), key
