"""Metrics against whole-number labels (app/runs/label_metrics.py): with a sparse loss, a
metric that needs one-hot labels is refused before the run is queued, with the metric to use
instead; the builder's dataset check says the same as a warning. The lists are Keras's own
behaviour, checked here against Keras."""

from __future__ import annotations

import numpy as np
import pytest

from app.runs.label_metrics import ONE_HOT_ONLY, SPARSE_TWIN
from tests.helpers.stacks import mlp


def body(metrics, loss="sparse_categorical_crossentropy"):
    return {"architecture": mlp([8, 8], loss=loss, metrics=metrics), "dataset_id": 1,
            "fit": {"epochs": 1}}  # fmt: skip


def test_a_metric_that_needs_one_hot_labels_is_refused_with_the_fix(client):
    answer = client.post("/api/runs", json=body(["accuracy", {"name": "MeanAbsoluteError"}]))
    assert answer.status_code == 422
    problem = answer.json()["detail"][0]
    assert problem["loc"] == ["body", "compile", "metrics", 1]
    assert "MeanAbsoluteError compares each label with the model's 10 scores" in problem["msg"]
    assert "or use CategoricalCrossentropy as the loss" in problem["msg"]
    assert problem["fix"]["compile"] == {"metrics": ["accuracy"]}
    assert client.get("/api/runs").json()["count"] == 0  # nothing queued


def test_a_metric_with_a_sparse_twin_is_replaced_by_it(client):
    metrics = [{"name": "Accuracy"}, {"name": "TopKCategoricalAccuracy", "k": 3}]
    answer = client.post("/api/runs", json=body(metrics))
    assert answer.status_code == 422
    fixes = [p["fix"]["compile"]["metrics"] for p in answer.json()["detail"]]
    assert fixes == [["sparse_categorical_accuracy", metrics[1]],
                     [metrics[0], {"name": "SparseTopKCategoricalAccuracy", "k": 3}]]  # fmt: skip


def test_what_fits_the_labels_is_accepted(client):
    for metrics, loss in (
        (["accuracy", "sparse_top_k_categorical_accuracy"], "sparse_categorical_crossentropy"),
        (["accuracy", {"name": "MeanAbsoluteError"}], "categorical_crossentropy"),  # one-hot
    ):
        answer = client.post("/api/runs", json=body(metrics, loss))
        assert answer.status_code == 202, answer.text


def test_the_builders_dataset_check_warns_with_the_same_fix(client):
    stack = mlp([8, 8], metrics=["accuracy", "mse"])
    warnings = client.post("/api/summary?dataset_id=1", json=stack).json()["warnings"]
    found = [w for w in warnings if w["type"] == "run_metric_labels"]
    assert len(found) == 1 and found[0]["fix"]["compile"] == {"metrics": ["accuracy"]}
    assert found[0]["loc"] == ["compile", "metrics", 1]


@pytest.mark.keras
def test_the_lists_are_what_keras_does(keras):
    x = np.random.default_rng(0).random((64, 8), dtype=np.float32)
    y = np.arange(64) % 10  # whole-number labels, as a sparse loss gets them

    def fits(metric: object) -> dict | None:
        keras.utils.set_random_seed(3)  # the same weights each time: the metrics alone differ
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(10, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy", metrics=[metric])
        try:
            return model.fit(x, y, epochs=1, batch_size=32, verbose=0).history
        except ValueError:
            return None

    for name in ONE_HOT_ONLY | set(SPARSE_TWIN) - {"CategoricalAccuracy"}:
        assert fits(getattr(keras.metrics, name)()) is None, f"{name} trains: drop it"
    # CategoricalAccuracy trains, reading each label as a one-hot row: not the accuracy. (On
    # a model's guesses both can land on the same k/64, so they are read on answers that are
    # all right: 1.0 against a few per cent.)
    assert fits(keras.metrics.CategoricalAccuracy()) is not None
    perfect = np.eye(10, dtype=np.float32)[y]
    right, wrong = keras.metrics.SparseCategoricalAccuracy(), keras.metrics.CategoricalAccuracy()
    right.update_state(y, perfect)
    wrong.update_state(y, perfect)
    assert float(right.result()) == 1.0 and float(wrong.result()) < 0.5
    for twin in set(SPARSE_TWIN.values()):
        assert fits(twin) is not None, twin
