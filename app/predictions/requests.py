"""What the web process asks the inference process for when looking inside a model: plain
dataclasses, no TensorFlow, so both processes can make and read them (they cross the pipe
pickled)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Caps:
    """How much of a model's insides one answer holds."""

    layers: int  # layers answered, the first ones (INSIDE_MAX_LAYERS)
    maps: int  # feature maps per layer (INSIDE_MAX_MAPS)
    values: int  # numbers per 1-D output (INSIDE_MAX_VALUES)


@dataclass(frozen=True)
class Question:
    """A run's test split and how the run read it, for its confusion cells' examples."""

    folder: str
    preprocessing: dict[str, Any]
    batch_size: int
    activation: str | None
    from_logits: bool
