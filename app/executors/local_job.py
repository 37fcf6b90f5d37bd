"""One run trained in a local worker process: the run's job and the dataset's memory-mapped
arrays from the database and DATA_DIR, app/ml/training.py's `train` on them, and a Sink that
commits each epoch and its checkpoint (app/runs/epochs.py) as the Ray dispatcher does.

Imports TensorFlow (through app.ml.training): only worker processes import this module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine

from app.ml.callbacks import Cancelled, NonFiniteLoss
from app.ml.training import train
from app.models import RunStatus
from app.paths import DataPaths
from app.runs import epochs, state

log = logging.getLogger("layerstack.workers")


class EpochRefused(Exception):
    """The run no longer takes this worker's epochs (deleted, or ended elsewhere)."""


def _unheard(run_id: int) -> None:
    """No one to tell: watchers learn of changes by polling."""


class LocalSink:
    """The Sink of app/ml/job.py, straight into the database and DATA_DIR; `changed` tells
    the web process after each commit, so that watchers hear it at once."""

    def __init__(
        self,
        engine: Engine,
        paths: DataPaths,
        run_id: int,
        is_cancelled: Callable[[], bool],
        changed: Callable[[int], None] = _unheard,
    ) -> None:
        self.engine, self.paths, self.run_id = engine, paths, run_id
        self.cancelled, self.changed = is_cancelled, changed

    def is_cancelled(self) -> bool:
        return self.cancelled()

    def progress(self, progress: dict[str, Any]) -> None:
        state.set_progress(self.engine, self.run_id, progress)
        self.changed(self.run_id)

    def epoch(
        self,
        epoch: int,
        logs: dict[str, float],
        checkpoint: bytes | None,
        weights: dict[str, Any] | None = None,
    ) -> None:
        committed = epochs.commit_epoch(
            self.engine, self.paths, self.run_id, epoch, logs, checkpoint, weights=weights
        )
        if not committed:
            raise EpochRefused(f"run {self.run_id} did not take epoch {epoch}")
        self.changed(self.run_id)


def train_run(
    engine: Engine,
    paths: DataPaths,
    run_id: int,
    is_cancelled: Callable[[], bool],
    changed: Callable[[int], None] = _unheard,
) -> RunStatus | None:
    """Train a claimed run to its end; the status it ended with (None when the run stopped
    taking its epochs: it was deleted or ended elsewhere, and keeps the status it has)."""
    try:
        return _train(
            engine, paths, run_id, LocalSink(engine, paths, run_id, is_cancelled, changed)
        )
    finally:
        changed(run_id)


def _train(engine: Engine, paths: DataPaths, run_id: int, sink: LocalSink) -> RunStatus | None:
    try:
        run = epochs.load_run(engine, run_id)
        job = epochs.job_for(engine, paths, run)
        arrays = epochs.dataset_arrays(paths, run.dataset_id)
        outcome = train(job, arrays, sink)
    except EpochRefused as refused:
        log.info("%s; training stopped", refused)
        return None
    except Cancelled:
        epochs.finish_other(engine, paths, run_id, RunStatus.CANCELLED, None)
        return RunStatus.CANCELLED
    except NonFiniteLoss as error:  # said in words: where it happened, what to do
        epochs.finish_other(engine, paths, run_id, RunStatus.FAILED, str(error))
        return RunStatus.FAILED
    except Exception as error:  # the worker lives on; the run records what went wrong
        epochs.finish_other(engine, paths, run_id, RunStatus.FAILED, epochs.failure(error))
        return RunStatus.FAILED
    return epochs.finish_completed(engine, paths, run_id, outcome)
