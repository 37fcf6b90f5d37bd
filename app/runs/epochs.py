"""A run's training as the database and DATA_DIR keep it, the same for every executor: the
job it starts (or resumes) from, each epoch committed with its checkpoint, and its end.

An epoch and its checkpoint count together or not at all: the checkpoint's file
(`checkpoint-<n>.npz`) takes its name first, then the epoch is committed with
`epochs_done = n`, then older checkpoints go. A crash in between leaves an extra file and
the previous epoch committed, whose checkpoint is still there: a resume starts from it. The
local worker calls these from its process; the Ray dispatcher calls them with what its
tasks send. No TensorFlow here.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.accounts.quotas import folder_size
from app.datasets.base import load_split
from app.ml.job import Arrays, Job, Outcome
from app.models import Run, RunStatus
from app.paths import SPLITS, DataPaths
from app.runs import state
from app.storage import DiskFull, disk_full_message, is_disk_full, writing

# As app/ml/training.py says it when the model's temporary file does not fit.
MODEL_KEPT = "Every epoch's metrics and the last epoch's checkpoint are kept"


def write_file(path: Path, data: bytes) -> None:
    """`data` under `path`, which names only a whole file, on disk (fsynced) before it is
    named; a failed write removes its partial file, giving back the space it took."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the new name too: an epoch committed after it never lacks its file
    finally:
        os.close(folder)


def _kept(done: int) -> str:
    """What a run keeps when the checkpoint of epoch `done + 1` cannot be written."""
    if not done:
        return "Training stopped before its first epoch was recorded"
    return f"Training stopped after epoch {done}; its metrics and checkpoint are kept"


def commit_epoch(
    engine: Engine,
    paths: DataPaths,
    run_id: int,
    epoch: int,
    logs: dict[str, float],
    checkpoint: bytes | None,
    attempt: int | None = None,
    weights: dict[str, Any] | None = None,
) -> bool:
    """Epoch `epoch` (1-based) with its checkpoint (and its weight histograms, committed in
    the epoch's own transaction), as one step: False, with nothing
    committed or overwritten, when the run no longer takes it (ended, deleted, out of order,
    or another attempt's). Raises DiskFull, in words, when the checkpoint does not fit; the
    previous epoch and its checkpoint stay as they were. An epoch without a checkpoint is
    committed alone, and a resume goes back to the last one that has one (resume_point)."""
    if not _takes(engine, run_id, epoch, attempt):
        return False
    path = paths.checkpoint(run_id, epoch)
    if checkpoint is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with writing(f"the checkpoint of epoch {epoch}", kept=_kept(epoch - 1)):
            write_file(path, checkpoint)
    if not state.record_epoch(engine, run_id, epoch, logs, attempt=attempt, weights=weights):
        # Changed since _takes: the file goes unless the run's own epochs reach it now.
        if checkpoint is not None and _epochs_done(engine, run_id) < epoch:
            path.unlink(missing_ok=True)
        return False
    if checkpoint is not None:
        for older, file in paths.checkpoints(run_id).items():
            if older < epoch:
                file.unlink(missing_ok=True)
        paths.legacy_checkpoint(run_id).unlink(missing_ok=True)
    return True


def _takes(engine: Engine, run_id: int, epoch: int, attempt: int | None) -> bool:
    """Whether state.record_epoch would take this epoch now (checked again as it commits)."""
    with Session(engine) as session:
        run = session.get(Run, run_id)
    return (
        run is not None
        and run.status == RunStatus.RUNNING
        and run.epochs_done == epoch - 1
        and (attempt is None or run.attempt == attempt)
    )


def _epochs_done(engine: Engine, run_id: int) -> int:
    with Session(engine) as session:
        run = session.get(Run, run_id)
    return run.epochs_done if run is not None else -1


