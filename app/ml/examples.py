"""Where the model is wrong: the run's test set predicted once in the inference process,
by the rule and batch size its confusion matrix came from (app/ml/confusion.py), and the
samples of one (true, predicted) cell, the most confident first."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from app.datasets.base import load_split
from app.datasets.samples import png_data_url
from app.ml import confusion
from app.ml.data import prepare_x, prepare_y
from app.predictions.labels import probabilities
from app.predictions.requests import Question


@dataclass(frozen=True)
class TestSet:
    x: np.ndarray  # the stored samples (memory-mapped), for their pictures
    truth: np.ndarray
    predicted: np.ndarray
    probs: np.ndarray  # (n, classes)


def predict_test_set(model: keras.Model, question: Question) -> TestSet:
    prep = question.preprocessing
    split = load_split(Path(question.folder), "test")
    if split is None:
        raise LookupError("The run's dataset has no test split, so there are no examples.")
    raw_x, raw_y = split
    twin = tuple(prep["twin_axes"]) if prep.get("twin_axes") else None
    count = len(prep["class_names"])
    x, y = prepare_x(raw_x, prep, twin), prepare_y(raw_y, prep["labels"], count)
    scores = model.predict(x, batch_size=confusion.predict_batch(question.batch_size), verbose=0)
    truth, predicted = confusion.classes(scores, y, prep["labels"], count, question.from_logits)
    probs = probabilities(scores, prep["labels"], question.activation)
    return TestSet(raw_x, truth, predicted, probs)


def test_sample(question: Question, index: int) -> tuple[np.ndarray, dict[str, Any]]:
    """One test-set sample as the model's input (a batch of 1), and what it is."""
    prep = question.preprocessing
    split = load_split(Path(question.folder), "test")
    assert split is not None  # the web process checked the index against it
    raw_x, raw_y = split
    twin = tuple(prep["twin_axes"]) if prep.get("twin_axes") else None
    low, high = prep.get("value_range", [0.0, 255.0])
    label = int(raw_y[index])
    return prepare_x(raw_x[index : index + 1], prep, twin), {
        "sample": index,
        "true": label,
        "true_label": prep["class_names"][label],
        "model_input_shape": [None, *prep["model_shape"]],
        "model_input_png": png_data_url(np.asarray(raw_x[index]), low, high),
    }


def cell(
    tests: TestSet,
    prep: dict[str, Any],
    true: int | None,
    predicted: int | None,
    offset: int,
    limit: int,
) -> dict[str, Any]:
    """One page of the samples with that true and predicted class (None: any; both None:
    every mistake), ordered by the predicted class's probability, highest first."""
    chosen = np.ones(len(tests.truth), bool)
    if true is not None:
        chosen &= tests.truth == true
    if predicted is not None:
        chosen &= tests.predicted == predicted
    if true is None and predicted is None:
        chosen &= tests.truth != tests.predicted
    rows = np.flatnonzero(chosen)
    confidence = tests.probs[rows, tests.predicted[rows]]
    rows = rows[np.argsort(-confidence, kind="stable")]
    low, high = prep.get("value_range", [0.0, 255.0])
    names = prep["class_names"]
    items = []
    for i in rows[offset : offset + limit]:
        t, p = int(tests.truth[i]), int(tests.predicted[i])
        items.append(
            {
                "index": int(i),
                "true": t,
                "true_label": names[t],
                "predicted": p,
                "predicted_label": names[p],
                "probability": float(tests.probs[i, p]),
                "true_probability": float(tests.probs[i, t]),
                "image": png_data_url(np.asarray(tests.x[i]), low, high),
            }
        )
    return {"count": len(rows), "test_samples": len(tests.truth), "data": items}
