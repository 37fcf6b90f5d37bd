"""Every catalog entry against Keras itself: defaults, arguments, shapes and parameter counts.

The web process computes summaries from the catalog's rules without Keras; these tests are
what makes that safe. They build each layer type, every argument with a non-default value,
and many generated stacks, side by side with real Keras.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.catalog import INITIALIZERS, LAYERS, LOSSES, METRICS, OPTIMIZERS, REGULARIZERS, Invalid
from app.catalog.args import REQUIRED, Arg, expand
from app.ml.compiler import build_model, compile_model
from app.stacks.stack import check_stack
from app.stacks.summary import summarize
from tests.helpers.catalog_args import input_for, optional_args, other_value, required_args
from tests.helpers.keras_compare import assert_same_as_keras, keras_rows, our_rows

pytestmark = pytest.mark.keras


def built_layer(kind: Any, args: dict[str, Any]) -> Any:
    stack = check_stack(
        {"input_shape": input_for(kind), "layers": [{"type": kind.name, "args": args}]}, 200
    )
    return build_model(stack).layers[0]


def as_config(value: Any) -> Any:
    """A Keras object as its serialized form, to compare with get_config() entries."""
    if hasattr(value, "get_config") and not isinstance(value, dict):
        return {"class_name": type(value).__name__, "config": value.get_config()}
    return value


def close(a: Any, b: Any) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def same(arg: Arg, ours: Any, theirs: Any) -> bool:
    """Does Keras's stored value mean what our value means?"""
    theirs = as_config(theirs)
    if arg.kind == "int_tuple":
        if ours is None:
            return theirs is None or arg.name == "strides"  # Keras stores pool_size instead
        return tuple(theirs) == expand(ours, arg.rank)  # type: ignore[attr-defined]
    if isinstance(theirs, list) and len(theirs) == 1 and not isinstance(ours, list):
        theirs = theirs[0]  # LayerNormalization keeps axis as a list
    if arg.kind == "object":
        if ours is None or theirs is None:
            return ours is None and theirs is None
        registry = arg.registry  # type: ignore[attr-defined]
        name = ours if isinstance(ours, str) else ours["name"]
        spec = registry.find(name)
        params = {} if isinstance(ours, str) else {k: v for k, v in ours.items() if k != "name"}
        return theirs["class_name"] == spec.name and all(
            close(v, theirs["config"][k]) for k, v in params.items()
        )
    if arg.kind == "factor" and isinstance(ours, float):
        return close(theirs, ours) or close(theirs, (-ours, ours))
    if arg.name in ("activation", "recurrent_activation"):
        return theirs == (ours or "linear")
    if arg.name == "data_format":
        return theirs == (ours or "channels_last")
    return close(ours, theirs)


def stored(layer: Any, name: str) -> Any:
    config = layer.get_config()
    return config[name] if name in config else getattr(layer, name)


@pytest.mark.parametrize("kind", LAYERS, ids=lambda k: k.name)
def test_each_layer_type_matches_keras(keras, kind):
    assert_same_as_keras(
        {
            "input_shape": input_for(kind),
            "layers": [{"type": kind.name, "args": required_args(kind)}],
        }
    )


@pytest.mark.parametrize("kind", LAYERS, ids=lambda k: k.name)
def test_catalog_defaults_are_keras_defaults(keras, kind):
    layer = built_layer(kind, required_args(kind))
    assert type(layer).__name__ == kind.name
    for arg in kind.args:
        if not arg.required:
            assert same(arg, arg.default, stored(layer, arg.name)), (kind.name, arg.name)


@pytest.mark.parametrize("kind,arg", optional_args(), ids=lambda x: getattr(x, "name", ""))
def test_every_argument_reaches_keras(keras, kind, arg):
    value = other_value(arg)
    args = {**required_args(kind), arg.name: value}
    layer = built_layer(kind, args)
    assert same(
        arg,
        check_stack(
            {"input_shape": input_for(kind), "layers": [{"type": kind.name, "args": args}]}, 200
        )
        .layers[0]
        .args[arg.name],
        stored(layer, arg.name),
    ), (kind.name, arg.name, value, stored(layer, arg.name))
    assert_same_as_keras(
        {"input_shape": input_for(kind), "layers": [{"type": kind.name, "args": args}]}
    )


# Compile objects ---------------------------------------------------------------------------

KERAS_MODULE = {
    "initializer": "initializers",
    "regularizer": "regularizers",
    "optimizer": "optimizers",
    "loss": "losses",
    "metric": "metrics",
}
REGISTRIES = [INITIALIZERS, REGULARIZERS, OPTIMIZERS, LOSSES, METRICS]


@pytest.mark.parametrize(
    "registry,spec",
    [(r, s) for r in REGISTRIES for s in r.specs],
    ids=lambda x: getattr(x, "name", getattr(x, "kind", "")),
)
def test_object_defaults_are_keras_defaults(keras, registry, spec):
    cls = getattr(getattr(keras, KERAS_MODULE[registry.kind]), spec.name)
    instance = cls()
    # Some losses (Huber) keep their parameters as function kwargs, outside get_config().
    config = {**getattr(instance, "_fn_kwargs", {}), **instance.get_config()}
    for arg in spec.args:
        assert arg.default is not REQUIRED
        assert close(arg.default, config[arg.name]), (spec.name, arg.name, config[arg.name])


