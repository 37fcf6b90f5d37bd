"""`model.summary()` without Keras: shapes and parameter counts from the catalog's rules.

Building the Keras model costs ~60 ms and importing TensorFlow ~9 s, far too slow for a
builder that asks on every drag; these rules are proven equal to Keras in tests/ml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.catalog import Invalid, Problem, ShapeError
from app.catalog.problems import invalid
from app.catalog.shapes import Shape, fmt, insert_fix, reshape_target
from app.models import SummaryRow
from app.stacks.advice import find_warnings
from app.stacks.stack import CheckedLayer, CheckedStack, check_stack

BYTES_PER_PARAM = 4  # float32 weights


@dataclass
class Summary:
    input_shape: list[int | None] | None
    layers: list[SummaryRow]
    warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def built(self) -> bool:
        return self.input_shape is not None

    @property
    def trainable_params(self) -> int:
        return sum(row.trainable_params for row in self.layers)

    @property
    def non_trainable_params(self) -> int:
        return sum(row.non_trainable_params for row in self.layers)

    @property
    def total_params(self) -> int:
        return self.trainable_params + self.non_trainable_params

    @property
    def output_shape(self) -> list[int | None] | None:
        return self.layers[-1].output_shape if self.layers else None

    def as_json(self) -> dict[str, Any]:
        return {
            "input_shape": self.input_shape,
            "output_shape": self.output_shape,
            "built": self.built,
            "layers": [row.model_dump() for row in self.layers],
            "total_params": self.total_params,
            "trainable_params": self.trainable_params,
            "non_trainable_params": self.non_trainable_params,
            "size_bytes": self.total_params * BYTES_PER_PARAM,
            "warnings": self.warnings,
        }


def _rank_problem(layer: CheckedLayer, index: int, shape: Shape) -> Problem:
    kind = layer.type
    assert kind.rank is not None
    target = reshape_target(shape, kind.rank)
    if target is not None:
        fix: dict[str, Any] | None = {
            **insert_fix("Reshape", {"target_shape": target}),
            "index": index,
        }
        how = f"add Reshape({target}) before it"
    else:
        fix, how = None, "add a Reshape before it that gives it that shape"
    if len(shape) > kind.rank and kind.rank == 2:
        how += " (or Flatten/GlobalAveragePooling2D for images)"
    msg = (
        f"{layer.label(index)} expects a {kind.rank + 1}D input {kind.takes}, but its input is "
        f"{fmt(shape)}: {how}."
    )
    return Problem(("layers", index), msg, "layer_input_rank", list(shape), fix)


def _infer(layer: CheckedLayer, index: int, shape: Shape) -> tuple[Shape, int, int]:
    if layer.type.rank is not None and len(shape) != layer.type.rank:
        raise Invalid([_rank_problem(layer, index, shape)])
    try:
        out = layer.type.infer(shape, layer.full_args())
    except ShapeError as error:
        fix = {**error.fix, "index": index} if error.fix else None
        msg = f"{layer.label(index)}: {error.message}"
        raise invalid(("layers", index), msg, "layer_shape", list(shape), fix) from None
    return out.shape, out.trainable, out.non_trainable


def _row(
    index: int, layer: CheckedLayer, shape: list[int | None] | None, trainable: int, frozen: int
) -> SummaryRow:
    return SummaryRow(
        index=index,
        name=layer.name,
        type=layer.type.name,
        output_shape=shape,
        params=trainable + frozen,
        trainable_params=trainable,
        non_trainable_params=frozen,
    )


def summarize(stack: CheckedStack, max_params: int | None = None) -> Summary:
    """The summary of a checked stack, or Invalid naming the first layer that cannot build."""
    shape = stack.input_shape
    rows: list[SummaryRow] = []
    for index, layer in enumerate(stack.layers):
        if shape is None:  # unbuilt, as Keras shows a Sequential with no input shape
            rows.append(_row(index, layer, None, 0, 0))
            continue
        shape, trainable, frozen = _infer(layer, index, shape)
        rows.append(_row(index, layer, [None, *shape], trainable, frozen))
    summary = Summary(list(stack.input_shape) if stack.input_shape else None, rows)
    if max_params is not None and summary.total_params > max_params:
        biggest = max(rows, key=lambda r: r.params)
        raise invalid(
            ("layers", biggest.index),
            f"The model has {summary.total_params:,} parameters, over the cap of "
            f"{max_params:,} (MAX_PARAMS). The largest is "
            f"{stack.layers[biggest.index].label(biggest.index)} with {biggest.params:,}: "
            f"use fewer units or filters, or add pooling before Flatten.",
            "model_too_large",
            summary.total_params,
        )
    summary.warnings = find_warnings(stack, summary)
    return summary


def check_and_summarize(
    data: dict[str, Any], max_layers: int, max_params: int
) -> tuple[CheckedStack, Summary]:
    """Everything the API does with a stack before it answers or saves: Invalid, or both."""
    stack = check_stack(data, max_layers)
    return stack, summarize(stack, max_params)
