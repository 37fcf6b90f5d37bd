"""Metrics against the labels they will be given. With a sparse loss the labels stay whole
numbers, one per sample, while the model gives one score per class: most of Keras's metric
objects then compare a (batch,) with a (batch, classes) array and training stops at its first
step with a shape error (the tutorial's MeanAbsoluteError beside a sparse loss does), or,
for CategoricalAccuracy, reads the label as a one-hot vector and reports nonsense. Found
before a run is queued, each with the metric to use instead (checked in
tests/runs/test_label_metrics.py against Keras itself)."""

from __future__ import annotations

from typing import Any

from app.catalog import Invalid, Problem
from app.stacks import CheckedStack
from app.stacks.outputs import metric_name

# The metric to use with whole-number labels, where Keras has one.
SPARSE_TWIN = {
    "Accuracy": "sparse_categorical_accuracy",
    "BinaryAccuracy": "sparse_categorical_accuracy",
    "CategoricalAccuracy": "sparse_categorical_accuracy",
    "TopKCategoricalAccuracy": "sparse_top_k_categorical_accuracy",
    "CategoricalCrossentropy": "sparse_categorical_crossentropy",
}
# ...and those that have none: they need one-hot labels (CategoricalCrossentropy's).
ONE_HOT_ONLY = frozenset(
    {"MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError", "BinaryCrossentropy",
     "Precision", "Recall", "AUC"}
)  # fmt: skip
# The string "accuracy" lets Keras pick the accuracy that fits the loss: always right.
CHOSEN_BY_KERAS = ("accuracy", "acc")


def check_metrics(stack: CheckedStack, labels: str, units: int) -> None:
    """Invalid naming each metric that cannot take whole-number labels (labels == "sparse")."""
    if labels != "sparse" or units < 2:
        return
    metrics: list[Any] = list(stack.compile.get("metrics") or [])
    problems = []
    for index, metric in enumerate(metrics):
        if isinstance(metric, str) and metric.lower() in CHOSEN_BY_KERAS:
            continue
        name = metric_name(metric)
        if name not in SPARSE_TWIN and name not in ONE_HOT_ONLY:
            continue
        problems.append(_problem(stack, metrics, index, name, units))
    if problems:
        raise Invalid(problems)


def _problem(stack: CheckedStack, metrics: list[Any], index: int, name: str, units: int) -> Problem:
    metric = metrics[index]
    replacement: Any = SPARSE_TWIN.get(name)
    if name == "TopKCategoricalAccuracy" and isinstance(metric, dict) and "k" in metric:
        replacement = {"name": "SparseTopKCategoricalAccuracy", "k": metric["k"]}
    kept = [m for i, m in enumerate(metrics) if i != index]
    if replacement is None:
        label = f"Remove {name}"
        instead = (
            f"remove it, or use CategoricalCrossentropy as the loss (its labels are one-hot, "
            f"which {name} can read)"
        )
    else:
        kept.insert(index, replacement)
        shown = replacement if isinstance(replacement, str) else replacement["name"]
        label, instead = f"Use {shown}", f"use {shown}"
    loss = stack.compile.get("loss")
    loss_text = loss if isinstance(loss, str) else (loss or {}).get("name")
    nonsense = " (or report nonsense)" if name == "CategoricalAccuracy" else ""
    return Problem(
        ("compile", "metrics", index),
        f"The metric {name} compares each label with the model's {units} scores, but with "
        f"the loss {loss_text} the labels stay whole numbers (one per sample), so training "
        f"would stop at its first step with a shape error{nonsense}: {instead}.",
        "run_metric_labels",
        metric,
        {"action": "set_compile", "compile": {"metrics": kept}, "label": label},
    )
