"""What Layerstack changes between a dataset and a model, in words and as data, so nothing
changes silently: the run page lists it, the exported script says it where it does it, and
the prediction page says what the model expects.

plan.py decides each change and writes it into the run's `preprocessing` (which training,
prediction and the export then apply); `automatic_changes` only describes those decisions,
at the moment they are made, and is stored beside them.
"""

from __future__ import annotations

from typing import Any


def _shape(dims: list[int]) -> str:
    """A sample's shape as Python writes a tuple: (28, 28, 1), (64,)."""
    return "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def _number(x: float) -> str:
    return f"{x:g}"


def _scale(prep: dict[str, Any]) -> dict[str, Any] | None:
    if prep["scale"] == 1.0 and prep["offset"] == 0.0:
        return None
    low, high = prep["value_range"]
    span = _number(high - low)
    formula = f"x / {_number(high)}" if low == 0 else f"(x - {_number(low)}) / {span}"
    return {
        "kind": "scale",
        "from": [low, high],
        "to": [0.0, 1.0],
        "scale": prep["scale"],
        "offset": prep["offset"],
        "text": f"Inputs scaled from the dataset's range {_number(low)}..{_number(high)} to "
        f"[0, 1] ({formula}), as fit.normalize asks.",
        "expects": f"values scaled to [0, 1] ({formula})",
    }


def _reshape(prep: dict[str, Any]) -> dict[str, Any] | None:
    transform, data = prep["input"], prep["dataset_shape"]
    if transform["kind"] == "reshape":
        to = transform["shape"]
        return {
            "kind": "reshape",
            "from": data,
            "to": to,
            "text": f"Each sample reshaped from {_shape(data)} to {_shape(to)}, the model's "
            f"input shape (the same values in the same order).",
            "expects": f"samples of shape {_shape(to)}",
        }
    if transform["kind"] == "transpose":
        to = transform["shape"]
        return {
            "kind": "transpose",
            "from": data,
            "to": to,
            "axes": transform["axes"],
            "text": f"Each sample transposed from {_shape(data)} (channels last) to "
            f"{_shape(to)} (channels first), as the model's channels_first input takes it.",
            "expects": f"channels-first samples of shape {_shape(to)}",
        }
    return None


def _twin(prep: dict[str, Any]) -> dict[str, Any] | None:
    axes = prep.get("twin_axes")
    if not prep.get("cpu_twin", axes is not None):
        return None
    moved = (
        f" Its inputs are transposed to channels last (axes {axes}) before they reach it."
        if axes
        else ""
    )
    return {
        "kind": "channels_last_twin",
        "axes": axes,
        "text": "Trained as a channels_last twin: TensorFlow's CPU kernels cannot run "
        "channels_first convolutions, so this run trained (and saved as model.keras) the same "
        "model with those layers turned channels_last and the same weights." + moved,
        "expects": "channels-last inputs (the saved model is the channels_last twin)"
        if axes
        else None,
    }


def _labels(prep: dict[str, Any], loss: str | None) -> dict[str, Any] | None:
    classes = len(prep["class_names"])
    top = classes - 1
    if prep["labels"] == "one_hot":
        why = (
            f"{loss} expects one-hot targets (Keras itself would raise on integer labels)"
            if loss == "CategoricalCrossentropy"
            else f"{loss} compares each of the {classes} outputs with a target of its own"
        )
        return {
            "kind": "one_hot",
            "classes": classes,
            "loss": loss,
            "text": f"Integer labels (0..{top}) one-hot encoded into {classes} columns, since "
            f"{why}.",
        }
    if prep["labels"] == "value":
        return {
            "kind": "labels_as_numbers",
            "loss": loss,
            "text": f"Class indices (0..{top}) used as the numbers to predict, since {loss} on "
            f"one output is a regression: the model learns a number, not a class.",
        }
    return None


def input_shape_taken(shape: list[int]) -> dict[str, Any]:
    """The stack had no input shape: the dataset's was used, as Keras builds on first data."""
    return {
        "kind": "input_shape",
        "to": shape,
        "text": f"The stack had no input shape, so it was built for the dataset's samples, "
        f"{_shape(shape)}, as Keras builds an unbuilt model from the first batch it sees.",
    }


def describe(prep: dict[str, Any], loss: str | None) -> list[dict[str, Any]]:
    """The changes a run's preprocessing makes, in the order they are applied."""
    found = [_scale(prep), _reshape(prep), _twin(prep), _labels(prep, loss)]
    return [{k: v for k, v in c.items() if v is not None} for c in found if c is not None]


def automatic_changes(prep: dict[str, Any], loss: str | None) -> list[dict[str, Any]]:
    """A run's list: as recorded when it was planned; for runs from before the list was
    recorded, described now from the same preprocessing."""
    recorded = prep.get("automatic_changes")
    return recorded if recorded is not None else describe(prep, loss)
