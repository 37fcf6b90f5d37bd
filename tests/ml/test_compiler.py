"""The tutorial's models, built by app.ml.compiler, match the tutorial's printed summary."""

import io

import pytest

from app.ml.compiler import build_model, compile_model
from app.models import SEED_CNN
from app.stacks.stack import check_stack
from tests.helpers.keras_compare import assert_same_as_keras, both

pytestmark = pytest.mark.keras

# The tutorial's CNN exactly as written: input_shape on the first layer, MaxPool2D alias.
TUTORIAL_CNN = {
    "layers": [
        {
            "type": "Conv2D",
            "args": {
                "filters": 16,
                "kernel_size": 3,
                "activation": "relu",
                "input_shape": [32, 32, 3],
            },
        },
        {"type": "MaxPool2D", "args": {"pool_size": [3, 3]}},
        {"type": "Flatten"},
        {"type": "Dense", "args": {"units": 64, "activation": "relu"}},
        {"type": "Dense", "args": {"units": 10, "activation": "softmax"}},
    ]
}


def test_tutorial_cnn_reproduces_the_printed_table(keras):
    summary = assert_same_as_keras(TUTORIAL_CNN)
    rows = [(r.name, r.type, r.output_shape, r.params) for r in summary.layers]
    assert rows == [
        ("conv2d", "Conv2D", [None, 30, 30, 16], 448),
        ("max_pooling2d", "MaxPooling2D", [None, 10, 10, 16], 0),
        ("flatten", "Flatten", [None, 1600], 0),
        ("dense", "Dense", [None, 64], 102464),
        ("dense_1", "Dense", [None, 10], 650),
    ]
    assert (summary.total_params, summary.trainable_params, summary.non_trainable_params) == (
        103562,
        103562,
        0,
    )


def test_keras_prints_the_tutorial_totals_for_the_built_model(keras):
    _, _, model = both(TUTORIAL_CNN)
    out = io.StringIO()
    model.summary(print_fn=lambda line, **_: out.write(line + "\n"))
    text = out.getvalue()
    assert "Total params: 103,562" in text
    assert "Trainable params: 103,562" in text
    assert "Non-trainable params: 0" in text


def test_strided_same_conv_example(keras):
    summary = assert_same_as_keras(
        {
            "layers": [
                {
                    "type": "Conv2D",
                    "args": {
                        "filters": 16,
                        "kernel_size": [3, 3],
                        "strides": [2, 2],
                        "padding": "same",
                        "input_shape": [28, 28, 1],
                    },
                },
                {"type": "MaxPooling2D", "args": {"pool_size": [3, 3]}},
            ]
        }
    )
    assert [r.output_shape for r in summary.layers] == [[None, 14, 14, 16], [None, 4, 4, 16]]


def test_channels_first_example_shows_the_users_shapes(keras):
    summary = assert_same_as_keras(
        {
            "layers": [
                {
                    "type": "Conv2D",
                    "args": {
                        "filters": 16,
                        "kernel_size": [3, 3],
                        "padding": "same",
                        "input_shape": [1, 28, 28],
                        "data_format": "channels_first",
                    },
                },
                {
                    "type": "MaxPooling2D",
                    "args": {"pool_size": [3, 3], "data_format": "channels_first"},
                },
            ]
        }
    )
    assert [r.output_shape for r in summary.layers] == [[None, 16, 28, 28], [None, 16, 9, 9]]


@pytest.mark.parametrize(
    "data",
    [
        {
            "input_shape": [784],
            "layers": [
                {"type": "Dense", "args": {"units": 64, "activation": "relu"}},
                {"type": "Dense", "args": {"units": 10, "activation": "softmax"}},
            ],
        },
        {
            "layers": [
                {
                    "type": "Dense",
                    "args": {"units": 64, "activation": "relu", "input_shape": [784]},
                },
                {"type": "Dense", "args": {"units": 10, "activation": "softmax"}},
            ]
        },
        {
            "layers": [
                {"type": "Flatten", "args": {"input_shape": [28, 28]}},
                {"type": "Dense", "args": {"units": 64, "activation": "relu"}},
                {"type": "Dense", "args": {"units": 10, "activation": "softmax"}},
            ]
        },
        {
            "layers": [
                {"type": "Dense", "args": {"units": 64, "activation": "relu", "input_shape": [32]}},
                {"type": "Dense", "args": {"units": 1, "activation": "sigmoid"}},
            ]
        },
        {"layers": [{"type": "Dense", "args": {"units": 64, "input_dim": 784}}]},
    ],
    ids=["mlp-784", "mlp-input-on-layer", "flatten-28x28", "binary-32", "input_dim"],
)
def test_tutorial_mlps(keras, data):
    assert_same_as_keras(data)


def test_unbuilt_stack_like_the_tutorials_first_model(keras):
    _, summary, model = both(
        {
            "layers": [
                {"type": "Dense", "args": {"units": 64, "activation": "relu"}},
                {"type": "Dense", "args": {"units": 10, "activation": "softmax"}},
            ]
        }
    )
    assert not model.built and not summary.built
    assert [r.output_shape for r in summary.layers] == [None, None]
    assert summary.total_params == 0
    assert summary.warnings[0]["type"] == "no_input_shape"


def test_seed_compile_settings_compile_in_keras(keras):
    stack = check_stack(SEED_CNN, 200)
    model = compile_model(build_model(stack), stack.compile)
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert model.optimizer.get_config()["momentum"] == 0.9
    assert float(model.optimizer.learning_rate) == pytest.approx(0.001)


def test_tutorial_compile_with_objects_and_parameters(keras):
    stack = check_stack(
        {
            "layers": [
                {"type": "Dense", "args": {"units": 64, "activation": "relu", "input_shape": [32]}},
                {"type": "Dense", "args": {"units": 1}},
            ],
            "compile": {
                "optimizer": {"name": "SGD", "learning_rate": 0.001, "momentum": 0.9},
                "loss": {"name": "BinaryCrossentropy", "from_logits": True},
                "metrics": [{"name": "BinaryAccuracy"}, {"name": "MeanAbsoluteError"}],
            },
        },
        200,
    )
    model = compile_model(build_model(stack), stack.compile)
    assert model.loss.get_config()["from_logits"] is True
    import numpy as np

    x, y = np.zeros((4, 32), "float32"), np.ones((4, 1), "float32")
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "binary_accuracy", "mean_absolute_error"}
