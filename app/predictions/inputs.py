"""An uploaded image -> the model input, by the same rule the run's training data followed.

The dataset's geometry (size, channels) comes from the run's snapshot; the pixel values are
mapped from 0..255 onto the dataset's own range and then scaled as training scaled them;
the input is reshaped or transposed as training did; and an upload whose polarity is the
opposite of the dataset's (a dark digit on white paper for MNIST's light-on-black) is
inverted when `invert` is "auto".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from app.datasets.base import DatasetError
from app.datasets.images import MAX_PIXELS, decode_image
from app.datasets.samples import png_data_url


class NoImageInput(ValueError):
    """The run's model does not take images (e.g. a CSV of arbitrary features)."""


def image_geometry(prep: dict[str, Any]) -> tuple[tuple[int, int], str, tuple[int, ...]]:
    """((height, width), colour mode, sample shape) of the images the dataset held."""
    shape = list(prep["dataset_shape"])
    if len(shape) == 2:
        return (shape[0], shape[1]), "grayscale", tuple(shape)
    if len(shape) == 3 and shape[2] in (1, 3):
        return (shape[0], shape[1]), "grayscale" if shape[2] == 1 else "rgb", tuple(shape)
    if len(shape) == 1 and math.isqrt(shape[0]) ** 2 == shape[0] and shape[0] >= 4:
        side = math.isqrt(shape[0])  # the tutorial's flat 784-pixel MNIST rows
        return (side, side), "grayscale", tuple(shape)
    raise NoImageInput(
        f"The run's dataset holds samples of shape {shape}, not images, so it cannot "
        f"predict from an image."
    )


def _border_mean(pixels: np.ndarray) -> float:
    gray = pixels.mean(axis=-1)
    return float(np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]]).mean())


def to_model_input(
    data: bytes,
    name: str,
    prep: dict[str, Any],
    invert: str,
    twin_axes: tuple[int, ...] | None = None,
    max_pixels: int = MAX_PIXELS,
) -> tuple[np.ndarray, dict[str, Any]]:
    """(one model input, float32 without the batch axis; a report of what was done)."""
    size, mode, sample_shape = image_geometry(prep)
    # A transparent background becomes the dataset's own background (black for MNIST).
    matte = "black" if prep.get("background") == "dark" else "white"
    pixels, report = decode_image(data, name, size, mode, matte, max_pixels=max_pixels)
    light_upload = _border_mean(pixels) > 127.5
    dark_dataset = prep.get("background") == "dark"
    flip = invert == "true" or (
        invert == "auto" and prep.get("background") is not None and light_upload == dark_dataset
    )
    if flip:
        pixels = 255 - pixels
    low, high = prep.get("value_range", [0.0, 255.0])
    values = pixels.astype(np.float32) / 255.0 * (high - low) + low
    values = values * np.float32(prep["scale"]) + np.float32(prep["offset"])
    x = values.reshape(sample_shape)
    transform = prep["input"]
    if transform["kind"] == "reshape":
        x = x.reshape(transform["shape"])
    elif transform["kind"] == "transpose":
        x = x.transpose(transform["axes"])
    if twin_axes is not None:
        x = x.transpose(twin_axes)
    report.update(
        {
            "inverted": flip,
            "model_input_shape": [None, *prep["model_shape"]],
            "value_range": [low, high],
            # What the model saw: resized, in the model's colours, inverted if it was.
            "model_input_png": png_data_url(pixels, 0, 255),
        }
    )
    return np.ascontiguousarray(x, dtype=np.float32), report


def check_invert(value: str) -> str:
    if value not in ("auto", "true", "false"):
        raise DatasetError(
            f"Expected invert 'auto', 'true' or 'false'. Received: invert={value!r}.",
            field="invert",
        )
    return value
