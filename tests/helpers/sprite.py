"""The real Fashion-MNIST sprite (../shared/data) cut into tiles and zipped as one folder per
class, as a user would upload it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from tests.helpers.images import encode
from tests.helpers.paths import shared_file

SPRITE = "data/fashion-mnist/fashion-mnist-sprite.png"
TILE = 28
# Label order, from shared/data/README.md; "/" cannot be part of a folder name.
CLASS_NAMES = [
    "T-shirt_top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]


def tiles() -> tuple[np.ndarray, np.ndarray]:
    """(900, 28, 28) uint8 tiles in row-major grid order, and their labels (row // 3)."""
    with Image.open(shared_file(SPRITE)) as sprite:
        grid = np.asarray(sprite.convert("L"))
    rows, cols = grid.shape[0] // TILE, grid.shape[1] // TILE
    x = grid.reshape(rows, TILE, cols, TILE).transpose(0, 2, 1, 3).reshape(-1, TILE, TILE)
    return x, np.repeat(np.arange(rows) // 3, cols)


def make_zip(path: Path, root: str = "", extra: dict[str, bytes] | None = None) -> None:
    """`<root><class>/<i>.png`, 90 tiles per class, numbered so that file-name order is grid
    order; then the `extra` entries, as given."""
    x, y = tiles()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for label, name in enumerate(CLASS_NAMES):
            for i, tile in enumerate(x[y == label]):
                archive.writestr(f"{root}{name}/{i:03d}.png", encode(tile))
        for entry, data in (extra or {}).items():
            archive.writestr(entry, data)


def sorted_classes() -> tuple[list[str], np.ndarray, np.ndarray]:
    """What a parser should give for the sprite zip: class names sorted as strings, and the
    tiles and labels regrouped in that order."""
    x, y = tiles()
    names = sorted(CLASS_NAMES)
    order = [CLASS_NAMES.index(name) for name in names]
    return names, np.concatenate([x[y == old] for old in order]), np.repeat(np.arange(10), 90)
