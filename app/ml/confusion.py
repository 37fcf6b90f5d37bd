"""Test predictions -> (true class, predicted class) per sample: the one rule behind a run's
confusion matrix (app/ml/training.py) and its confusion-cell examples (app/ml/examples.py)."""

from __future__ import annotations

import numpy as np


def predict_batch(batch_size: int) -> int:
    """The batch size of the test set's predictions: the inference process uses it too, so a
    confusion cell's examples come from the very predictions its count came from."""
    return max(batch_size, 256)


def classes(
    scores: np.ndarray, y: np.ndarray, labels: str, count: int, from_logits: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(truth, predicted) class indices from model.predict's scores and the prepared targets."""
    if labels == "binary":
        predicted = (scores[:, 0] > (0.0 if from_logits else 0.5)).astype(int)
        truth = y[:, 0].astype(int)
    elif labels == "value":
        predicted = np.clip(np.rint(scores[:, 0]), 0, count - 1).astype(int)
        truth = y[:, 0].astype(int)
    else:
        predicted = scores.argmax(axis=1)
        truth = y.argmax(axis=1) if y.ndim == 2 else y
    return np.asarray(truth), np.asarray(predicted)


def matrix(truth: np.ndarray, predicted: np.ndarray, count: int) -> list[list[int]]:
    confusion = np.zeros((count, count), dtype=int)
    np.add.at(confusion, (truth, predicted), 1)
    out: list[list[int]] = confusion.tolist()
    return out
