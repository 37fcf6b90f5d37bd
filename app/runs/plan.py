"""Before a run is queued: does this stack fit this dataset? Input shape, output units against
the number of classes, loss against the label format. Each mismatch is a 422 that says what
to change; what fits is written down as the run's preprocessing, used again at prediction."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.catalog import Invalid, Problem
from app.catalog.problems import invalid
from app.catalog.shapes import insert_fix, reshape_target
from app.models import Dataset, FitSettings
from app.runs.changes import describe, input_shape_taken
from app.runs.label_metrics import check_metrics
from app.stacks import CheckedStack, Summary, check_and_summarize
from app.stacks.cpu_twin import cpu_twin, needs_twin
from app.stacks.outputs import BINARY, REGRESSION, SPARSE, loss_name, warning

# Losses are named as the catalog names them (its Keras class), here as in every other
# message, not also by their string ids.
SPARSE_LOSS = loss_name("sparse_categorical_crossentropy")


@dataclass(frozen=True)
class Plan:
    stack: CheckedStack
    summary: Summary
    preprocessing: dict[str, Any]


def fitting_shape(stack: CheckedStack, data: Sequence[int]) -> list[int]:
    """The dataset's sample shape as the stack's first layer takes it: (28, 28) images are
    [28, 28, 1] for a Conv2D ([1, 28, 28] channels_first), as they are for a Flatten."""
    dims = list(data)
    first = stack.layers[0] if stack.layers else None
    rank = first.type.rank if first is not None else None
    if first is None or rank is None or rank == len(dims):
        return dims
    if rank > len(dims):
        ones = [1] * (rank - len(dims))
        channels_first = first.full_args().get("data_format") == "channels_first"
        return [*ones, *dims] if channels_first else [*dims, *ones]
    return reshape_target(dims, rank) or dims  # type: ignore[arg-type]


def use_shape_fix(shape: list[int]) -> dict[str, Any]:
    """A one-click fix: set the stack's input shape."""
    return {
        "action": "set_input_shape",
        "input_shape": shape,
        "label": f"Use the dataset's shape {shape}",
    }


def _input_transform(
    model: list[int | None], data: list[int], where: tuple, fitted: list[int]
) -> dict[str, Any]:
    """How a dataset sample becomes a model input: as is, reshaped, or transposed."""
    if list(model) == list(data):
        return {"kind": "none"}
    size = math.prod(data)
    if None not in model and math.prod(d for d in model if d) == size:
        # (H, W, C) data for a channels_first (C, H, W) model is a transpose, not a reshape.
        if len(data) == 3 and len(model) == 3 and [data[2], data[0], data[1]] == model:
            return {"kind": "transpose", "axes": [2, 0, 1], "shape": model}
        return {"kind": "reshape", "shape": model}
    # Only a shape the first layer takes is worth advising: a Conv2D refuses [28, 28].
    axis = " (with the channel axis the first layer needs)" if fitted != list(data) else ""
    raise invalid(
        where,
        f"The model takes inputs of shape {_shape(model)}, but the dataset's samples are "
        f"{_shape(data)} ({size} values each). Set input_shape to {fitted}, the dataset's "
        f"shape{axis}, or pick a dataset that matches.",
        "run_input_shape",
        model,
        use_shape_fix(fitted),
    )


def _shape(dims: Sequence[int | None]) -> str:
    return "(None, " + ", ".join(str(d) for d in dims) + ")"


