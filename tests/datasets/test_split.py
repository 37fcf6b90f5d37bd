"""Test splits carved from an upload: stratified, seeded, every row kept exactly once."""

import numpy as np

from app.datasets.base import load_split, save_split
from app.datasets.split import carve_test_split, pick_test_rows


def test_every_class_lands_in_both_splits():
    y = np.array([0] * 50 + [1] * 7 + [2] * 2)
    test = pick_test_rows(y, 0.2)
    assert np.bincount(y[test]).tolist() == [10, 1, 1]
    assert np.array_equal(test, np.sort(test))
    assert np.array_equal(test, pick_test_rows(y, 0.2))  # seeded


def test_carving_keeps_every_row_once(tmp_path):
    x = np.arange(100 * 3, dtype=np.int16).reshape(100, 3)
    y = np.arange(100) % 4
    save_split(tmp_path, "train", x, y)
    carve_test_split(tmp_path, 0.25)
    x_train, _ = load_split(tmp_path, "train")
    x_test, y_test = load_split(tmp_path, "test")
    assert (len(x_train), len(x_test)) == (76, 24)  # round(25 * 0.25) = 6 per class
    rows = np.concatenate([x_train, x_test])
    assert sorted(map(tuple, rows.tolist())) == sorted(map(tuple, x.tolist()))
    assert np.array_equal(y_test, x_test[:, 0] // 3 % 4)  # labels travel with their rows
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "x_test.npy",
        "x_train.npy",
        "y_test.npy",
        "y_train.npy",
    ]
