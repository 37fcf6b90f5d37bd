"""Warnings about the last layer against the loss and metrics: stacks that train without an
error but learn little or report nonsense. Each names the layer (or the field) and offers
one-click fixes; the run page reuses them to explain a run that learned nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.stacks.outputs import (
    CATEGORICAL,
    LINEAR,
    PROBABILISTIC,
    REGRESSION,
    activation_layer,
    loss_name,
    loss_option,
    loss_with,
    metric_name,
    warning,
)

if TYPE_CHECKING:
    from app.stacks.stack import CheckedStack
    from app.stacks.summary import Summary

_SQUASHING = ("softmax", "sigmoid")


def _output(stack: CheckedStack, summary: Summary) -> tuple[int | None, Any, int | None]:
    """(index of the layer with the output's activation, that activation, output units)."""
    index = activation_layer(stack)
    act = stack.layers[index].full_args().get("activation") if index is not None else None
    out = summary.output_shape
    units = out[-1] if out else None
    return index, act, units


def _set_activation(index: int, act: str, label: str) -> dict[str, Any]:
    return {"action": "set_args", "index": index, "args": {"activation": act}, "label": label}


def _set_loss(loss: Any, label: str) -> dict[str, Any]:
    return {"action": "set_compile", "compile": {"loss": loss}, "label": label}


def linear_with_probabilities(stack: CheckedStack, summary: Summary) -> list[dict]:
    """The logits trap: a linear output read as probabilities (from_logits=False)."""
    loss = stack.compile.get("loss")
    name = loss_name(loss)
    index, act, units = _output(stack, summary)
    if index is None or act not in LINEAR or name not in PROBABILISTIC:
        return []
    if loss_option(loss, "from_logits") or (name in CATEGORICAL and units == 1):
        return []  # one unit under a categorical loss has its own warning
    squash = "sigmoid" if name == "BinaryCrossentropy" else "softmax"
    return [
        warning(
            index,
            "linear_output_without_logits",
            f"{stack.layers[index].label(index)} has no activation, so the model outputs raw "
            f"scores (logits), but the loss {name} has from_logits=false and reads them as "
            f"probabilities: training stalls near chance (Dense(10) with "
            f"SparseCategoricalCrossentropy() trains Fashion-MNIST to 13% instead of 74%). "
            f"Set from_logits to true, or end with activation='{squash}'.",
            _set_loss(loss_with(loss, from_logits=True), "Set from_logits to true"),
            _set_activation(index, squash, f"Use {squash}"),
        )
    ]


def activation_with_logits(stack: CheckedStack, summary: Summary) -> list[dict]:
    """The reverse: softmax or sigmoid, then a loss that applies it again."""
    loss = stack.compile.get("loss")
    index, act, _ = _output(stack, summary)
    if index is None or act not in _SQUASHING or not isinstance(loss, dict):
        return []
    if not loss.get("from_logits"):
        return []
    return [
        warning(
            index,
            "activation_with_logits",
            f"{stack.layers[index].label(index)} ends with {act}, but the loss {loss['name']} "
            f"has from_logits=true, so {act} is applied twice and training is slow and "
            f"unstable. Set from_logits to false (or remove the {act} activation).",
            _set_loss({**loss, "from_logits": False}, "Set from_logits to false"),
        )
    ]


def categorical_without_classes(stack: CheckedStack, summary: Summary) -> list[dict]:
    """A categorical loss over one unit, or over sigmoid scores that are not a distribution."""
    loss = stack.compile.get("loss")
    name = loss_name(loss)
    index, act, units = _output(stack, summary)
    if name not in CATEGORICAL or index is None:
        return []
    label = stack.layers[index].label(index)
    if units == 1 and act != "softmax":  # softmax over one unit has its own warning
        return [
            warning(
                index,
                "categorical_single_unit",
                f"{label} has 1 unit, but the loss {name} needs one output per class, so "
                f"there is nothing to choose between and the model learns nothing. For two "
                f"classes use BinaryCrossentropy (with sigmoid); for more, set units to the "
                f"number of classes.",
                _set_loss("binary_crossentropy", "Use BinaryCrossentropy"),
            )
        ]
    if act == "sigmoid" and not loss_option(loss, "from_logits"):
        return [
            warning(
                index,
                "sigmoid_with_categorical_loss",
                f"{label} ends with sigmoid, which scores each class on its own (the scores "
                f"do not add up to 1), but the loss {name} expects one probability "
                f"distribution over the classes. Use softmax.",
                _set_activation(index, "softmax", "Use softmax"),
            )
        ]
    return []


def softmax_single_unit(stack: CheckedStack, summary: Summary) -> list[dict]:
    index, act, units = _output(stack, summary)
    if index is None or act != "softmax" or units != 1:
        return []
    return [
        warning(
            index,
            "softmax_single_unit",
            f"{stack.layers[index].label(index)} applies softmax to a single unit, which "
            f"always outputs 1.0. For two classes use sigmoid with BinaryCrossentropy, or "
            f"2 units.",
            _set_activation(index, "sigmoid", "Use sigmoid"),
        )
    ]


def accuracy_on_regression(stack: CheckedStack, summary: Summary) -> list[dict]:
    """`accuracy` beside a regression loss on one output: Keras picks binary accuracy, which
    counts a prediction right when it rounds to the target, meaningless for a number."""
    name = loss_name(stack.compile.get("loss"))
    metrics = stack.compile.get("metrics") or []
    if name not in REGRESSION or _output(stack, summary)[2] != 1:
        return []
    found = [m for m in metrics if metric_name(m) == "Accuracy"]
    if not found:
        return []
    kept = [m for m in metrics if metric_name(m) != "Accuracy"]
    if not any(metric_name(m) == "MeanAbsoluteError" for m in kept):
        kept.append("mean_absolute_error")
    return [
        warning(
            None,
            "accuracy_with_regression_loss",
            f"accuracy with the regression loss {name}: the model predicts a number, and "
            f"Keras counts a prediction right only when it rounds to the target (binary "
            f"accuracy at 0.5), which says nothing about how close it is. Track "
            f"mean_absolute_error instead.",
            {
                "action": "set_compile",
                "compile": {"metrics": kept},
                "label": "Track mean_absolute_error instead",
            },
            loc=("compile", "metrics"),
        )
    ]


LOSS_WARNINGS = (
    linear_with_probabilities,
    activation_with_logits,
    categorical_without_classes,
    softmax_single_unit,
    accuracy_on_regression,
)
