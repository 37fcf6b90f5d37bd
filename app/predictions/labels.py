"""A model's raw output -> class probabilities -> the label, top k, and a confidence flag."""

from __future__ import annotations

from typing import Any

import numpy as np


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def probabilities(raw: np.ndarray, labels: str, activation: str | None) -> np.ndarray:
    """(n, classes) probabilities, whatever the output layer ended with."""
    raw = np.asarray(raw, dtype=np.float64)
    if labels == "binary":
        p = raw[:, 0] if activation == "sigmoid" else 1 / (1 + np.exp(-raw[:, 0]))
        return np.stack([1 - p, p], axis=1)
    if activation == "softmax":
        return raw
    return _softmax(raw)  # logits (from_logits=True, or a linear last layer)


def ranked(p: np.ndarray, names: list[str], k: int, threshold: float) -> dict[str, Any]:
    order = np.argsort(-p, kind="stable")
    best = int(order[0])
    return {
        "label": names[best],
        "index": best,
        "probability": float(p[best]),
        "top_k": [
            {"label": names[i], "index": int(i), "probability": float(p[i])} for i in order[:k]
        ],
        "low_confidence": bool(p[best] < threshold),
    }
