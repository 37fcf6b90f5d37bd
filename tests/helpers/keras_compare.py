"""Side-by-side helpers: our summary and the one Keras computes for the same stack."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.ml.compiler import build_model
from app.stacks.stack import CheckedStack, check_stack
from app.stacks.summary import Summary, summarize


def _size(weights: list[Any]) -> int:
    return int(sum(np.prod(w.shape) for w in weights))


def keras_rows(model: Any) -> list[tuple]:
    return [
        (
            layer.name,
            type(layer).__name__,
            list(layer.output.shape),
            layer.count_params(),
            _size(layer.trainable_weights),
            _size(layer.non_trainable_weights),
        )
        for layer in model.layers
    ]


def our_rows(summary: Summary) -> list[tuple]:
    return [
        (r.name, r.type, r.output_shape, r.params, r.trainable_params, r.non_trainable_params)
        for r in summary.layers
    ]


def both(data: dict[str, Any]) -> tuple[CheckedStack, Summary, Any]:
    stack = check_stack(data, max_layers=200)
    summary = summarize(stack)
    return stack, summary, build_model(stack)


def assert_same_as_keras(data: dict[str, Any]) -> Summary:
    """Our rows and totals equal the Keras model's, layer by layer."""
    _, summary, model = both(data)
    assert our_rows(summary) == keras_rows(model)
    assert summary.total_params == model.count_params()
    assert summary.trainable_params == _size(model.trainable_weights)
    assert summary.non_trainable_params == _size(model.non_trainable_weights)
    return summary
