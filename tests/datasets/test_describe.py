"""Facts about a dataset: class counts, value range, polarity of images."""

import numpy as np

from app.datasets.base import save_split
from app.datasets.describe import background, class_counts, describe, value_range


def test_counts_and_range():
    assert class_counts(np.array([0, 2, 2]), 4) == [1, 0, 2, 0]
    x = np.linspace(-3, 5, 10_000, dtype=np.float32).reshape(100, 100)
    assert value_range(x) == (-3.0, 5.0)


def test_polarity_of_digit_like_images():
    dark = np.zeros((4, 10, 10), np.uint8)
    dark[:, 3:7, 3:7] = 255
    assert background(dark, 0, 255) == "dark"
    assert background(255 - dark, 0, 255) == "light"
    assert background(np.zeros((4, 20)), 0, 1) is None


def test_describe_reports_shape_dtype_and_both_splits(tmp_path):
    x, y = np.zeros((6, 8, 8), np.uint8), np.array([0, 1, 0, 1, 0, 1])
    save_split(tmp_path, "train", x, y)
    save_split(tmp_path, "test", x[:2] + 3, y[:2])
    facts = describe(tmp_path, 2)
    assert (facts["value_min"], facts["value_max"]) == (0, 3)
    assert facts["counts"] == {"train": 6, "test": 2}
    assert facts["input_shape"] == [8, 8] and facts["dtype"] == "uint8"
    assert facts["class_counts"] == {"train": [3, 3], "test": [1, 1]}
