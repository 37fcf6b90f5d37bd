"""A layer stack as a user sends it, checked against the catalog: types, arguments, names.

The result, `CheckedStack`, is what gets saved and what the summary and the Keras compiler
read. Input shape may be given on the stack or, as in the tutorial, as an `input_shape`
(or `input_dim`) argument of the first layer; it is moved onto the stack either way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.catalog import LAYER_TYPES, LAYERS, ArgError, Invalid, LayerType, Problem, check_compile
from app.catalog.objects import check_args
from app.catalog.problems import did_you_mean, invalid, received

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
INPUT_KEYS = ("input_shape", "input_dim")
MAX_INPUT_RANK = 4
_CODE_LAYERS = ("Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer")


@dataclass(frozen=True)
class CheckedLayer:
    type: LayerType
    args: dict[str, Any]  # as given (normalized), without defaults
    name: str  # given, or the one Keras would give: dense, dense_1, ...
    custom_name: bool = False

    def full_args(self) -> dict[str, Any]:
        """Every argument, defaults filled in: what the shape rules read."""
        return {**self.type.defaults(), **self.args}

    def label(self, index: int) -> str:
        return f"layers[{index}] ({self.type.name} '{self.name}')"

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type.name, "args": self.args}
        if self.custom_name:
            out["name"] = self.name
        return out


@dataclass(frozen=True)
class CheckedStack:
    input_shape: tuple[int | None, ...] | None
    layers: list[CheckedLayer]
    compile: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "input_shape": list(self.input_shape) if self.input_shape is not None else None,
            "layers": [layer.as_json() for layer in self.layers],
            "compile": self.compile,
        }


def check_input_shape(value: Any, loc: tuple[str | int, ...]) -> tuple[int | None, ...]:
    if isinstance(value, int) and not isinstance(value, bool) and loc[-1] == "input_dim":
        value = [value]
    good = (
        isinstance(value, list)
        and 1 <= len(value) <= MAX_INPUT_RANK
        and all(d is None or (type(d) is int and d >= 1) for d in value)
    )
    if not good:
        raise invalid(
            loc,
            f"Expected a list of 1 to {MAX_INPUT_RANK} positive integers (null for a "
            f"variable length) for `{loc[-1]}`, without the batch axis, e.g. [28, 28, 1] "
            f"for 28x28 grayscale images or [784] for flat vectors. "
            f"{received(str(loc[-1]), value)}.",
            "input_shape",
            value,
        )
    return tuple(value)


def _layer_type(raw: Any, index: int) -> LayerType:
    loc: tuple[str | int, ...] = ("layers", index, "type")
    name = raw.get("type") if isinstance(raw, dict) else None
    if not isinstance(name, str):
        raise invalid(
            loc[:2],
            f'layers[{index}] needs a "type", such as "Dense". '
            f"{received(f'layers[{index}]', raw)}.",
            "layer_type",
            raw,
        )
    found = LAYER_TYPES.get(name) or LAYER_TYPES.get(name.rsplit(".", 1)[-1])
    if found is None and name.rsplit(".", 1)[-1] in _CODE_LAYERS:
        raise invalid(
            loc,
            f"layers[{index}]: {name!r} runs arbitrary Python code, which Layerstack never "
            f"builds from a request. Use the catalog's layers instead (e.g. Activation, "
            f"Rescaling or Reshape cover most Lambda uses).",
            "layer_type",
            name,
        )
    if found is None:
        raise invalid(
            loc,
            f"layers[{index}]: unknown layer type {name!r}."
            f"{did_you_mean(name, list(LAYER_TYPES))} Layerstack builds only "
            f"the layers in its catalog (GET /api/layers): "
            f"{', '.join(t.name for t in LAYERS)}.",
            "layer_type",
            name,
        )
    return found


def _split_args(
    raw: dict[str, Any], kind: LayerType, index: int
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """(catalog args, input-shape args, name): Keras base-layer keywords are not catalog args."""
    loc: tuple[str | int, ...] = ("layers", index, "args")
    args = raw.get("args", {})
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise invalid(
            loc,
            f"Expected an object of arguments for layers[{index}]. {received('args', args)}.",
            "layer_args",
            args,
        )
    extra = set(raw) - {"type", "args", "name"}
    if extra:
        key = sorted(extra)[0]
        raise invalid(
            ("layers", index, key),
            f'layers[{index}] has no field `{key}`; put arguments under "args".',
            "layer_field",
        )
    # Embedding's own `input_dim` is its vocabulary size, not an input shape.
    keys = [k for k in INPUT_KEYS if k in args and kind.arg(k) is None]
    shape_args = {k: args[k] for k in keys}
    rest = {k: v for k, v in args.items() if k not in keys and k != "name"}
    return rest, shape_args, raw.get("name", args.get("name"))


def _check_layer(raw: Any, index: int) -> tuple[LayerType, dict[str, Any], dict[str, Any], Any]:
    kind = _layer_type(raw, index)
    args, shape_args, name = _split_args(raw, kind, index)
    try:
        checked = check_args(kind.args, args, skip=set(), what=kind.name)
    except ArgError as error:
        raise invalid(
            ("layers", index, "args", *error.loc),
            f"layers[{index}] ({kind.name}): {error.message}",
            "layer_arg",
            args.get(str(error.loc[0])) if error.loc else None,
        ) from None
    if name is not None and not (isinstance(name, str) and _NAME.match(name)):
        raise invalid(
            ("layers", index, "name"),
            f"layers[{index}] ({kind.name}): a name starts with a letter and "
            f"has only letters, digits, '_', '.', '-' (at most 64). "
            f"{received('name', name)}.",
            "layer_name",
            name,
        )
    return kind, checked, shape_args, name


def _input_shape(stack_shape: Any, first: dict[str, Any]) -> tuple[int | None, ...] | None:
    shape = None if stack_shape is None else check_input_shape(stack_shape, ("input_shape",))
    for key, value in first.items():
        from_layer = check_input_shape(value, ("layers", 0, "args", key))
        if shape is not None and shape != from_layer:
            raise invalid(
                ("layers", 0, "args", key),
                f"The stack's input_shape {list(shape)} and layers[0]'s {key} "
                f"{value!r} disagree. Give the input shape once.",
                "input_shape",
                value,
            )
        shape = from_layer
    return shape


def _names(kinds: list[LayerType], given: list[Any]) -> list[str]:
    """Keras's names (dense, dense_1, ...), skipping any a user gave another layer."""
    taken = {n for n in given if n is not None}
    seen: set[str] = set()
    counters: dict[str, int] = {}
    names = []
    for index, (kind, name) in enumerate(zip(kinds, given, strict=True)):
        if name is None:
            base = kind.default_name
            while True:
                n = counters.get(base, 0)
                counters[base] = n + 1
                name = base if n == 0 else f"{base}_{n}"
                if name not in taken:
                    break
        elif name in seen:
            raise invalid(
                ("layers", index, "name"),
                f"layers[{index}] ({kind.name}): the name {name!r} is already "
                f"used by another layer; names must be unique.",
                "layer_name",
                name,
            )
        seen.add(name)
        names.append(name)
    return names


