"""Shape arithmetic shared by the layer catalog: Keras's own formulas, without Keras.

Shapes here leave out the batch axis: (28, 28, 1) is what Keras prints as (None, 28, 28, 1).
`None` is an unknown size (a variable-length sequence) and propagates as Keras propagates it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

Dim = int | None
Shape = tuple[Dim, ...]


@dataclass(frozen=True)
class Out:
    """What one layer makes of its input: output shape and weight counts."""

    shape: Shape
    trainable: int = 0
    non_trainable: int = 0


class ShapeError(ValueError):
    """The layer cannot take this input; `fix` is an action a UI can offer with one click."""

    def __init__(self, message: str, fix: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


def fmt(shape: Shape) -> str:
    """A shape as Keras prints it, batch axis included: (None, 28, 28, 1)."""
    return "(" + ", ".join(str(d) for d in (None, *shape)) + ")"


def product(dims: Shape) -> Dim:
    if any(d is None for d in dims):
        return None
    return math.prod(d for d in dims if d is not None)


def split_channels(shape: Shape, data_format: str | None) -> tuple[Shape, Dim]:
    """(spatial dims, channels) for channels_last (default) or channels_first."""
    if data_format == "channels_first":
        return shape[1:], shape[0]
    return shape[:-1], shape[-1]


def join_channels(spatial: Shape, channels: Dim, data_format: str | None) -> Shape:
    if data_format == "channels_first":
        return (channels, *spatial)
    return (*spatial, channels)


def conv_length(size: Dim, kernel: int, stride: int, padding: str, dilation: int = 1) -> Dim:
    """keras.src.ops.operation_utils.compute_conv_output_shape, one axis."""
    if size is None:
        return None
    if padding == "valid":
        return (size - dilation * (kernel - 1) - 1) // stride + 1
    return (size - 1) // stride + 1  # "same" and "causal"


def pool_length(size: Dim, pool: int, stride: int, padding: str) -> Dim:
    """keras.src.ops.operation_utils.compute_pooling_output_shape, one axis."""
    if size is None:
        return None
    if padding == "valid":
        return (size - pool) // stride + 1
    return (size - 1) // stride + 1


def reshape_target(shape: Shape, rank: int) -> list[int] | None:
    """A natural Reshape target with `rank` dims for this input, if one is obvious."""
    size = product(shape)
    if size is None:
        return None
    if rank == 3:
        if len(shape) == 2:
            return [*shape, 1]  # type: ignore[list-item]
        for channels in (1, 3):
            side = math.isqrt(size // channels)
            if side * side * channels == size:
                return [side, side, channels]
        return None
    if rank == 2:
        if len(shape) == 1:
            return [size, 1]
        if len(shape) == 3:
            return [shape[0], shape[1] * shape[2]]  # type: ignore[list-item,operator]
    return None


def insert_fix(layer_type: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    """A one-click fix: insert a layer before the one at fault (the summary adds `index`)."""
    shown = ", ".join(
        f"{v!r}" if k == "target_shape" else f"{k}={v!r}" for k, v in (args or {}).items()
    )
    return {
        "action": "insert",
        "layer": {"type": layer_type, "args": args or {}},
        "label": f"Insert {layer_type}({shown}) here",
    }


def set_args_fix(args: dict[str, Any], label: str) -> dict[str, Any]:
    """A one-click fix: change arguments of the layer at fault."""
    return {"action": "set_args", "args": args, "label": label}
