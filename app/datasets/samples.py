"""A few samples of a dataset as PNG data URLs, for previews in the studio."""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import numpy as np
from PIL import Image


def pick(y: np.ndarray, n: int, classes: int) -> list[int]:
    """n indices taken round-robin over the classes, so a preview shows every class."""
    y = np.asarray(y)
    per_class = [list(np.flatnonzero(y == c)) for c in range(classes)]
    picked: list[int] = []
    depth = 0
    while len(picked) < n and any(depth < len(m) for m in per_class):
        picked += [int(m[depth]) for m in per_class if depth < len(m)][: n - len(picked)]
        depth += 1
    return picked


def as_image(sample: np.ndarray) -> np.ndarray | None:
    """(H, W), (H, W, 1|3|4) or a flat square vector -> an (H, W[, C]) array; else None."""
    if sample.ndim == 1:
        side = math.isqrt(sample.size)
        return sample.reshape(side, side) if side * side == sample.size and side > 1 else None
    if sample.ndim == 3 and sample.shape[-1] == 1:
        return sample[..., 0]
    if sample.ndim == 3 and sample.shape[-1] in (3, 4):
        return sample
    return sample if sample.ndim == 2 else None


def png_data_url(sample: np.ndarray, low: float, high: float) -> str | None:
    image = as_image(np.asarray(sample))
    if image is None:
        return None
    scaled = (image.astype(np.float32) - low) * (255.0 / (high - low) if high > low else 1.0)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(scaled, 0, 255).astype(np.uint8)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def samples(
    x: np.ndarray, y: np.ndarray, class_names: list[str], n: int, low: float, high: float
) -> list[dict[str, Any]]:
    out = []
    for index in pick(y, n, len(class_names)):
        label = int(y[index])
        out.append(
            {
                "index": index,
                "label": label,
                "class_name": class_names[label],
                "image": png_data_url(x[index], low, high),
            }
        )
    return out