def check_stack(data: dict[str, Any], max_layers: int) -> CheckedStack:
    """Check a stack's structure, types and arguments; Invalid lists every problem found."""
    layers = data.get("layers")
    if not isinstance(layers, list):
        raise invalid(
            ("layers",),
            f"Expected a list of layers, each "
            f'{{"type": ..., "args": {{...}}}}. {received("layers", layers)}.',
            "stack_type",
            layers,
        )
    if not layers:
        raise invalid(
            ("layers",),
            "The stack is empty: add at least one layer, e.g. "
            '{"type": "Dense", "args": {"units": 10}}.',
            "stack_empty",
            layers,
        )
    if len(layers) > max_layers:
        raise invalid(
            ("layers",),
            f"The stack has {len(layers)} layers; the limit is "
            f"{max_layers} (MAX_LAYERS). Remove some layers.",
            "stack_too_long",
        )
    problems: list[Problem] = []
    checked: list[tuple[LayerType, dict[str, Any], dict[str, Any], Any]] = []
    for index, raw in enumerate(layers):
        try:
            checked.append(_check_layer(raw, index))
        except Invalid as error:
            problems.extend(error.problems)
    if problems:
        raise Invalid(problems)
    for index, (kind, _, shape_args, _) in enumerate(checked[1:], start=1):
        if shape_args:
            key = next(iter(shape_args))
            problems.append(
                Problem(
                    ("layers", index, "args", key),
                    f"layers[{index}] ({kind.name}): `{key}` only applies to the "
                    f"first layer; remove it here (the input shape flows from the "
                    f"layers before).",
                    "input_shape",
                )
            )
    if problems:
        raise Invalid(problems)
    shape = _input_shape(data.get("input_shape"), checked[0][2])
    names = _names([c[0] for c in checked], [c[3] for c in checked])
    compile_ = check_compile(data.get("compile"))
    return CheckedStack(
        input_shape=shape,
        layers=[
            CheckedLayer(kind, args, name, custom_name=given is not None)
            for (kind, args, _, given), name in zip(checked, names, strict=True)
        ],
        compile=compile_,
    )
