"""A training run that finds the disk full ends `failed` with a message in words (what could
not be written, what is kept, what to do), keeps its last good checkpoint whole, leaves no
half-written file, and the database stays intact.

The run trains here, in the test process (Keras imported once per session), as a worker
would train it: claimed from the queue, then app.executors.local_job.train_run. The faults
are injected at the write call, or met for real on a small file system where one can be
mounted."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.runs import state
from tests.helpers.faults import FullFile, fill, integrity, no_space, small_filesystem
from tests.helpers.stacks import mlp

pytestmark = pytest.mark.keras
EPOCHS = 3


def train_here(client: TestClient, settings: Settings) -> dict:
    """Queue an MLP on the built-in digits, train it in this process; the run as the API
    shows it afterwards."""
    from app.executors.local_job import train_run  # Keras: only once a test asks

    body = {"architecture": mlp(), "dataset_id": 1, "fit": {"epochs": EPOCHS, "seed": 1}}
    queued = client.post("/api/runs", json=body)
    assert queued.status_code == 202, queued.text
    run_id = queued.json()["id"]
    engine = make_engine(settings.db_url)
    try:
        assert state.claim_next(engine, "test-worker") == run_id
        # As in a worker process, warnings are printed, not raised: a fit warns about its
        # tf.data input and NumPy 2's copy keyword, which is Keras's business, not this test's.
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            train_run(engine, settings.paths, run_id, lambda: False)
    finally:
        engine.dispose()
    return client.get(f"/api/runs/{run_id}").json()


def checkpoint_epoch(settings: Settings, run_id: int, epoch: int) -> int:
    """The epoch checkpoint `epoch` holds, after reading every array in it (a broken zip or
    a bad CRC fails here)."""
    with np.load(settings.paths.checkpoint(run_id, epoch)) as data:
        arrays = {key: data[key] for key in data.files}
    return int(arrays["epoch"])


def run_files(settings: Settings, run_id: int) -> list[str]:
    return sorted(p.name for p in settings.paths.run(run_id).iterdir())


def assert_database_intact(client: TestClient, settings: Settings) -> None:
    assert integrity(settings.paths.database) == "ok"
    assert client.get("/api/runs").status_code == 200
    assert client.get("/api/datasets").status_code == 200


@pytest.fixture
def app_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def full_on(epoch: int, real: Callable) -> Callable:
    """open, for app.runs.epochs: the file of checkpoint `epoch` takes part of what is
    written to it and then finds the disk full."""

    def open_full(file, mode="r", *args, **kwargs):
        if f"checkpoint-{epoch}.npz" not in str(file):
            return real(file, mode, *args, **kwargs)
        Path(file).write_bytes(b"PK\x03\x04 half a checkpoint")
        return FullFile()

    return open_full


def test_a_checkpoint_the_disk_cannot_hold_fails_the_run_and_keeps_the_last_one(
    keras, app_client, settings, monkeypatch
):
    from app.runs import epochs

    monkeypatch.setattr(epochs, "open", full_on(2, open), raising=False)
    run = train_here(app_client, settings)
    assert run["status"] == "failed"
    assert run["error"] == (
        "The server's disk is full: the checkpoint of epoch 2 could not be written. Training "
        "stopped after epoch 1; its metrics and checkpoint are kept. Free space in DATA_DIR or "
        "ask the admin, then try again."
    )
    assert [h["epoch"] for h in run["history"]] == [1]
    assert run_files(settings, run["id"]) == ["checkpoint-1.npz"]  # no half-written file
    assert checkpoint_epoch(settings, run["id"], 1) == 1
    assert_database_intact(app_client, settings)


def test_a_model_the_disk_cannot_hold_fails_the_run_and_leaves_no_model(
    keras, app_client, settings, monkeypatch
):
    def save_then_full(self, filepath, *args, **kwargs):
        Path(filepath).write_bytes(b"PK\x03\x04 half a model")
        raise no_space()

    monkeypatch.setattr(keras.Model, "save", save_then_full)
    run = train_here(app_client, settings)
    assert run["status"] == "failed"
    assert run["error"].startswith(
        "The server's disk is full: the trained model (model.keras) could not be written. "
        "Every epoch's metrics and the last epoch's checkpoint are kept."
    )
    assert len(run["history"]) == EPOCHS
    assert run_files(settings, run["id"]) == [f"checkpoint-{EPOCHS}.npz"]
    assert checkpoint_epoch(settings, run["id"], EPOCHS) == EPOCHS
    assert app_client.get(f"/api/runs/{run['id']}/model.keras").status_code == 409
    assert_database_intact(app_client, settings)


@pytest.mark.parametrize(
    ("full_after", "what"),
    [(1, "the checkpoint of epoch 2"), (EPOCHS, "the trained model (model.keras)")],
)
def test_a_real_full_disk_mid_training_fails_the_run_and_keeps_its_checkpoint(
    keras, tmp_path, monkeypatch, full_after, what
):
    """DATA_DIR on a small file system that fills up once epoch `full_after` is recorded;
    the database elsewhere, so the run can say what happened."""
    record_epoch = state.record_epoch

    def record_then_fill(engine, run_id, epoch, logs, **kwargs):
        recorded = record_epoch(engine, run_id, epoch, logs, **kwargs)
        if epoch == full_after:
            fill(settings.data_dir)
        return recorded

    monkeypatch.setattr(state, "record_epoch", record_then_fill)
    with small_filesystem(tmp_path / "data", "8m") as data_dir:
        database = f"sqlite:///{tmp_path / 'layerstack.db'}"
        settings = Settings(data_dir=data_dir, database_url=database, workers=0, predictors=0)
        with TestClient(create_app(settings)) as client:
            run = train_here(client, settings)
            assert run["status"] == "failed"
            assert run["error"].startswith(f"The server's disk is full: {what} could not be")
            assert len(run["history"]) == full_after
            assert run_files(settings, run["id"]) == [f"checkpoint-{full_after}.npz"]
            (data_dir / "filler").unlink()
            assert checkpoint_epoch(settings, run["id"], full_after) == full_after
            assert client.get("/api/runs").status_code == 200
        assert integrity(tmp_path / "layerstack.db") == "ok"
