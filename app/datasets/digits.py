"""The built-in dataset: scikit-learn's handwritten digits (load_digits), 1,797 8x8 images.

Read straight from the CSV scikit-learn ships, without importing scikit-learn (which would
pull SciPy into the web process for a 1,797-row file).
"""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np

from app.datasets.base import DatasetError, Parsed, save_split

KEY = "digits"
NAME = "Digits (8x8, scikit-learn)"
SOURCE = "sklearn.datasets.load_digits"


def digits_file() -> Path:
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError("scikit-learn is not installed, so the built-in digits are missing.")
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"


def parse_digits(out: Path) -> Parsed:
    """Pixels 0..16 as uint8, shape (1797, 8, 8) like load_digits().images; labels 0..9."""
    with gzip.open(digits_file()) as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.uint8)
    x, y = table[:, :-1].reshape(-1, 8, 8), table[:, -1]
    save_split(out, "train", x, y)
    return Parsed(splits={"train": len(x)}, class_names=[str(i) for i in range(10)])
