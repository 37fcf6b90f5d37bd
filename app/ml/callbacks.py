"""The callback that reports a run: throttled progress, each epoch committed with a
checkpoint, cancellation within one compiled step, NaN losses named by epoch and batch, and a
checkpoint the disk has no room for named by epoch."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras

from app.ml import checkpoint
from app.storage import writing

PROGRESS_EVERY_S = 0.25  # a few updates a second: never a DB write per batch


class Cancelled(Exception):
    pass


class NonFiniteLoss(Exception):
    pass


class Recorder(keras.callbacks.Callback):
    def __init__(
        self,
        *,
        steps: int,
        epochs: int,
        checkpoint_path: Path,
        is_cancelled: Callable[[], bool],
        on_progress: Callable[[dict[str, Any]], None],
        on_epoch: Callable[[int, dict[str, float]], None],
        on_epoch_begin: Callable[[int], None] = lambda epoch: None,
    ) -> None:
        super().__init__()
        self.steps, self.epochs = steps, epochs
        self.checkpoint_path = checkpoint_path
        self.is_cancelled, self.on_progress, self.on_epoch = is_cancelled, on_progress, on_epoch
        self.before_epoch = on_epoch_begin
        self.epoch, self.epoch_start, self.last_report = 0, 0.0, 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.before_epoch(epoch)
        self.epoch, self.epoch_start = epoch, time.perf_counter()
        self.last_report = 0.0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.is_cancelled():
            raise Cancelled
        loss = float((logs or {}).get("loss", 0.0))
        if not math.isfinite(loss):
            raise NonFiniteLoss(
                f"loss became {'NaN' if math.isnan(loss) else 'infinite'} at epoch "
                f"{self.epoch + 1}, batch {batch + 1}: lower the learning rate, normalize the "
                f"inputs, or add BatchNormalization."
            )
        now = time.perf_counter()
        if now - self.last_report >= PROGRESS_EVERY_S:
            self.last_report = now
            done = batch + 1
            elapsed = now - self.epoch_start
            self.on_progress(
                {
                    "epoch": self.epoch + 1,
                    "epochs": self.epochs,
                    "batch": done,
                    "batches": self.steps,
                    "loss": loss,
                    "eta_s": round(elapsed / done * (self.steps - done), 2),
                }
            )

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        values = {key: float(value) for key, value in (logs or {}).items()}
        if not math.isfinite(values.get("loss", 0.0)):
            raise NonFiniteLoss(
                f"loss became NaN at epoch {epoch + 1}, batch {self.steps}: lower the learning "
                f"rate, normalize the inputs, or add BatchNormalization."
            )
        values["learning_rate"] = float(
            keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
        )
        values["epoch_time"] = time.perf_counter() - self.epoch_start
        # The checkpoint first: an epoch in the DB always has a checkpoint to resume from.
        with writing(f"the checkpoint of epoch {epoch + 1}", kept=_kept(epoch)):
            checkpoint.save(self.model, self.checkpoint_path, epoch + 1)
        self.on_epoch(epoch + 1, values)


def _kept(done: int) -> str:
    """What a run keeps when the next epoch's checkpoint cannot be written."""
    if not done:
        return "Training stopped before its first epoch was recorded"
    return f"Training stopped after epoch {done}; its metrics and checkpoint are kept"