def checkpoint_bytes(paths: DataPaths, run_id: int, epoch: int) -> bytes | None:
    """The checkpoint after `epoch` epochs, or None when the run has none for it. A run from
    before per-epoch names has one checkpoint.npz, used when it holds that epoch."""
    path = paths.checkpoint(run_id, epoch)
    if path.exists():
        return path.read_bytes()
    legacy = paths.legacy_checkpoint(run_id)
    if legacy.exists():
        with np.load(legacy) as npz:
            if int(npz["epoch"]) == epoch:
                return legacy.read_bytes()
    return None


def resume_point(engine: Engine, paths: DataPaths, run: Run) -> tuple[int, bytes | None]:
    """Where a claimed run starts: (epochs_done, its checkpoint), or from scratch. Should the
    checkpoint of epochs_done be missing (an epoch committed without one, a file removed),
    the run goes back to the last epoch that has one (or to none), dropping later rows."""
    assert run.id is not None
    done = run.epochs_done
    for epoch in sorted({done, *paths.checkpoints(run.id)}, reverse=True):
        if 0 < epoch <= done and (data := checkpoint_bytes(paths, run.id, epoch)) is not None:
            if epoch < done:
                state.rewind(engine, run.id, epoch)
            return epoch, data
    if done:
        state.rewind(engine, run.id, 0)
    return 0, None


def load_run(engine: Engine, run_id: int) -> Run:
    with Session(engine) as session:
        run = session.get(Run, run_id)
    if run is None:
        raise LookupError(f"Run {run_id} does not exist (deleted while it waited).")
    return run


def job_for(engine: Engine, paths: DataPaths, run: Run, attempt: int = 1) -> Job:
    """The job that trains `run` (claimed) from its last committed epoch with a checkpoint."""
    assert run.id is not None
    start, checkpoint = resume_point(engine, paths, run)
    return Job(
        run_id=run.id,
        attempt=attempt,
        stack=run.stack,
        fit=run.fit,
        preprocessing=run.preprocessing,
        start_epoch=start,
        checkpoint=checkpoint,
    )


def dataset_arrays(paths: DataPaths, dataset_id: int | None) -> Arrays:
    """A dataset's stored splits, memory-mapped read-only (no copy)."""
    folder = paths.dataset(dataset_id) if dataset_id is not None else None
    if folder is None or not folder.exists():
        raise LookupError(
            f"The run's dataset ({dataset_id}) was deleted; start a new run on another one."
        )
    return {s: loaded for s in SPLITS if (loaded := load_split(folder, s)) is not None}


def failure(error: BaseException) -> str:
    """A failed run's message: a full disk in words, anything else as Python states it."""
    if isinstance(error, DiskFull):
        return str(error)
    if is_disk_full(error):  # not one of the writes named where they happen
        kept = "The epochs recorded so far are kept"
        return disk_full_message("the run's files or metrics", "DATA_DIR", kept)
    detail = "".join(traceback.format_exception_only(type(error), error)).strip()
    return f"Training failed: {detail}"[:4000]


def finish_completed(engine: Engine, paths: DataPaths, run_id: int, outcome: Outcome) -> RunStatus:
    """The model written (whole, or not at all), then the run completed with its results;
    a model that cannot be written fails the run, saying why. The status it ended with."""
    try:
        with writing("the trained model (model.keras)", kept=MODEL_KEPT):
            write_file(paths.model(run_id), outcome.model)
    except Exception as error:
        finish_other(engine, paths, run_id, RunStatus.FAILED, failure(error))
        return RunStatus.FAILED
    _finish(engine, paths, run_id, RunStatus.COMPLETED, **outcome.results)
    return RunStatus.COMPLETED


def finish_other(
    engine: Engine, paths: DataPaths, run_id: int, status: RunStatus, error: str | None
) -> None:
    """The run ended otherwise (cancelled, failed with `error`): what it keeps is counted."""
    _finish(engine, paths, run_id, status, **({} if error is None else {"error": error}))


def _finish(
    engine: Engine, paths: DataPaths, run_id: int, status: RunStatus, **values: Any
) -> None:
    state.finish(engine, run_id, status, size_bytes=folder_size(paths.run(run_id)), **values)
