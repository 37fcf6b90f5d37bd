"""What every dataset parser shares: the upload it reads, the options, the arrays it writes.

A parser reads uploaded files (already on disk) and writes, into an output folder, one
`x_<split>.npy` and `y_<split>.npy` pair per split ("train", and "test" when the upload has
its own test split). x keeps the upload's dtype where it can (uint8 pixels stay uint8);
y holds int32 class indices 0..K-1 whose names are `class_names`. Parsers stream: they never
hold more than a chunk of a large file in memory. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.paths import split_files
from app.storage import open_memmap

LABEL_DTYPE = np.int32


class DatasetError(ValueError):
    """A bad upload. `status` is the HTTP answer (422, 413 or 415); the message names the
    file, entry, row or column at fault, what was found, and how to fix it."""

    def __init__(self, message: str, status: int = 422, field: str = "files") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


@dataclass(frozen=True)
class Upload:
    path: Path  # where the uploaded file lies on disk
    filename: str  # the name the client gave it (may be empty; never used as a path)


@dataclass(frozen=True)
class Options:
    image_size: tuple[int, int] | None = None  # (height, width) to resize images to
    color_mode: str | None = None  # "grayscale" or "rgb"; None: from the first image
    label_column: str = "label"  # CSV
    image_shape: tuple[int, ...] | None = None  # CSV: treat each row as an image of this shape
    class_names: list[str] | None = None  # IDX, CSV, NPZ: names for labels 0..K-1
    max_classes: int = 1000  # the MAX_CLASSES setting: labels 0..max_classes-1 at most
    max_bytes: int = 512 * 1024**2  # MAX_DATASET_BYTES: the arrays stored, all splits
    max_samples: int = 1_000_000  # MAX_DATASET_IMAGES: samples, all splits
    max_image_pixels: int = 40_000_000  # MAX_IMAGE_PIXELS: one image's header, zip imports


@dataclass
class Parsed:
    """What a parser wrote into its output folder."""

    splits: dict[str, int]  # split -> number of samples written
    class_names: list[str]
    skipped: list[dict[str, Any]] = field(default_factory=list)  # {"entry", "reason"}
    notes: dict[str, Any] = field(default_factory=dict)  # e.g. {"background": "dark"}


def open_split(
    out: Path, split: str, count: int, sample_shape: tuple[int, ...], dtype: Any
) -> tuple[np.memmap, np.memmap]:
    """Writable memory-mapped .npy files for one split, filled chunk by chunk."""
    x_path, y_path = split_files(out, split)
    x = open_memmap(x_path, dtype, (count, *sample_shape))  # disk reserved: no SIGBUS
    y = open_memmap(y_path, LABEL_DTYPE, (count,))
    return x, y


def save_split(out: Path, split: str, x: np.ndarray, y: np.ndarray) -> int:
    """Write a split that is already in memory (small uploads, decoded images)."""
    x_path, y_path = split_files(out, split)
    np.save(x_path, x)
    np.save(y_path, y.astype(LABEL_DTYPE, copy=False))
    return len(x)


def load_split(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray] | None:
    """A stored split, memory-mapped read-only (no copy), or None if there is none."""
    x_path, y_path = split_files(folder, split)
    if not x_path.exists():
        return None
    return np.load(x_path, mmap_mode="r"), np.load(y_path, mmap_mode="r")


def too_many_classes(where: str, received: str, limit: int) -> DatasetError:
    """The answer to labels or folders that would make more classes than MAX_CLASSES allows;
    checked before any list of class names is made."""
    return DatasetError(
        f"{where}: {received}, over the limit of {limit:,} classes per dataset (labels "
        f"0..{limit - 1:,}; the MAX_CLASSES setting). Check that the labels are class indices "
        f"or names; a server that needs more classes can raise MAX_CLASSES."
    )


def check_budget(
    where: str, count: int, sample_shape: tuple[int, ...], dtype: Any, options: Options
) -> None:
    """Refuse, before anything is allocated, an import that would store more samples or bytes
    than MAX_DATASET_IMAGES and MAX_DATASET_BYTES allow. `count` samples of `sample_shape` in
    `dtype`, each with an int32 label; counts come from headers, row counts or archive lists,
    never from decoding."""
    if count > options.max_samples:
        raise DatasetError(
            f"{where} holds {count:,} samples, over the limit of {options.max_samples:,} per "
            f"dataset (the MAX_DATASET_IMAGES setting). Upload fewer samples, or split them "
            f"over several datasets.",
            status=413,
        )
    sample = math.prod(sample_shape) * np.dtype(dtype).itemsize
    total = count * (sample + np.dtype(LABEL_DTYPE).itemsize)
    if total > options.max_bytes:
        shape = " x ".join(map(str, sample_shape)) or "1"
        raise DatasetError(
            f"{where} would store {count:,} samples of {shape} {np.dtype(dtype).name} = "
            f"{human_bytes(total)} with the labels, over the limit of "
            f"{human_bytes(options.max_bytes)} per dataset (the MAX_DATASET_BYTES setting). "
            f"Upload fewer samples, set a smaller image_size, or store pixels as uint8.",
            status=413,
        )


def human_bytes(size: int) -> str:
    """Exact, and readable: "822,083,584 bytes (784.0 MiB)"."""
    for unit, step in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= step:
            return f"{size:,} bytes ({size / step:,.1f} {unit})"
    return f"{size:,} bytes"


def default_class_names(count: int, given: list[str] | None, source: str) -> list[str]:
    """Class names for labels 0..count-1: the given list, or "0", "1", ... ."""
    if given is None:
        return [str(i) for i in range(count)]
    if len(given) < count:
        raise DatasetError(
            f"{source} has labels up to {count - 1}, but only {len(given)} class names were "
            f"given ({', '.join(given)}). Give one name per class, in label order.",
            field="class_names",
        )
    return list(given)
