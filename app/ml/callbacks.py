"""The callbacks of a run: the Recorder that reports it to its Sink (throttled progress, each
epoch with its checkpoint and weight histograms, cancellation within one compiled step, NaN
losses named by epoch and batch), and EarlyStopping and ReduceLROnPlateau whose state a
checkpoint keeps."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

from app.ml import checkpoint, histograms
from app.ml.job import Sink

PROGRESS_EVERY_S = 0.25  # a few updates a second: never a DB write per batch
# A checkpoint past this size (weights and optimizer state: ~12 bytes a parameter with Adam)
# is taken every few epochs instead of each one, so writing them, or sending them from a
# Ray worker, stays within ~this many bytes an epoch. The last epoch always has one.
CHECKPOINT_BYTES = 64 * 1024 * 1024


def epochs_between(size: int) -> int:
    """Epochs from one checkpoint to the next, for checkpoints of `size` bytes."""
    return max(1, math.ceil(size / CHECKPOINT_BYTES))


class Cancelled(Exception):
    pass


class NonFiniteLoss(Exception):
    pass


class Recorder(keras.callbacks.Callback):
    """Goes after the callbacks in `stateful` in fit's list: its checkpoint of an epoch then
    holds their state after that epoch (and the learning rate ReduceLROnPlateau set)."""

    def __init__(
        self,
        *,
        steps: int,
        epochs: int,
        sink: Sink,
        stateful: Sequence[checkpoint.Stateful] = (),
        on_epoch_begin: Callable[[int], None] = lambda epoch: None,
    ) -> None:
        super().__init__()
        self.steps, self.epochs = steps, epochs
        self.sink, self.stateful = sink, stateful
        self.before_epoch = on_epoch_begin
        self.epoch, self.epoch_start, self.last_report = 0, 0.0, 0.0
        self.learning_rate = 0.0
        self.every: int | None = None  # epochs between checkpoints, from the first one's size

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.before_epoch(epoch)
        self.epoch, self.epoch_start = epoch, time.perf_counter()
        # The first report comes PROGRESS_EVERY_S into an epoch: an epoch shorter than that
        # is news enough at its end, and a report at its first batch would cost a DB write
        # and a fan-out to every watcher for each epoch (twice the work for 500 watchers).
        self.last_report = self.epoch_start
        # The rate this epoch trains with; ReduceLROnPlateau may lower it at the epoch's end.
        self.learning_rate = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.sink.is_cancelled():
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
            self.sink.progress(
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
        values["learning_rate"] = self.learning_rate
        values["epoch_time"] = time.perf_counter() - self.epoch_start
        # After epoch_time, which is the epoch's own: the histograms' cost shows as the gap
        # to the next epoch's start (bench/bench_weights.py measures it).
        weights = histograms.model_histograms(self.model) if histograms.ENABLED else None
        done, state = epoch + 1, None
        last = done == self.epochs or self.model.stop_training  # EarlyStopping went first
        if self.every is None or done % self.every == 0 or last:
            state = checkpoint.to_bytes(self.model, done, self.stateful)
            if self.every is None:
                self.every = epochs_between(len(state))
        self.sink.epoch(done, values, state, weights)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


class EarlyStopping(keras.callbacks.EarlyStopping):
    """Keras's, with its patience, best value and best weights kept in checkpoints."""

    resumed: tuple[dict[str, Any], list[np.ndarray]] | None = None

    def get_state(self) -> tuple[dict[str, Any], list[np.ndarray]]:
        state = {
            "wait": self.wait,
            "stopped_epoch": self.stopped_epoch,
            "best": _number(self.best),
            "best_epoch": self.best_epoch,
        }
        return state, list(self.best_weights or [])

    def set_state(self, state: dict[str, Any], arrays: list[np.ndarray]) -> None:
        self.resumed = state, arrays
        self.stopped_epoch = state["stopped_epoch"]  # read before fit: did it stop already?

    def on_train_begin(self, logs: dict | None = None) -> None:
        super().on_train_begin(logs)  # resets everything: the resumed state goes on top
        if self.resumed is not None:
            state, arrays = self.resumed
            self.wait, self.stopped_epoch = state["wait"], state["stopped_epoch"]
            self.best, self.best_epoch = state["best"], state["best_epoch"]
            self.best_weights = arrays or None
            self.resumed = None


class ReduceLROnPlateau(keras.callbacks.ReduceLROnPlateau):
    """Keras's, with its wait, best value and cooldown kept in checkpoints (the learning rate
    it lowered is an optimizer variable, restored with the others)."""

    resumed: dict[str, Any] | None = None

    def get_state(self) -> tuple[dict[str, Any], list[np.ndarray]]:
        state = {"wait": self.wait, "best": _number(self.best)}
        return {**state, "cooldown_counter": self.cooldown_counter}, []

    def set_state(self, state: dict[str, Any], arrays: list[np.ndarray]) -> None:
        self.resumed = state

    def on_train_begin(self, logs: dict | None = None) -> None:
        super().on_train_begin(logs)
        if self.resumed is not None:
            self.wait, self.best = self.resumed["wait"], self.resumed["best"]
            self.cooldown_counter = self.resumed["cooldown_counter"]
            self.resumed = None
