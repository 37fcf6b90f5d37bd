"""app/runs/epochs.py: an epoch and its checkpoint count together or not at all, and a resume
starts from the last committed epoch whose checkpoint is there. The database and DATA_DIR
only (checkpoints here are any bytes): what both executors rely on, without Keras."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import Session, select

from app.models import Run, RunStatus, RunWeights
from app.runs import epochs, state
from app.storage import DiskFull
from tests.helpers.faults import FullFile
from tests.helpers.web import queue_run

pytestmark = pytest.mark.both_databases

LOGS = {"loss": 1.0, "val_loss": 1.1}


@pytest.fixture
def running(client) -> int:
    """A claimed run (running on "test-worker"), nothing trained yet."""
    run_id = queue_run(client)["id"]
    assert state.claim_next(client.app.state.engine, "test-worker") == run_id
    return run_id


def commit(client, run_id: int, epoch: int, data: bytes | None = None, **kwargs) -> bool:
    engine, paths = client.app.state.engine, client.app.state.settings.paths
    checkpoint = f"after epoch {epoch}".encode() if data is None else data
    return epochs.commit_epoch(engine, paths, run_id, epoch, LOGS, checkpoint, **kwargs)


def files(client, run_id: int) -> list[str]:
    folder = client.app.state.settings.paths.run(run_id)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def row(client, run_id: int) -> Run:
    with Session(client.app.state.engine) as session:
        run = session.get(Run, run_id)
    assert run is not None
    return run


def history(client, run_id: int) -> list[int]:
    with Session(client.app.state.engine) as session:
        return [h["epoch"] for h in state.history(session, run_id)]


def test_each_epoch_keeps_its_checkpoint_and_drops_the_one_before(client, running):
    assert commit(client, running, 1) and files(client, running) == ["checkpoint-1.npz"]
    assert commit(client, running, 2) and files(client, running) == ["checkpoint-2.npz"]
    assert row(client, running).epochs_done == 2 and history(client, running) == [1, 2]
    path = client.app.state.settings.paths.checkpoint(running, 2)
    assert path.read_bytes() == b"after epoch 2"


@pytest.mark.parametrize(
    ("epoch", "why"), [(2, "already committed"), (4, "a gap"), (3, "another attempt")]
)
def test_an_epoch_the_run_does_not_expect_changes_nothing(client, running, epoch, why):
    commit(client, running, 1)
    commit(client, running, 2)
    attempt = {"attempt": 7} if why == "another attempt" else {}
    assert not commit(client, running, epoch, b"stale", **attempt)
    assert files(client, running) == ["checkpoint-2.npz"]
    assert client.app.state.settings.paths.checkpoint(running, 2).read_bytes() == b"after epoch 2"
    assert row(client, running).epochs_done == 2 and history(client, running) == [1, 2]


def test_a_run_that_ended_takes_no_more_epochs(client, running):
    commit(client, running, 1)
    state.finish(client.app.state.engine, running, RunStatus.CANCELLED)
    assert not commit(client, running, 2)
    assert files(client, running) == ["checkpoint-1.npz"]
    assert history(client, running) == [1]


def test_a_checkpoint_the_disk_cannot_hold_commits_nothing(client, running, monkeypatch):
    commit(client, running, 1)

    real_open = open

    def open_full(file, mode="r", *args, **kwargs):
        if "checkpoint-2" in str(file):
            Path(file).write_bytes(b"PK\x03\x04 half a checkpoint")  # what fitted
            return FullFile()
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(epochs, "open", open_full, raising=False)
    with pytest.raises(DiskFull, match="the checkpoint of epoch 2 could not be written"):
        commit(client, running, 2)
    assert files(client, running) == ["checkpoint-1.npz"]  # nor a half-written file
    assert row(client, running).epochs_done == 1 and history(client, running) == [1]


def test_a_crash_between_the_file_and_the_commit_resumes_from_the_epoch_before(
    client, running, monkeypatch
):
    engine, paths = client.app.state.engine, client.app.state.settings.paths
    commit(client, running, 1)

    class Crash(BaseException):
        pass

    def crash(*args, **kwargs):
        raise Crash

    with monkeypatch.context() as patched:
        patched.setattr(state, "record_epoch", crash)
        with pytest.raises(Crash):
            commit(client, running, 2)
    assert files(client, running) == ["checkpoint-1.npz", "checkpoint-2.npz"]
    assert row(client, running).epochs_done == 1 and history(client, running) == [1]
    assert epochs.resume_point(engine, paths, row(client, running)) == (1, b"after epoch 1")
    assert commit(client, running, 2, b"again") and files(client, running) == ["checkpoint-2.npz"]
    assert paths.checkpoint(running, 2).read_bytes() == b"again"


def test_an_epoch_without_a_checkpoint_is_resumed_from_the_last_one_with_one(client, running):
    engine, paths = client.app.state.engine, client.app.state.settings.paths
    commit(client, running, 1)
    assert epochs.commit_epoch(engine, paths, running, 2, LOGS, None)
    assert files(client, running) == ["checkpoint-1.npz"] and history(client, running) == [1, 2]
    assert epochs.resume_point(engine, paths, row(client, running)) == (1, b"after epoch 1")
    assert row(client, running).epochs_done == 1 and history(client, running) == [1]


def test_a_run_whose_checkpoint_is_gone_starts_again_from_scratch(client, running):
    engine, paths = client.app.state.engine, client.app.state.settings.paths
    commit(client, running, 1)
    paths.checkpoint(running, 1).unlink()
    assert epochs.resume_point(engine, paths, row(client, running)) == (0, None)
    assert row(client, running).epochs_done == 0 and history(client, running) == []


def test_a_run_checkpointed_before_per_epoch_names_resumes_from_its_checkpoint_npz(client, running):
    engine, paths = client.app.state.engine, client.app.state.settings.paths
    commit(client, running, 1)
    paths.checkpoint(running, 1).unlink()
    buffer = io.BytesIO()
    np.savez(buffer, epoch=np.array(1), w0=np.zeros(3))
    paths.legacy_checkpoint(running).write_bytes(buffer.getvalue())
    assert epochs.resume_point(engine, paths, row(client, running)) == (1, buffer.getvalue())
    assert commit(client, running, 2) and files(client, running) == ["checkpoint-2.npz"]


def weights_of(epoch: int) -> dict:
    return {"layers": [{"index": 1, "name": "dense", "type": "Dense", "weights": [
        {"name": "bias", "shape": [2], "min": 0.0, "max": float(epoch), "counts": [1, 1],
         "nonfinite": 0}]}], "layers_left_out": 0}  # fmt: skip


def weight_epochs(client, run_id: int) -> list[int]:
    with Session(client.app.state.engine) as session:
        rows = session.exec(select(RunWeights).where(RunWeights.run_id == run_id)).all()
    return sorted(r.epoch for r in rows)


def test_weight_histograms_count_with_their_epoch_and_go_back_with_a_rewind(client, running):
    """Committed in the epoch's own transaction: a refused epoch leaves none, a resume that
    goes back drops the later ones, and re-training them records each epoch once."""
    engine, paths = client.app.state.engine, client.app.state.settings.paths
    assert commit(client, running, 1, weights=weights_of(1))
    assert not commit(client, running, 1, b"stale", weights=weights_of(9))
    assert not commit(client, running, 2, b"stale", attempt=7, weights=weights_of(9))
    assert epochs.commit_epoch(engine, paths, running, 2, LOGS, None, weights=weights_of(2))
    assert weight_epochs(client, running) == [1, 2]
    assert epochs.resume_point(engine, paths, row(client, running)) == (1, b"after epoch 1")
    assert weight_epochs(client, running) == [1]
    assert commit(client, running, 2, weights=weights_of(2))
    assert weight_epochs(client, running) == [1, 2]
    with Session(engine) as session:
        assert session.get(RunWeights, (running, 1)).histograms == weights_of(1)
