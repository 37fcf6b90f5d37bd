"""Example arguments for every catalog layer: an input it accepts, its required arguments,
and for each optional argument a valid value that is not the default."""

from __future__ import annotations

from typing import Any

from app.catalog import LAYERS

INPUT_BY_RANK = {3: [12, 12, 4], 2: [10, 6], None: [8, 8, 4]}
INPUT_FOR = {"Reshape": [784], "Embedding": [10]}
OTHER_OBJECT = {
    "initializer": {"name": "RandomNormal", "mean": 0.1, "stddev": 0.2, "seed": 3},
    "regularizer": {"name": "L1L2", "l1": 0.001, "l2": 0.002},
}


def input_for(kind: Any) -> list[int]:
    return INPUT_FOR.get(kind.name, INPUT_BY_RANK[kind.rank])


def required_args(kind: Any) -> dict[str, Any]:
    return {a.name: a.example for a in kind.args if a.required}


def other_value(arg: Any) -> Any:
    """A valid value that is not the default, to prove each argument reaches Keras."""
    if arg.kind == "object":
        return OTHER_OBJECT[arg.registry.kind]
    if arg.kind == "bool":
        return not arg.default
    if arg.kind == "choice":
        return next(c for c in arg.choices if c != arg.default)
    if arg.kind == "int_tuple":
        return 1 if arg.default is None else [arg.default + 1] * arg.rank
    if arg.kind == "factor":
        return [-0.2, 0.3] if arg.min < 0 else 0.3
    if arg.kind == "int":
        if arg.name == "axis":
            return 1
        return 7 if arg.default is None else arg.default + 1
    if arg.kind == "float":
        candidate = 0.5 if arg.default in (None, 0.0) else arg.default * 0.5
        assert arg.in_bounds(candidate)
        return candidate
    raise AssertionError(f"no other value for {arg}")


def optional_args() -> list[tuple[Any, Any]]:
    """(layer kind, argument) for every optional argument of every layer."""
    return [(k, a) for k in LAYERS for a in k.args if not a.required]