def _labels(stack: CheckedStack, summary: Summary, classes: int) -> str:
    """sparse, one_hot, binary or value: how labels are fed to this loss."""
    out = summary.output_shape or []
    last = len(stack.layers) - 1
    label = stack.layers[last].label(last)
    if len(out) != 2:
        at = _flatten_at(stack, summary)
        flatten = insert_fix("Flatten") if at is not None else None
        change = (
            f"add Flatten (or GlobalAveragePooling2D) before {stack.layers[at].label(at)}, "
            f"which acts on the last axis only"
            if at is not None
            else f"end with Flatten (or GlobalAveragePooling2D) and Dense({classes}, "
            f"activation='softmax')"
        )
        raise invalid(
            ("architecture", "layers", last if at is None else at),
            f"The model's output is {_shape(out[1:])} but a classifier needs "
            f"(None, classes): {change}.",
            "run_output_shape",
            out,
            flatten,
        )
    units, loss = out[1], loss_name(stack.compile.get("loss"))
    if loss is None:
        raise invalid(
            ("compile", "loss"),
            f"Choose a loss before training, e.g. {SPARSE_LOSS} for integer class labels.",
            "run_loss",
            None,
            _loss_fix(stack),
        )
    if loss in BINARY:
        if classes == 2 and units == 1:
            return "binary"
        fix = (
            f"the dataset has {classes} classes: use {SPARSE_LOSS} "
            f"with Dense({classes}, activation='softmax')"
            if classes != 2
            else "end with Dense(1, activation='sigmoid')"
        )
        raise _mismatch(stack, last, f"{loss} needs 2 classes and 1 output unit; {fix}.")
    if loss in REGRESSION and units == 1:
        return "value"
    if units != classes:
        at = _units_layer(stack, summary)
        set_units = {
            "action": "set_args",
            "index": at,
            "args": {"units": classes},
            "label": f"Set units to {classes}",
        }
        label = stack.layers[at].label(at)
        raise _mismatch(
            stack,
            at,
            f"{label} has {units} units, but the dataset has {classes} classes: set "
            f"units={classes} so that there is one output per class.",
            set_units,
        )
    return "sparse" if loss in SPARSE else "one_hot"


# What may follow the Dense layers of a classifier's head (each keeps its input's rank).
_HEAD = ("Dense", "Dropout", "Activation", "BatchNormalization", "LayerNormalization")


def _flatten_at(stack: CheckedStack, summary: Summary) -> int | None:
    """Where one Flatten gives a (None, units) output: before the first Dense of the
    stack's trailing head (Dense, Dropout, ...), when that Dense gets several axes (a
    Dense works on the last axis only, so Conv2D -> Dense(10) outputs (None, h, w, 10))."""
    first = None
    for index in range(len(stack.layers) - 1, -1, -1):
        name = stack.layers[index].type.name
        if name not in _HEAD:
            break
        if name == "Dense":
            first = index
    if first is None:
        return None
    shape = summary.layers[first].output_shape or []
    return first if len(shape) > 2 else None


