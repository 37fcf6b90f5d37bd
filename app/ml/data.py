"""Arrays for training: the run's preprocessing applied to the stored arrays (however they
came: memory-mapped files, the object store), and a tf.data pipeline whose shuffle order
depends only on (seed, epoch), so a resumed run sees the same batches."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import tensorflow as tf

from app.datasets.split import pick_test_rows
from app.ml.job import Arrays


def prepare_x(x: np.ndarray, prep: dict[str, Any], twin_axes: tuple[int, ...] | None) -> np.ndarray:
    """Dataset samples -> model inputs: scale to [0, 1], reshape or transpose to the model's
    input shape, then into the CPU twin's channels_last layout if there is one."""
    out = np.asarray(x, dtype=np.float32)
    if prep["scale"] != 1.0 or prep["offset"] != 0.0:
        out = out * np.float32(prep["scale"]) + np.float32(prep["offset"])
    transform = prep["input"]
    if transform["kind"] == "reshape":
        out = out.reshape(len(out), *transform["shape"])
    elif transform["kind"] == "transpose":
        out = out.transpose(0, *(a + 1 for a in transform["axes"]))
    if twin_axes is not None:
        out = out.transpose(0, *(a + 1 for a in twin_axes))
    return np.ascontiguousarray(out)


def prepare_y(y: np.ndarray, labels: str, classes: int) -> np.ndarray:
    y = np.asarray(y)
    if labels == "one_hot":
        return np.eye(classes, dtype=np.float32)[y]
    if labels in ("binary", "value"):
        return y.astype(np.float32).reshape(-1, 1)
    return y.astype(np.int32)


def prepare(
    arrays: Arrays,
    split: str,
    prep: dict[str, Any],
    twin_axes: tuple[int, ...] | None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """One stored split as model inputs and targets; None when the dataset has no such split."""
    if split not in arrays:
        return None
    x, y = arrays[split]
    return prepare_x(x, prep, twin_axes), prepare_y(y, prep["labels"], len(prep["class_names"]))


def hold_out(
    x: np.ndarray,
    y: np.ndarray,
    sparse: np.ndarray,
    fraction: float,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray] | None]:
    """(train, validation): a stratified, seeded fraction held out, like validation_split."""
    if fraction <= 0:
        return (x, y), None
    held = np.zeros(len(x), dtype=bool)
    held[pick_test_rows(sparse, fraction)] = True
    return (x[~held], y[~held]), (x[held], y[held])


class EpochBatches:
    """Batches for one epoch at a time, in an order that depends only on (seed, epoch).

    Keras re-iterates a finite dataset each epoch; the epoch number is read from a variable
    that `set_epoch` (called from on_epoch_begin) updates, so a resumed run at epoch k gets
    exactly the order an uninterrupted run had at epoch k. A dataset spanning all epochs
    would not do: Keras then reads whole steps_per_execution chunks across epoch ends.
    """

    def __init__(
        self, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, shuffle: bool
    ) -> None:
        n = len(x)
        self.steps = math.ceil(n / batch_size)
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
        xs, ys = tf.constant(x), tf.constant(y)
        indices = tf.range(n, dtype=tf.int64)

        def one_epoch(_: tf.Tensor) -> tf.data.Dataset:
            order = indices
            if shuffle:
                key = tf.stack([tf.constant(seed, tf.int64), self.epoch.read_value()])
                order = tf.random.experimental.stateless_shuffle(indices, seed=key)
            return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)

        dataset = tf.data.Dataset.from_tensors(0).flat_map(one_epoch)
        dataset = dataset.map(
            lambda i: (tf.gather(xs, i), tf.gather(ys, i)), num_parallel_calls=tf.data.AUTOTUNE
        )
        self.dataset = dataset.prefetch(tf.data.AUTOTUNE)

    def set_epoch(self, epoch: int) -> None:
        self.epoch.assign(epoch)
