"""`model.to_json()` (Keras 3 or tf.keras 2) -> a Layerstack stack, by walking the JSON.

No Keras deserializer runs: class names are looked up in the catalog and only catalog
arguments are kept, so a pasted document can name nothing the catalog does not build.
"""

from __future__ import annotations

import json
import re
import struct
from typing import Any

from app.catalog import LAYER_TYPES, LOSSES, METRICS, OPTIMIZERS, Arg, LayerType, Registry
from app.catalog.args import expand

# Arguments outside the catalog that change what a layer computes: refused unless unset.
_UNSUPPORTED = re.compile(r"_constraint$|^noise_shape$|^stateful$|^time_major$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
_SEQUENTIAL = ("Sequential",)


class KerasJsonError(ValueError):
    """A document that cannot become a stack; the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _parse(text: str, max_bytes: int) -> Any:
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise KerasJsonError(
            f"The document is {size:,} bytes; the limit is {max_bytes:,}. A Sequential model's "
            f"to_json() is a few kilobytes: paste the JSON only, without the weights."
        )
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise KerasJsonError(
            f"Invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}. "
            f"Paste the exact output of model.to_json()."
        ) from None
    except RecursionError:  # json.loads recurses once per level: 10,000 "[" exhaust the stack
        raise KerasJsonError(TOO_DEEP) from None
    if _too_deep(document):  # the walk below this recurses too (_tidy, the catalog's checks)
        raise KerasJsonError(TOO_DEEP)
    return document


MAX_DEPTH = 64
TOO_DEEP = (
    f"The document nests deeper than {MAX_DEPTH} levels; a Sequential model's to_json() nests "
    f"about 8. Paste the exact output of model.to_json()."
)


def _too_deep(document: Any) -> bool:
    """Nested more than MAX_DEPTH lists/objects (walked without recursion)."""
    level: list[Any] = [document]
    for _ in range(MAX_DEPTH):
        level = [
            child
            for value in level
            if isinstance(value, (dict, list))
            for child in (value.values() if isinstance(value, dict) else value)
        ]
        if not level:
            return False
    return any(isinstance(value, (dict, list)) for value in level)


def _tidy(value: Any) -> Any:
    """Keras keeps some floats as float32 (0.0010000000474974513): show them as typed (0.001)."""
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    if not isinstance(value, float) or not value or value != value:
        return value

    def f32(x: float) -> float:
        return float(struct.unpack("f", struct.pack("f", x))[0])

    short = float(f"{value:.7g}")
    return short if f32(value) == value and f32(short) == value else value


def _object(registry: Registry, value: Any, where: str, collapse: bool = False) -> Any:
    """A serialized Keras object ({"class_name", "config"}) or string id, in our form; with
    `collapse`, an object with default parameters becomes its string id ('glorot_uniform')."""
    if value is None or isinstance(value, str):
        if isinstance(value, str) and registry.find(value) is None:
            raise KerasJsonError(f"{where}: unknown {registry.kind} {value!r}.")
        return value
    if not isinstance(value, dict) or not isinstance(value.get("class_name"), str):
        raise KerasJsonError(f"{where}: expected a serialized {registry.kind}, got {value!r}.")
    spec = registry.find(value["class_name"])
    if spec is None:
        raise KerasJsonError(
            f"{where}: the {registry.kind} {value['class_name']} is not in Layerstack's catalog."
        )
    config = value.get("config") or {}
    params = {
        a.name: _tidy(config[a.name])
        for a in spec.args
        if a.name in config and _tidy(config[a.name]) != a.default
    }
    if collapse and not params and spec.ids:
        return spec.ids[0]
    return {"name": spec.name, **params}


def _arg_value(arg: Arg, value: Any, where: str) -> Any:
    if arg.kind == "object":
        where = f"{where} `{arg.name}`"
        return _object(arg.registry, value, where, collapse=True)  # type: ignore[attr-defined]
    value = _tidy(value)
    if arg.kind == "int_tuple" and isinstance(value, list) and len(set(value)) == 1:
        value = value[0]  # Keras turns 3 into (3, 3); keep the short form
    if arg.kind == "int" and isinstance(value, list) and len(value) == 1:
        value = value[0]  # LayerNormalization keeps axis as a list
    return value


def _is_default(arg: Arg, value: Any, config: dict[str, Any]) -> bool:
    if arg.required:
        return False
    default = arg.default
    if arg.name in ("activation",) and default is None:
        return value in (None, "linear")
    if arg.name == "data_format" and default is None:
        return value in (None, "channels_last")
    if arg.kind == "int_tuple":
        if default is None and arg.name == "strides":  # pooling: Keras stores pool_size
            pool = config.get("pool_size")
            return value is None or expand(value, arg.rank) == expand(pool, arg.rank)  # type: ignore[attr-defined]
        if value is not None and default is not None:
            return expand(value, arg.rank) == expand(default, arg.rank)  # type: ignore[attr-defined]
    if isinstance(value, bool) != isinstance(default, bool):
        return False
    return bool(value == default)


def _layer(raw: dict[str, Any], kind: LayerType, index: int) -> dict[str, Any]:
    config = raw.get("config") or {}
    where = f"layers[{index}] ({kind.name})"
    unsupported = [
        key
        for key, value in config.items()
        if _UNSUPPORTED.search(key) and value not in (None, False)
    ]
    if unsupported:
        raise KerasJsonError(
            f"{where} sets {', '.join(unsupported)}, which Layerstack does not build. "
            f"Remove it from the model and export again."
        )
    args: dict[str, Any] = {}
    for arg in kind.args:
        if arg.name not in config:
            continue
        value = _arg_value(arg, config[arg.name], where)
        if not _is_default(arg, value, config):
            args[arg.name] = value
    out: dict[str, Any] = {"type": kind.name, "args": args}
    name = config.get("name")
    auto = re.compile(rf"^{re.escape(kind.default_name)}(_\d+)?$")
    if isinstance(name, str) and _NAME.match(name) and not auto.match(name):
        out["name"] = name
    return out


def _shape(config: dict[str, Any]) -> list[int | None] | None:
    for key in ("batch_shape", "batch_input_shape"):
        shape = config.get(key)
        if isinstance(shape, list) and shape:
            return list(shape[1:])
    return None


def _compile(config: Any) -> dict[str, Any]:
    """compile_config (Keras 3 writes it once the model is compiled), in our form."""
    if not isinstance(config, dict):
        return {}
    out: dict[str, Any] = {}
    if config.get("optimizer") is not None:
        out["optimizer"] = _object(OPTIMIZERS, config["optimizer"], "compile optimizer")
    if config.get("loss") is not None:
        out["loss"] = _object(LOSSES, config["loss"], "compile loss")
    metrics = config.get("metrics") or []
    if isinstance(metrics, list):
        out["metrics"] = [_object(METRICS, m, "compile metrics") for m in metrics]
    return out


def _model(document: Any) -> tuple[dict[str, Any], list[Any]]:
    if not isinstance(document, dict) or "class_name" not in document:
        raise KerasJsonError(
            'Expected the output of model.to_json(): an object with "class_name" and "config".'
        )
    class_name = document["class_name"]
    if class_name not in _SEQUENTIAL:
        raise KerasJsonError(
            f"class_name {class_name}: only Sequential models can be imported. Rebuild it as "
            f"keras.Sequential([...]) and export again."
        )
    config = document.get("config")
    if isinstance(config, list):  # tf.keras before 2.2 stored the layer list itself
        return {}, config
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise KerasJsonError('The Sequential model has no "layers" list in its "config".')
    return config, config["layers"]


def import_keras_json(text: str, max_bytes: int = 1_000_000) -> dict[str, Any]:
    """A stack {"name", "input_shape", "layers", "compile"} from model.to_json(), or
    KerasJsonError saying what cannot be imported."""
    document = _parse(text, max_bytes)
    config, raw_layers = _model(document)
    input_shape: list[int | None] | None = None
    layers: list[tuple[dict[str, Any], LayerType | None]] = []
    for raw in raw_layers:
        if not isinstance(raw, dict) or not isinstance(raw.get("class_name"), str):
            raise KerasJsonError(f"A layer entry is not a serialized layer: {raw!r:.80}.")
        if raw["class_name"] == "InputLayer":
            input_shape = _shape(raw.get("config") or {}) or input_shape
            continue
        layers.append((raw, LAYER_TYPES.get(raw["class_name"])))
    missing = list(dict.fromkeys(raw["class_name"] for raw, kind in layers if kind is None))
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise KerasJsonError(
            f"{', '.join(missing)} {verb} not in Layerstack's catalog; the model cannot be "
            f"imported. Replace {'it' if len(missing) == 1 else 'them'} with catalog layers."
        )
    if not layers:
        raise KerasJsonError("The model has no layers to import.")
    if input_shape is None:
        input_shape = _shape(layers[0][0].get("config") or {})
    if input_shape is None and isinstance(config.get("build_input_shape"), list):
        input_shape = list(config["build_input_shape"][1:])
    stack_layers = [_layer(raw, kind, i) for i, (raw, kind) in enumerate(layers) if kind]
    return {
        "name": str(config.get("name") or "Imported model"),
        "input_shape": input_shape,
        "layers": stack_layers,
        "compile": _compile(document.get("compile_config")),
    }
