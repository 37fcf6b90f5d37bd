"""What the API tells about a dataset: counts per class, value range, image polarity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from app.datasets.base import load_split
from app.datasets.npyio import iter_blocks
from app.paths import split_files

CHUNK_ROWS = 4096
POLARITY_SAMPLES = 1000


def class_counts(y: np.ndarray, classes: int) -> list[int]:
    return [int(c) for c in np.bincount(np.asarray(y), minlength=classes)[:classes]]


def value_range(x: np.ndarray | Path) -> tuple[float, float]:
    """Min and max over the whole array, a block at a time (read from its .npy file if given
    a path, so that no more than a block is ever resident)."""
    blocks = (
        iter_blocks(x)
        if isinstance(x, Path)
        else ((s, x[s : s + CHUNK_ROWS]) for s in range(0, len(x), CHUNK_ROWS))
    )
    low, high = np.inf, -np.inf
    for _, block in blocks:
        low, high = min(low, float(block.min())), max(high, float(block.max()))
    return low, high


def background(x: np.ndarray, low: float, high: float) -> str | None:
    """'dark' for MNIST-style images (light figure on a dark border), 'light' for the
    opposite, None for data that is not images. Prediction inverts uploads to match."""
    if x.ndim < 3 or min(x.shape[1:3]) < 5 or high <= low:
        return None
    sample = np.asarray(x[:POLARITY_SAMPLES], dtype=np.float32)
    border = np.concatenate(
        [
            sample[:, 0].reshape(len(sample), -1),
            sample[:, -1].reshape(len(sample), -1),
            sample[:, :, 0].reshape(len(sample), -1),
            sample[:, :, -1].reshape(len(sample), -1),
        ],
        axis=1,
    )
    return "dark" if float(border.mean()) < (low + high) / 2 else "light"


def describe(folder: Path, classes: int) -> dict[str, Any]:
    """Facts about the splits stored in `folder` (x_<split>.npy, y_<split>.npy)."""
    splits = {s: loaded for s in ("train", "test") if (loaded := load_split(folder, s))}
    train_x = splits["train"][0]
    ranges = [value_range(split_files(folder, name)[0]) for name in splits]
    low, high = min(r[0] for r in ranges), max(r[1] for r in ranges)
    return {
        "input_shape": list(train_x.shape[1:]),
        "dtype": str(train_x.dtype),
        "class_counts": {name: class_counts(y, classes) for name, (_, y) in splits.items()},
        "value_min": low,
        "value_max": high,
        "background": background(train_x, low, high),
        "counts": {name: len(y) for name, (_, y) in splits.items()},
    }
