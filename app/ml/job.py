"""A training job as every executor hands it over, and what comes back: no database, no
DATA_DIR, no TensorFlow here.

The trainer (app/ml/training.py `train`) sees only a `Job`, the dataset's arrays and a `Sink`.
The local executor's sink writes checkpoints under DATA_DIR and commits epochs to the
database in the worker process; the Ray executor's sink sends them to the dispatcher, which
writes and commits them the same way. So a Ray worker needs neither the database nor
DATA_DIR, and both executors train with the very same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

# The dataset as stored: split -> (x, y), x in the stored dtype (uint8 pixels stay uint8),
# y int32 class indices. Memory-mapped files locally, object-store buffers on Ray.
Arrays = dict[str, tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Job:
    run_id: int
    attempt: int  # 1, 2, ...: a retry after a lost node or worker is a new attempt
    stack: dict[str, Any]  # the run's frozen snapshot (Run.stack, Run.fit, Run.preprocessing)
    fit: dict[str, Any]
    preprocessing: dict[str, Any]
    # Where training starts: the checkpoint after `start_epoch` epochs (None: from scratch).
    start_epoch: int = 0
    checkpoint: bytes | None = None


@dataclass(frozen=True)
class Outcome:
    """A run trained to its end: what the run row records, and the .keras file's bytes."""

    results: dict[str, Any]  # test_metrics, confusion (empty without a test split)
    model: bytes


class Sink(Protocol):
    """Where a training job reports. Called from the training thread."""

    def is_cancelled(self) -> bool:
        """True once the run should stop; polled after every compiled step, so it must be
        cheap (the implementations read a flag at most every 0.1 s)."""

    def progress(self, progress: dict[str, Any]) -> None:
        """A few times a second: epoch, batch, loss, eta_s."""

    def epoch(
        self,
        epoch: int,
        logs: dict[str, float],
        checkpoint: bytes | None,
        weights: dict[str, Any] | None = None,
    ) -> None:
        """Epoch `epoch` (1-based) ended with `logs`; `checkpoint` is the full state after it
        (weights, optimizer, callbacks), or None when this epoch is not checkpointed;
        `weights` its layers' weight histograms (app/ml/histograms.py), None when not
        recorded. The sink commits them as one step: either all count or none does."""