def _loss_fix(stack: CheckedStack) -> dict[str, Any]:
    """Code pasted without model.compile (the tutorial's CNN) has no loss, and no metric:
    one click sets the loss, and accuracy too when nothing is measured."""
    if stack.compile.get("metrics"):
        return {
            "action": "set_compile",
            "compile": {"loss": "sparse_categorical_crossentropy"},
            "label": f"Use {SPARSE_LOSS}",
        }
    return {
        "action": "set_compile",
        "compile": {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
        "label": f"Use {SPARSE_LOSS}, with accuracy",
    }


def _units_layer(stack: CheckedStack, summary: Summary) -> int:
    """The layer that sets the output's width: the last one with `units` whose output width
    is the model's (only Dropout, Activation and the like come after it)."""
    width = (summary.output_shape or [None])[-1]
    for index in range(len(stack.layers) - 1, -1, -1):
        row = summary.layers[index].output_shape
        if stack.layers[index].type.arg("units") is not None and row and row[-1] == width:
            return index
    return len(stack.layers) - 1


def _mismatch(
    stack: CheckedStack, index: int, msg: str, fix: dict[str, Any] | None = None
) -> Invalid:
    return invalid(("architecture", "layers", index), msg, "run_labels", fix=fix)


def _scaling(dataset: Dataset, fit: FitSettings) -> dict[str, float]:
    low, high = dataset.value_min, dataset.value_max
    if not fit.normalize or high <= low or (low >= 0 and high <= 1):
        return {"scale": 1.0, "offset": 0.0}
    return {"scale": 1.0 / (high - low), "offset": -low / (high - low)}


def plan_run(
    data: dict[str, Any], dataset: Dataset, fit: FitSettings, max_layers: int, max_params: int
) -> Plan:
    """Check a stack (with its compile settings) against a dataset; Invalid says what to fix."""
    stack, summary = _prefixed(lambda: check_and_summarize(data, max_layers, max_params))
    taken = []
    fitted = fitting_shape(stack, dataset.input_shape)
    if stack.input_shape is None:
        # As Keras builds an unbuilt Sequential from the first batch it sees.
        data = {**data, "input_shape": fitted}
        stack, summary = _prefixed(lambda: check_and_summarize(data, max_layers, max_params))
        taken = [input_shape_taken(fitted)]
    transform = _input_transform(
        list(stack.input_shape or []), dataset.input_shape, ("architecture", "input_shape"), fitted
    )
    label_format = _prefixed(lambda: _labels(stack, summary, len(dataset.class_names)))
    units = (summary.output_shape or [0])[-1] or 0
    check_metrics(stack, label_format, units)
    twin = needs_twin(stack)
    twin_axes = cpu_twin(stack)[1] if twin else None
    preprocessing: dict[str, Any] = {
        "input": transform,
        "cpu_twin": twin,
        "twin_axes": list(twin_axes) if twin_axes else None,
        "value_range": [dataset.value_min, dataset.value_max],
        **_scaling(dataset, fit),
        "dataset_shape": dataset.input_shape,
        "model_shape": list(stack.input_shape or []),
        "labels": label_format,
        "class_names": dataset.class_names,
        "background": dataset.notes.get("background"),
        "color_mode": dataset.notes.get("color_mode"),
    }
    # Recorded here, where each change is decided, so that nothing changes silently.
    loss = loss_name(stack.compile.get("loss"))
    preprocessing["automatic_changes"] = [*taken, *describe(preprocessing, loss)]
    return Plan(stack, summary, preprocessing)


def _prefixed(make: Any) -> Any:
    """Stack problems point into the request's `architecture` object."""
    try:
        return make()
    except Invalid as error:
        problems = [
            p
            if p.loc[:1] in (("architecture",), ("compile",))
            else Problem(("architecture", *p.loc), p.msg, p.type, p.input, p.fix)
            for p in error.problems
        ]
        raise Invalid(problems) from None


def dataset_warnings(
    stack: CheckedStack, summary: Summary | None, dataset: Dataset
) -> list[dict[str, Any]]:
    """The builder's live check against a chosen dataset: what Start would refuse (input
    shape, units against classes, loss against labels), as warnings with their fixes."""
    fitted = fitting_shape(stack, dataset.input_shape)
    model = list(stack.input_shape) if stack.input_shape is not None else None
    rank = stack.layers[0].type.rank if stack.layers else None
    name = f"The dataset {dataset.name!r}"
    found = []
    try:
        if model is None:
            found.append(
                warning(None, "dataset_input_shape", f"No input shape yet: training will use "
                        f"the dataset's, {fitted}. Set it here to see every shape and count.",
                        use_shape_fix(fitted), loc=("input_shape",))
            )  # fmt: skip
        elif rank is not None and len(model) != rank and model != fitted:
            found.append(
                warning(None, "dataset_input_shape", f"{name} has samples of shape "
                        f"{_shape(dataset.input_shape)}; {stack.layers[0].label(0)} takes "
                        f"{rank}D samples: use {fitted}.", use_shape_fix(fitted),
                        loc=("input_shape",))
            )  # fmt: skip
        else:
            _input_transform(model, dataset.input_shape, ("input_shape",), fitted)
        if summary is not None and summary.built:
            labels = _labels(stack, summary, len(dataset.class_names))
            check_metrics(stack, labels, (summary.output_shape or [0])[-1] or 0)
    except Invalid as error:
        found += [_as_warning(p) for p in error.problems]
    shown = summary.warnings if summary is not None else []
    return [w for w in found if not _said_already(w, shown)]


def _said_already(found: dict[str, Any], shown: list[dict[str, Any]]) -> bool:
    """The stack's own advice gives this fix at this layer already (a Dense on feature maps
    is advised with or without a dataset): one note, not two."""

    def key(note: dict[str, Any]) -> tuple[Any, Any]:
        fix = {k: v for k, v in (note.get("fix") or {}).items() if k != "index"}
        return note.get("index"), fix

    return bool(found.get("fix")) and any(key(found) == key(note) for note in shown)


def _as_warning(problem: Problem) -> dict[str, Any]:
    loc = problem.loc[1:] if problem.loc[:1] == ("architecture",) else problem.loc
    index = loc[1] if len(loc) >= 2 and loc[0] == "layers" else None
    fixes = [problem.fix] if problem.fix else []
    return warning(index if isinstance(index, int) else None, problem.type, problem.msg,
                   *fixes, loc=tuple(loc))  # fmt: skip
