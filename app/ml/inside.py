"""Looking inside a trained model, in the inference process: every layer's output for one
input, the first convolution's kernels as small images, and a saliency map (Grad-CAM on
the last convolution, input gradients without one).

Feature maps travel as one PNG grid per layer, scaled to 0-255 over the layer's shown maps
(so a weak map looks weak beside a strong one): a 26x26x32 output is ~6 kB as PNG and ~80
kB as JSON numbers. Vectors (Dense, Flatten) travel as numbers, for bars.
"""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from app.predictions.requests import Caps


def probe(model: keras.Model) -> Any:
    """A compiled call that returns every layer's output for a batch."""
    outputs = [layer.output for layer in model.layers]
    every = keras.Model(model.inputs, outputs)
    shape = model.inputs[0].shape
    call = tf.function(
        lambda x: every(x, training=False),
        reduce_retracing=True,
        input_signature=[tf.TensorSpec(shape, tf.float32)],
    )
    call(np.zeros([1, *shape[1:]], np.float32))  # trace once, now
    return call


def png_url(pixels: np.ndarray) -> str:
    buffer = io.BytesIO()
    # compress_level 1: a tenth of the default's time for grids this small, a few % larger.
    Image.fromarray(pixels).save(buffer, "PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def scaled(values: np.ndarray, low: float, high: float) -> np.ndarray:
    span = high - low if high > low else 1.0
    return np.clip((values - low) * (255.0 / span), 0, 255).round().astype(np.uint8)


def grid(maps: np.ndarray) -> dict[str, Any]:
    """(n, h, w) maps -> one PNG of tiles scaled together, a transparent 1-pixel gap between
    them (grey with alpha: a black gap would merge with black maps)."""
    n, h, w = maps.shape
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    low, high = float(maps.min()), float(maps.max())
    sheet = np.zeros((rows * (h + 1) - 1, cols * (w + 1) - 1, 2), np.uint8)
    tiles = scaled(maps, low, high)
    for i in range(n):
        r, c = divmod(i, cols)
        tile = sheet[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w]
        tile[..., 0], tile[..., 1] = tiles[i], 255
    return {
        "png": png_url(sheet),
        "rows": rows,
        "cols": cols,
        "tile": [h, w],
        "range": [low, high],
    }


def layer_entry(layer: keras.layers.Layer, index: int, out: np.ndarray, caps: Caps) -> dict:
    """One layer's output for one input (no batch axis), as the page shows it."""
    entry: dict[str, Any] = {
        "index": index,
        "name": layer.name,
        "class": type(layer).__name__,
        "output_shape": [None, *out.shape],
    }
    if out.ndim in (2, 3):  # (h, w, channels) maps, or one (h, w) map (Reshape, Conv1D)
        maps = out.transpose(2, 0, 1) if out.ndim == 3 else out[None]
        shown = maps[: caps.maps]
        return {**entry, "kind": "maps", "count": len(maps), "shown": len(shown), **grid(shown)}
    flat = out.reshape(-1)
    shown = flat[: caps.values]
    return {
        **entry,
        "kind": "values",
        "count": int(flat.size),
        "shown": int(shown.size),
        "values": [round(float(v), 5) for v in shown],
    }


def activations(model: keras.Model, call: Any, x: np.ndarray, caps: Caps) -> dict[str, Any]:
    """Every layer's output for one input x (with its batch axis of 1), the first caps.layers."""
    outputs = call(x)
    if not isinstance(outputs, list | tuple):
        outputs = [outputs]
    layers = model.layers[: caps.layers]
    return {
        "layers": [
            layer_entry(layer, i, np.asarray(out)[0], caps)
            for i, (layer, out) in enumerate(zip(layers, outputs, strict=False))
        ],
        "layers_total": len(model.layers),
    }


FILTER_CLASSES = ("Conv2D", "Conv1D")


def filters(model: keras.Model, most: int) -> dict[str, Any]:
    """The first Conv2D/Conv1D layer's kernels as small images: (kh, kw) grey, or (kh, kw, 3)
    colour when the layer sees 3 channels; scaled to 0-255 over all its kernels together."""
    found = [layer for layer in model.layers if type(layer).__name__ in FILTER_CLASSES]
    if not found:
        return {"layer": None, "count": 0, "shown": 0, "kernels": []}
    layer = found[0]
    kernel = np.asarray(layer.kernel.numpy(), np.float32)
    if kernel.ndim == 3:  # Conv1D (k, in, out): a row of k
        kernel = kernel[None]
    kh, kw, channels, count = kernel.shape
    colour = channels == 3
    images = kernel if colour else kernel.mean(axis=2, keepdims=True)
    images = images.transpose(3, 0, 1, 2)[:most]  # (n, kh, kw, 1 or 3)
    low, high = float(images.min()), float(images.max())
    pixels = scaled(images, low, high)
    return {
        "layer": {
            "name": layer.name,
            "class": type(layer).__name__,
            "kernel_shape": list(layer.kernel.shape),
        },
        "count": int(count),
        "shown": len(pixels),
        "size": [int(kh), int(kw)],
        "mode": "rgb" if colour else "grayscale",
        "averaged_channels": int(channels) if not colour and channels > 1 else None,
        "range": [low, high],
        "kernels": [(p if colour else p[..., 0]).tolist() for p in pixels],
    }
