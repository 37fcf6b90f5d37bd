"""A stack as the Python script a person would write for it, in the tutorial's style.

The script builds the same model `app.ml.compiler.build_model` does: `Sequential([...])`, one
layer per line, the input shape as `input_shape=(...)` on the first layer as the tutorial
writes it, and only the arguments that differ from Keras's defaults. No Keras is imported here.
"""

from __future__ import annotations

from typing import Any

from app.catalog import LOSSES, METRICS, OPTIMIZERS, Registry
from app.catalog.args import Arg, expand
from app.stacks.stack import CheckedLayer, check_stack

MAX_LAYERS = 200

# The leading arguments people write positionally, in the Keras constructor's own order.
POSITIONAL: dict[str, tuple[str, ...]] = {
    "Dense": ("units",),
    "Activation": ("activation",),
    "Reshape": ("target_shape",),
    "Embedding": ("input_dim", "output_dim"),
    "Conv2D": ("filters", "kernel_size"),
    "Conv1D": ("filters", "kernel_size"),
    "UpSampling2D": ("size",),
    "MaxPooling2D": ("pool_size",),
    "AveragePooling2D": ("pool_size",),
    "MaxPooling1D": ("pool_size",),
    "AveragePooling1D": ("pool_size",),
    "Dropout": ("rate",),
    "SpatialDropout2D": ("rate",),
    "GaussianNoise": ("stddev",),
    "Rescaling": ("scale",),
    "RandomFlip": ("mode",),
    "RandomRotation": ("factor",),
    "RandomZoom": ("height_factor",),
    "RandomTranslation": ("height_factor", "width_factor"),
    "RandomContrast": ("factor",),
    "LSTM": ("units",),
    "GRU": ("units",),
    "SimpleRNN": ("units",),
}
_TUPLE_KINDS = ("int_tuple", "shape", "factor")
# Layers whose constructor takes no `input_shape=`: the input comes first as tf.keras.Input.
NO_INPUT_SHAPE = {"SpatialDropout2D"}


def comment_text(text: Any, limit: int = 200) -> str:
    """A user's text as it may stand in a `#` comment: one line, no control or format
    characters (line and paragraph separators, bidi overrides), at most `limit` characters.
    Code never takes a user's text any other way than through `repr()`."""
    printable = "".join(c if c.isprintable() else " " for c in str(text))
    one_line = " ".join(printable.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 3] + "..."


