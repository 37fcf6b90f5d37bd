"""A checked stack -> keras.Sequential, by calling each layer's constructor with checked values.

User JSON never reaches keras deserializers (`deserialize`, `from_config`, `model_from_json`):
classes come from the catalog's names, arguments from app.catalog's checks. String ids that
the catalog allows (`"glorot_uniform"`, `"adam"`, `"accuracy"`) are passed as Keras takes them,
since Keras names metrics in the history after the string it was given.
"""

from __future__ import annotations

from typing import Any

import keras

from app.catalog import LOSSES, METRICS, OPTIMIZERS, Registry
from app.stacks.stack import CheckedLayer, CheckedStack

_OBJECT_ARGS = {"object"}
_MODULES = {
    "initializers": keras.initializers,
    "regularizers": keras.regularizers,
    "optimizers": keras.optimizers,
    "losses": keras.losses,
    "metrics": keras.metrics,
}


def build_object(registry: Registry, value: Any, keep_strings: bool = True) -> Any:
    """An object {"name": ..., params} as the Keras class it names; a string id as is, or
    (keep_strings=False) as that class with its defaults, so our aliases (l1_l2) work too."""
    if value is None or (isinstance(value, str) and keep_strings):
        return value
    spec = registry.find(value if isinstance(value, str) else value["name"])
    assert spec is not None, f"unchecked {registry.kind}: {value!r}"
    cls = getattr(_MODULES[spec.module], spec.name)
    params = {} if isinstance(value, str) else value
    return cls(**{k: _plain(v) for k, v in params.items() if k != "name"})


def _plain(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def layer_kwargs(layer: CheckedLayer) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"name": layer.name}
    for key, value in layer.args.items():
        arg = layer.type.arg(key)
        assert arg is not None
        if arg.kind in _OBJECT_ARGS:
            kwargs[key] = build_object(arg.registry, value, keep_strings=False)  # type: ignore[attr-defined]
        else:
            kwargs[key] = _plain(value)
    return kwargs


def build_layer(layer: CheckedLayer) -> keras.layers.Layer:
    cls = getattr(keras.layers, layer.type.name)
    return cls(**layer_kwargs(layer))


def build_model(stack: CheckedStack, name: str = "sequential") -> keras.Sequential:
    """The keras.Sequential the stack describes (built when it has an input shape)."""
    model = keras.Sequential(name=name)
    if stack.input_shape is not None:
        model.add(keras.Input(shape=stack.input_shape))
    for layer in stack.layers:
        model.add(build_layer(layer))
    return model


def compile_kwargs(settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "optimizer": build_object(OPTIMIZERS, settings.get("optimizer") or "rmsprop"),
        "loss": build_object(LOSSES, settings.get("loss")),
        "metrics": [build_object(METRICS, m) for m in settings.get("metrics") or []],
    }


def compile_model(model: keras.Sequential, settings: dict[str, Any]) -> keras.Sequential:
    model.compile(**compile_kwargs(settings))
    return model
