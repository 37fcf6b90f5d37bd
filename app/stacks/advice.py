"""Warnings: stacks that Keras builds but that are almost always a mistake.

Each names the layer and the fix, and carries a one-click action where there is one. The
ones about the last layer against the loss and metrics are in loss_advice.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.catalog.shapes import insert_fix
from app.stacks.loss_advice import LOSS_WARNINGS
from app.stacks.outputs import output_activation, warning

if TYPE_CHECKING:
    from app.stacks.stack import CheckedStack
    from app.stacks.summary import Summary

__all__ = ["find_warnings", "output_activation"]


def _dense_on_grid(stack: CheckedStack, summary: Summary) -> list[dict]:
    """Dense on (batch, h, w, ...) acts on the last axis only: usually a missing Flatten.

    Only the first Dense of a chain is flagged; the ones after it just follow.
    """
    shape = summary.input_shape
    for index, (layer, row) in enumerate(zip(stack.layers, summary.layers, strict=True)):
        if layer.type.name == "Dense" and shape is not None and len(shape) > 1:
            grid = "(None, " + ", ".join(str(d) for d in shape) + ")"
            return [
                warning(
                    index,
                    "dense_multi_dim_input",
                    f"{layer.label(index)} gets a multi-dimensional input {grid}: Dense acts "
                    f"on the last axis only, so the output stays {len(shape) + 1}D. A "
                    f"classifier almost always needs Flatten before it.",
                    {**insert_fix("Flatten"), "index": index},
                )
            ]
        shape = row.output_shape[1:] if row.output_shape else None
    return []


def _unbuilt(stack: CheckedStack, summary: Summary) -> list[dict]:
    if summary.built:
        return []
    # Only examples the first layer takes: a Conv2D refuses [784], a Dense wants it flat.
    examples = {
        None: "[28, 28] for MNIST images before a Flatten",
        1: "[784] for flat vectors",
        2: "[100, 8] for 100 steps of 8 features",
        3: "[28, 28, 1] for MNIST images",
    }
    rank = stack.layers[0].type.rank if stack.layers[0].type.name != "Dense" else 1
    example = examples.get(rank, examples[3])
    return [
        warning(
            0,
            "no_input_shape",
            "No input shape: the model is not built yet, so shapes and parameter counts are "
            f"unknown. Set input_shape (e.g. {example}); training takes it from the dataset, "
            "with the axes the first layer needs.",
        )
    ]


def find_warnings(stack: CheckedStack, summary: Summary) -> list[dict]:
    found = [*_unbuilt(stack, summary), *_dense_on_grid(stack, summary)]
    for advise in LOSS_WARNINGS:
        found += advise(stack, summary)
    return found