def literal(value: Any) -> str:
    """A JSON value as Python source: lists become tuples, as Keras code writes shapes."""
    if isinstance(value, list | tuple):
        items = ", ".join(literal(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    return repr(value)


def _object(registry: Registry, value: Any) -> str:
    """`tf.keras.<module>.<Class>(params)` for an object; a string id stays a string."""
    if isinstance(value, str):
        return repr(value)
    spec = registry.find(value["name"])
    assert spec is not None, f"unchecked {registry.kind}: {value!r}"
    params = [
        f"{a.name}={literal(value[a.name])}"
        for a in spec.args
        if a.name in value and not _is_default(a, value[a.name])
    ]
    return f"tf.keras.{spec.module}.{spec.name}({', '.join(params)})"


def _is_default(arg: Arg, value: Any) -> bool:
    if arg.required:
        return False
    if arg.kind == "int_tuple" and value is not None and arg.default is not None:
        return expand(value, arg.rank) == expand(arg.default, arg.rank)  # type: ignore[attr-defined]
    if isinstance(value, bool) != isinstance(arg.default, bool):
        return False  # 1 == True in Python, not in a constructor
    return bool(value == arg.default)


def _value(arg: Arg, value: Any) -> str:
    if arg.kind == "object" and value is not None:
        return _object(arg.registry, value)  # type: ignore[attr-defined]
    if arg.kind in _TUPLE_KINDS and isinstance(value, list):
        return literal(value)
    return repr(value)


def layer_call(layer: CheckedLayer, input_shape: tuple[int | None, ...] | None = None) -> str:
    """One layer as a constructor call: `Conv2D(16, 3, activation='relu')`."""
    kind = layer.type
    given = {
        name: value
        for name, value in layer.args.items()
        if not _is_default(_arg(layer, name), value)
    }
    parts = []
    for name in POSITIONAL.get(kind.name, ()):
        if name not in given:
            break  # a later positional argument would land in the wrong slot
        parts.append(_value(_arg(layer, name), given.pop(name)))
    for arg in kind.args:  # catalog order: the order of Keras's signature
        if arg.name in given:
            parts.append(f"{arg.name}={_value(arg, given[arg.name])}")
    if layer.custom_name:
        parts.append(f"name={layer.name!r}")
    if input_shape is not None:
        parts.append(f"input_shape={literal(input_shape)}")
    return f"{kind.name}({', '.join(parts)})"


def _arg(layer: CheckedLayer, name: str) -> Arg:
    arg = layer.type.arg(name)
    assert arg is not None, f"unchecked argument {name!r} of {layer.type.name}"
    return arg


def compile_lines(settings: dict[str, Any]) -> list[str]:
    lines = [f"    optimizer={_object(OPTIMIZERS, settings.get('optimizer') or 'rmsprop')},"]
    if settings.get("loss") is not None:
        lines.append(f"    loss={_object(LOSSES, settings['loss'])},")
    metrics = settings.get("metrics") or []
    if metrics:
        lines.append(f"    metrics=[{', '.join(_object(METRICS, m) for m in metrics)}],")
    return ["model.compile(", *lines, ")"]


def _fit_lines(fit: dict[str, Any], dataset_npz: str | None) -> list[str]:
    path = dataset_npz or "dataset.npz"
    lines = [
        "",
        f"data = np.load({path!r})",
        "x_train, y_train = data['x_train'], data['y_train']",
        "x_test, y_test = data['x_test'], data['y_test']",
    ]
    if fit.get("normalize", True):
        lines += [
            "# Scale the inputs to [0, 1], as Layerstack does before training",
            "high = float(x_train.max()) or 1.0",
            "x_train, x_test = x_train / high, x_test / high",
        ]
    args = ["x_train", "y_train", f"epochs={int(fit.get('epochs', 10))}"]
    args.append(f"batch_size={int(fit.get('batch_size', 32))}")
    if fit.get("validation") == "test":
        args.append("validation_data=(x_test, y_test)")
    elif fit.get("validation_split", 0.1):
        args.append(f"validation_split={float(fit.get('validation_split', 0.1))!r}")
    if fit.get("shuffle") is False:
        args.append("shuffle=False")
    return [
        *lines,
        "",
        f"history = model.fit({', '.join(args)})",
        "model.evaluate(x_test, y_test)",
        "",
        "df = pd.DataFrame(history.history)",
        "plt.plot(df['loss'])",
        "plt.xlabel('epoch')",
        "plt.ylabel('loss')",
        "plt.show()",
    ]


def export_python(
    stack: dict[str, Any],
    name: str = "model",
    fit: dict[str, Any] | None = None,
    dataset_npz: str | None = None,
) -> str:
    """The script that builds (and, given `fit`, trains) the stack; `name` titles it."""
    checked = check_stack(stack, MAX_LAYERS)
    classes = sorted({layer.type.name for layer in checked.layers})
    shape = checked.input_shape
    first = checked.layers[0].type.name
    calls = (
        []
        if shape is None or first not in NO_INPUT_SHAPE
        else [f"tf.keras.Input(shape={literal(shape)})"]
    )
    calls += [
        layer_call(layer, shape if index == 0 and not calls else None)
        for index, layer in enumerate(checked.layers)
    ]
    title = comment_text(name) or "model"  # one line, whatever the user typed
    imports = ["import tensorflow as tf"]
    if fit is not None:
        imports = ["import matplotlib.pyplot as plt", "import numpy as np", "import pandas as pd"]
        imports.append("import tensorflow as tf")
    lines = [
        f"# {title}: exported from Layerstack",
        *imports,
        "from tensorflow.keras.models import Sequential",
        "from tensorflow.keras.layers import " + ", ".join(classes),
        "",
        *_seed_lines(fit),
        "model = Sequential([",
        *(f"    {call}," for call in calls),
        "])",
        "model.summary()",
        "",
        *compile_lines(checked.compile),
    ]
    if fit is not None:
        lines += _fit_lines(fit, dataset_npz)
    return "\n".join(lines) + "\n"


def _seed_lines(fit: dict[str, Any] | None) -> list[str]:
    """Seeding comes first: the weights are drawn when the model is built."""
    if fit is None or fit.get("seed") is None:
        return []
    return [f"tf.keras.utils.set_random_seed({int(fit['seed'])})"]
