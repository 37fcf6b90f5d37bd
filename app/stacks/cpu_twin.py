"""A channels_last twin of a channels_first stack, since TF's CPU kernels cannot convolve NCHW.

The twin computes the same function on transposed inputs, with the same layer names and
weights: Keras stores a conv kernel as (kh, kw, cin, cout) whatever the data_format. Wherever
the tensor is channels-first in the original, it is channels-last in the twin; a layer that
reads the original layout (Flatten, Dense, Reshape, ...) gets a Permute back to
channels-first in front of it, so it sees exactly what it saw before. Pure Python on
CheckedStack; the Permute layer exists only in twins, outside the catalog.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.catalog import LayerType, Out
from app.catalog.args import Shape
from app.catalog.shapes import Shape as ShapeT
from app.stacks.stack import CheckedLayer, CheckedStack

FIRST, LAST = "channels_first", "channels_last"
# Elementwise: the same on either layout.
_NEUTRAL = frozenset({"Dropout", "Activation", "GaussianNoise", "Rescaling"})
# These end with a flat tensor unless keepdims.
_GLOBAL = frozenset(
    {"GlobalAveragePooling2D", "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalMaxPooling1D"}
)


def _permute(shape: ShapeT, args: dict[str, Any]) -> Out:
    return Out(tuple(shape[d - 1] for d in args["dims"]))


PERMUTE = LayerType(
    name="Permute",
    group="core",
    help="Reorders the axes of each sample (1-based, the batch axis excluded)",
    args=(Shape(name="dims", help="The new order of the axes, e.g. [3, 1, 2]"),),
    infer=_permute,
)


def _spatial_first(layer: CheckedLayer) -> bool:
    """A channels_first conv/pooling/upsampling/... layer (Flatten has no fixed rank)."""
    return layer.type.rank is not None and layer.args.get("data_format") == FIRST


def needs_twin(stack: CheckedStack) -> bool:
    """Whether the stack has channels_first layers that the CPU twin turns channels_last.

    Only convolutions fail on TF's CPU kernels, but the twin converts every such layer, so
    the whole channels-first part runs without transposes.
    """
    return any(_spatial_first(layer) for layer in stack.layers)


def _input_rank(stack: CheckedStack) -> int | None:
    """The input's rank if it enters channels-first: elementwise layers, then one such layer."""
    for layer in stack.layers:
        if layer.type.name not in _NEUTRAL:
            return layer.type.rank if _spatial_first(layer) else None
    return None


def _to_last(rank: int) -> list[int]:
    return [*range(2, rank + 1), 1]  # (C, H, W) -> (H, W, C), as Permute's 1-based dims


def _to_first(rank: int) -> list[int]:
    return [rank, *range(1, rank)]  # (H, W, C) -> (C, H, W)


class _Twin:
    """Builds the twin's layers one by one; `rank` is set while the twin's tensor is the
    channels-last transpose of the original's (channels-first) one, None while they are equal."""

    def __init__(self, stack: CheckedStack, rank: int | None) -> None:
        self.taken = {layer.name for layer in stack.layers}
        self.rank = rank
        self.layers: list[CheckedLayer] = []

    def add(self, layer: CheckedLayer) -> None:
        if self.rank is None:
            if _spatial_first(layer):
                assert layer.type.rank is not None
                self._permute(layer, _to_last(layer.type.rank))
                self.rank = layer.type.rank
                self._convert(layer)
            else:
                self.layers.append(layer)
        elif layer.type.name in _NEUTRAL:
            self.layers.append(layer)
        elif _spatial_first(layer):
            self._convert(layer)
        elif layer.type.name == "BatchNormalization" and layer.full_args()["axis"] in (
            1,
            -self.rank - 1,
        ):
            self.layers.append(replace(layer, args={**layer.args, "axis": -1}))
        elif layer.type.name == "Flatten" and layer.args.get("data_format") == FIRST:
            # Keras's Flatten(channels_first) moves the channels last, then flattens.
            self.layers.append(replace(layer, args={**layer.args, "data_format": LAST}))
            self.rank = None
        else:
            self._permute(layer, _to_first(self.rank))
            self.rank = None
            self.layers.append(layer)

    def _convert(self, layer: CheckedLayer) -> None:
        self.layers.append(replace(layer, args={**layer.args, "data_format": LAST}))
        if layer.type.name in _GLOBAL and not layer.full_args()["keepdims"]:
            self.rank = None  # flat: (C,) in both

    def _permute(self, before: CheckedLayer, dims: list[int]) -> None:
        name = f"{before.name}_permute"
        while name in self.taken:
            name += "_"
        self.taken.add(name)
        self.layers.append(CheckedLayer(PERMUTE, {"dims": dims}, name, custom_name=True))


def cpu_twin(stack: CheckedStack) -> tuple[CheckedStack, tuple[int, ...] | None]:
    """The channels_last twin and the axis permutation for each input sample (None: as is).

    Feed the twin `x.transpose((0, *(a + 1 for a in perm)))` for a batch `x`; it returns what
    the original returns on `x`, given the original's weights (copied by layer name).
    """
    if not needs_twin(stack):
        return stack, None
    rank = _input_rank(stack)
    twin = _Twin(stack, rank)
    for layer in stack.layers:
        twin.add(layer)
    shape, perm = stack.input_shape, None
    if rank is not None:
        perm = (*range(1, rank), 0)
        if shape is not None:
            shape = tuple(shape[a] for a in perm)
    return CheckedStack(shape, twin.layers, dict(stack.compile)), perm
