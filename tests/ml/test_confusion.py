"""The one rule behind a run's confusion matrix and its cells' examples."""

from __future__ import annotations

import numpy as np

from app.ml.confusion import classes, matrix, predict_batch


def test_sparse_one_hot_and_binary_labels_give_the_same_classes():
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.4, 0.6]])
    truth, predicted = classes(scores, np.array([1, 1, 0]), "sparse", 2, False)
    assert truth.tolist() == [1, 1, 0] and predicted.tolist() == [1, 0, 1]
    one_hot = np.eye(2)[[1, 1, 0]]
    assert classes(scores, one_hot, "one_hot", 2, False)[0].tolist() == [1, 1, 0]
    sigmoid = np.array([[0.7], [0.2], [0.5]])
    assert classes(sigmoid, np.array([[1.0], [0.0], [1.0]]), "binary", 2, False)[1].tolist() == [
        1, 0, 0,
    ]  # fmt: skip
    logits = np.array([[0.3], [-2.0], [0.0]])
    assert classes(logits, np.zeros((3, 1)), "binary", 2, True)[1].tolist() == [1, 0, 0]


def test_the_matrix_counts_each_sample_once_in_its_cell():
    assert matrix(np.array([0, 1, 1, 2]), np.array([0, 2, 1, 2]), 3) == [
        [1, 0, 0], [0, 1, 1], [0, 0, 1],
    ]  # fmt: skip


def test_the_test_set_is_predicted_in_batches_of_at_least_256():
    assert predict_batch(32) == 256 and predict_batch(512) == 512
