"""Python export: the script builds the model Layerstack builds, and reads like the tutorial."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import pytest

from app.catalog import LAYERS
from app.interop.python_export import POSITIONAL, export_python
from app.ml.compiler import build_model
from app.models import SEED_CNN
from app.stacks.stack import check_stack
from tests.helpers.catalog_args import input_for, optional_args, other_value, required_args


def run_script(code: str) -> Any:
    """Exec our own generated code (tests only) and return its `model`."""
    namespace: dict[str, Any] = {}
    with warnings.catch_warnings():
        # Keras 3 warns about input_shape= on a layer, which the tutorial's style uses.
        warnings.filterwarnings("ignore", message=".*input_shape.*", category=UserWarning)
        exec(compile(code, "<export>", "exec"), namespace)
    return namespace["model"]


def config(layer: Any) -> dict[str, Any]:
    return {k: v for k, v in layer.get_config().items() if k != "name"}


def assert_same_model(stack: dict[str, Any]) -> None:
    exported = run_script(export_python(stack))
    ours = build_model(check_stack(stack, 200))
    assert len(exported.layers) == len(ours.layers)
    for theirs, mine in zip(exported.layers, ours.layers, strict=True):
        assert type(theirs).__name__ == type(mine).__name__
        assert list(theirs.output.shape) == list(mine.output.shape)
        assert config(theirs) == config(mine)
    assert exported.count_params() == ours.count_params()


def one_layer(kind: Any, args: dict[str, Any]) -> dict[str, Any]:
    return {"input_shape": input_for(kind), "layers": [{"type": kind.name, "args": args}]}


@pytest.mark.keras
@pytest.mark.parametrize("kind", LAYERS, ids=lambda k: k.name)
def test_each_layer_type_exports_the_same_layer(keras, kind):
    assert_same_model(one_layer(kind, required_args(kind)))


@pytest.mark.keras
@pytest.mark.parametrize("kind,arg", optional_args(), ids=lambda x: getattr(x, "name", ""))
def test_each_argument_exports_the_same_layer(keras, kind, arg):
    assert_same_model(one_layer(kind, {**required_args(kind), arg.name: other_value(arg)}))


@pytest.mark.keras
@pytest.mark.parametrize("kind", LAYERS, ids=lambda k: k.name)
def test_positional_arguments_are_keras_leading_parameters(keras, kind):
    names = POSITIONAL.get(kind.name, ())
    params = list(inspect.signature(getattr(keras.layers, kind.name).__init__).parameters)
    assert params[1 : 1 + len(names)] == list(names)


@pytest.mark.keras
def test_seed_cnn_builds_with_the_tutorial_parameter_count(keras):
    model = run_script(export_python(SEED_CNN, "Tutorial CNN"))
    assert model.count_params() == 103_562
    assert_same_model(SEED_CNN)


def test_seed_cnn_reads_like_the_tutorial():
    code = export_python(SEED_CNN, "Tutorial CNN")
    assert "from tensorflow.keras.models import Sequential\n" in code
    assert "from tensorflow.keras.layers import Conv2D, Dense, Flatten, MaxPooling2D\n" in code
    assert "    Conv2D(16, 3, activation='relu', input_shape=(32, 32, 3)),\n" in code
    assert "    MaxPooling2D((3, 3)),\n" in code
    assert "    Dense(10, activation='softmax'),\n" in code
    assert "optimizer=tf.keras.optimizers.SGD(learning_rate=0.001, momentum=0.9)," in code
    assert "metrics=['accuracy', tf.keras.metrics.SparseTopKCategoricalAccuracy(k=3)]," in code
    assert all(line == line.rstrip() for line in code.splitlines())


def test_fit_section_loads_data_seeds_trains_and_plots():
    fit = {"epochs": 5, "batch_size": 64, "validation_split": 0.2, "seed": 42}
    code = export_python(SEED_CNN, fit=fit, dataset_npz="mnist.npz")
    assert "data = np.load('mnist.npz')" in code
    assert code.index("set_random_seed(42)") < code.index("model = Sequential")
    assert "history = model.fit(x_train, y_train, epochs=5, batch_size=64, " in code
    assert "validation_split=0.2)" in code
    assert "model.evaluate(x_test, y_test)" in code
    assert "df = pd.DataFrame(history.history)" in code
    compile(code, "<export>", "exec")


def test_defaults_given_explicitly_are_left_out():
    stack = {
        "input_shape": [784],
        "layers": [{"type": "Dense", "args": {"units": 10, "use_bias": True, "activation": None}}],
        "compile": {"optimizer": {"name": "Adam", "learning_rate": 0.001}},
    }
    code = export_python(stack)
    assert "    Dense(10, input_shape=(784,)),\n" in code
    assert "optimizer=tf.keras.optimizers.Adam()," in code


def test_custom_names_and_keyword_tuples():
    stack = {
        "input_shape": [28, 28, 1],
        "layers": [
            {"type": "Conv2D", "name": "stem",
             "args": {"filters": 8, "kernel_size": [3, 3], "strides": [2, 2]}},
            {"type": "MaxPooling2D", "args": {"strides": 1}},
        ],
    }  # fmt: skip
    code = export_python(stack)
    assert "Conv2D(8, (3, 3), strides=(2, 2), name='stem', input_shape=(28, 28, 1))" in code
    assert "MaxPooling2D(strides=1)" in code
