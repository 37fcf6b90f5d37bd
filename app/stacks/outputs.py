"""The model's output against its loss: which family a loss belongs to, which activation the
model ends with, and the shape of a warning (what every piece of advice answers with)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.catalog import LOSSES, METRICS

if TYPE_CHECKING:
    from app.stacks.stack import CheckedStack

SPARSE = frozenset({"SparseCategoricalCrossentropy"})
CATEGORICAL = frozenset({"SparseCategoricalCrossentropy", "CategoricalCrossentropy"})
# Losses that read the output as probabilities unless from_logits=True.
PROBABILISTIC = CATEGORICAL | {"BinaryCrossentropy"}
BINARY = frozenset({"BinaryCrossentropy", "Hinge"})
REGRESSION = frozenset(
    {
        "MeanSquaredError",
        "MeanAbsoluteError",
        "Huber",
        "MeanAbsolutePercentageError",
        "MeanSquaredLogarithmicError",
    }
)
LINEAR = (None, "linear")
# Layers an output passes through unchanged in its last axis: the activation is before them.
_PASS_THROUGH = ("Dropout", "Flatten", "Reshape")


def loss_name(loss: Any) -> str | None:
    """The Keras class a loss setting means, whether given as an id or an object."""
    if loss is None:
        return None
    spec = LOSSES.find(loss if isinstance(loss, str) else loss["name"])
    return spec.name if spec else None


def loss_option(loss: Any, key: str) -> Any:
    return loss.get(key) if isinstance(loss, dict) else None


def loss_with(loss: Any, **options: Any) -> dict[str, Any]:
    """The loss as an object (a string id becomes its class name) with these options set."""
    base = dict(loss) if isinstance(loss, dict) else {"name": loss_name(loss)}
    return {**base, **options}


def metric_name(metric: Any) -> str | None:
    spec = METRICS.find(metric if isinstance(metric, str) else metric.get("name", ""))
    return spec.name if spec else None


def output_activation(stack: CheckedStack) -> tuple[int, str | None]:
    """The activation the model ends with (Dense/Activation/... as the last layer that has one)."""
    index = activation_layer(stack)
    if index is None:
        return len(stack.layers) - 1, None
    return index, stack.layers[index].full_args().get("activation")


def activation_layer(stack: CheckedStack) -> int | None:
    """The index of the layer whose `activation` the model ends with; None when the last
    layer that changes values has no such argument (a pooling or a normalization)."""
    for index in range(len(stack.layers) - 1, -1, -1):
        layer = stack.layers[index]
        if layer.type.arg("activation") is not None:
            return index
        if layer.type.name not in _PASS_THROUGH:
            return None
    return None


def warning(
    index: int | None,
    kind: str,
    msg: str,
    *fixes: dict[str, Any],
    loc: tuple[str | int, ...] | None = None,
) -> dict[str, Any]:
    """A warning as the API answers it: where, what kind, the words, and its one-click fixes
    (`fix` is the first; `fixes` lists them all when there is a choice)."""
    where = loc or (("layers", index) if index is not None else ("compile", "loss"))
    out: dict[str, Any] = {"loc": list(where), "index": index, "type": kind, "msg": msg}
    if fixes:
        out["fix"] = fixes[0]
    if len(fixes) > 1:
        out["fixes"] = list(fixes)
    return out