def _data(kind: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.random((8, 4), dtype="float32")
    if "sparse" in name.lower():
        return x, rng.integers(0, 3, (8, 1))
    return x, np.eye(3, dtype="float32")[rng.integers(0, 3, 8)]


def _train_once(keras, compile_settings: dict[str, Any], name: str) -> dict[str, float]:
    stack = check_stack(
        {
            "input_shape": [4],
            "compile": compile_settings,
            "layers": [{"type": "Dense", "args": {"units": 3, "activation": "softmax"}}],
        },
        200,
    )
    model = compile_model(build_model(stack), stack.compile)
    x, y = _data("", name)
    model.fit(x, y, epochs=1, verbose=0)
    return model.evaluate(x, y, verbose=0, return_dict=True)


@pytest.mark.parametrize("key", [k for s in OPTIMIZERS.specs for k in (*s.ids, s.name)])
def test_every_optimizer_id_trains(keras, key):
    logs = _train_once(keras, {"optimizer": key, "loss": "categorical_crossentropy"}, "")
    assert np.isfinite(logs["loss"])


@pytest.mark.parametrize("key", [k for s in LOSSES.specs for k in (*s.ids, s.name)])
def test_every_loss_id_trains(keras, key):
    logs = _train_once(keras, {"optimizer": "sgd", "loss": key}, key)
    assert np.isfinite(logs["loss"])


@pytest.mark.parametrize("key", [k for s in METRICS.specs for k in (*s.ids, s.name)])
def test_every_metric_id_evaluates(keras, key):
    loss = (
        "sparse_categorical_crossentropy" if "sparse" in key.lower() else "categorical_crossentropy"
    )
    logs = _train_once(keras, {"loss": loss, "metrics": [key]}, key)
    assert len(logs) == 2 and all(np.isfinite(v) for v in logs.values())


# Generated stacks --------------------------------------------------------------------------


def arg_values(arg: Any) -> st.SearchStrategy:
    kind = arg.kind
    if kind == "object":
        ids = [i for s in arg.registry.specs for i in s.ids]
        return st.sampled_from(ids + ([None] if arg.nullable else []))
    if kind == "bool":
        return st.booleans()
    if kind == "choice":
        return st.sampled_from(list(arg.choices) + ([None] if arg.nullable else []))
    if kind == "int_tuple":
        single = st.integers(1, 3)
        return st.one_of(single, st.lists(single, min_size=arg.rank, max_size=arg.rank))
    if kind == "factor":
        return st.floats(0.0, 0.5)
    if kind == "shape":
        return st.sampled_from([[-1], [-1, 1], [1, -1], [2, -1], [-1, 2, 2], [4, -1]])
    if kind == "int":
        if arg.name == "axis":
            return st.sampled_from([-1, 1, 2])
        if arg.name in ("seed", "ignore_class"):
            return st.sampled_from([None, 3]) if arg.nullable else st.just(3)
        return st.integers(arg.min or 1, (arg.min or 1) + 12)
    if kind == "float":
        low = arg.min if arg.min is not None else -2.0
        high = arg.max if arg.max is not None else low + 2.0
        return st.floats(low, high, exclude_min=arg.min_exclusive, exclude_max=True)
    raise AssertionError(kind)


@st.composite
def layer_specs(draw: Any, rank: int) -> dict[str, Any]:
    kind = draw(st.sampled_from([k for k in LAYERS if k.rank in (None, rank)]))
    args = {}
    for arg in kind.args:
        if arg.required or draw(st.booleans()):
            args[arg.name] = draw(arg_values(arg))
    return {"type": kind.name, "args": args}


@st.composite
def stacks(draw: Any) -> dict[str, Any]:
    """Stacks grown layer by layer; a drawn layer our rules reject is dropped, so most stacks
    are deep and valid (Keras is still the judge of every shape and count)."""
    shape = draw(
        st.sampled_from(
            [
                [draw(st.integers(1, 64))],
                [draw(st.integers(1, 12)), draw(st.integers(1, 8))],
                [draw(st.integers(3, 24)), draw(st.integers(3, 24)), draw(st.integers(1, 4))],
            ]
        )
    )
    data: dict[str, Any] = {"input_shape": shape, "layers": []}
    current = shape
    for _ in range(draw(st.integers(1, 8))):
        candidate = {**data, "layers": [*data["layers"], draw(layer_specs(len(current)))]}
        try:
            summary = summarize(check_stack(candidate, 200))
        except Invalid:
            continue
        data, current = candidate, summary.layers[-1].output_shape[1:]
    return data


# Embedding(mask_zero=True) before a layer that ignores masks is valid Keras, which warns.
@pytest.mark.filterwarnings("ignore:.*does not support masking:UserWarning")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks())
def test_generated_stacks_match_keras(keras, data):
    event(f"layers compared: {len(data['layers'])}")
    if not data["layers"]:
        return
    summary = summarize(check_stack(data, 200))
    model = build_model(check_stack(data, 200))
    assert our_rows(summary) == keras_rows(model)
    assert summary.total_params == model.count_params()
