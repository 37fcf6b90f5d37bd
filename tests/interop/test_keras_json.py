"""Keras JSON import: real model.to_json() output becomes the same stack, refusals name why."""

from __future__ import annotations

import json

import pytest

from app.interop.keras_json import KerasJsonError, import_keras_json
from app.ml.compiler import build_model, compile_model
from app.models import SEED_CNN
from app.stacks.stack import check_stack
from app.stacks.summary import check_and_summarize


def summary_of(stack: dict) -> dict:
    return check_and_summarize(stack, 200, 50_000_000)[1].as_json()


def rows(summary: dict) -> list[tuple]:
    return [(r["type"], r["output_shape"], r["params"]) for r in summary["layers"]]


def tutorial_models(keras):
    layers = keras.layers
    return {
        "mlp": keras.Sequential(
            [keras.Input((784,)), layers.Dense(64, activation="relu"), layers.Dense(10)]
        ),
        "flatten_mlp": keras.Sequential(
            [
                keras.Input((28, 28)),
                layers.Flatten(),
                layers.Dense(64, activation="relu"),
                layers.Dense(10, activation="softmax"),
            ]
        ),
        "cnn": keras.Sequential(
            [
                keras.Input((32, 32, 3)),
                layers.Conv2D(16, kernel_size=3, activation="relu"),
                layers.MaxPool2D((3, 3)),
                layers.Flatten(),
                layers.Dense(64, activation="relu"),
                layers.Dense(10, activation="softmax"),
            ]
        ),
        "strided_same": keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                layers.Conv2D(16, (3, 3), strides=(2, 2), padding="same"),
                layers.MaxPooling2D((3, 3)),
            ]
        ),
        "channels_first": keras.Sequential(
            [
                keras.Input((1, 28, 28)),
                layers.Conv2D(16, (3, 3), padding="same", data_format="channels_first"),
                layers.MaxPooling2D((3, 3), data_format="channels_first"),
            ]
        ),
    }


@pytest.mark.keras
@pytest.mark.parametrize("name", ["mlp", "flatten_mlp", "cnn", "strided_same", "channels_first"])
def test_tutorial_models_import_to_the_same_summary(keras, name):
    model = tutorial_models(keras)[name]
    stack = import_keras_json(model.to_json())
    summary = summary_of(stack)
    assert summary["total_params"] == model.count_params()
    assert [r[1] for r in rows(summary)] == [list(layer.output.shape) for layer in model.layers]
    if name == "cnn":
        assert summary["total_params"] == 103_562
        assert stack["layers"][0] == {
            "type": "Conv2D",
            "args": {"filters": 16, "kernel_size": 3, "activation": "relu"},
        }
    if name == "channels_first":
        assert stack["layers"][1]["args"] == {"pool_size": 3, "data_format": "channels_first"}


@pytest.mark.keras
def test_seed_cnn_round_trips_with_its_compile_settings(keras):
    model = compile_model(build_model(check_stack(SEED_CNN, 200)), SEED_CNN["compile"])
    stack = import_keras_json(model.to_json())
    assert stack["compile"] == {
        "optimizer": {"name": "SGD", "learning_rate": 0.001, "momentum": 0.9},
        "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy", {"name": "SparseTopKCategoricalAccuracy", "k": 3}],
    }
    assert rows(summary_of(stack)) == rows(summary_of(SEED_CNN))


@pytest.mark.keras
def test_initializers_and_regularizers_round_trip(keras):
    args = {
        "units": 4,
        "kernel_initializer": {"name": "RandomNormal", "stddev": 0.2},
        "bias_initializer": "ones",
        "kernel_regularizer": {"name": "L2", "l2": 0.02},
        "name": "hidden",
    }
    given = {"input_shape": [8], "layers": [{"type": "Dense", "args": args}]}
    stack = import_keras_json(build_model(check_stack(given, 200)).to_json())
    assert stack["layers"] == [
        {
            "type": "Dense",
            "args": {k: v for k, v in args.items() if k != "name"},
            "name": "hidden",
        }
    ]


TF2_JSON = {
    "class_name": "Sequential",
    "config": {
        "name": "sequential_3",
        "layers": [
            {
                "class_name": "Flatten",
                "config": {
                    "name": "flatten",
                    "trainable": True,
                    "batch_input_shape": [None, 28, 28],
                    "dtype": "float32",
                    "data_format": "channels_last",
                },
            },
            {
                "class_name": "Dense",
                "config": {
                    "name": "dense_7",
                    "trainable": True,
                    "dtype": "float32",
                    "units": 64,
                    "activation": "relu",
                    "use_bias": True,
                    "kernel_initializer": {"class_name": "HeNormal", "config": {"seed": None}},
                    "bias_initializer": {"class_name": "Zeros", "config": {}},
                    "kernel_regularizer": {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.01}},
                    "bias_regularizer": None,
                    "activity_regularizer": None,
                    "kernel_constraint": None,
                    "bias_constraint": None,
                },
            },
            {"class_name": "Dropout", "config": {"name": "dropout", "rate": 0.5, "seed": None}},
        ],
    },
    "keras_version": "2.15.0",
    "backend": "tensorflow",
}


def test_tf_keras_2_json_imports():
    stack = import_keras_json(json.dumps(TF2_JSON))
    assert stack["input_shape"] == [28, 28]
    assert stack["layers"] == [
        {"type": "Flatten", "args": {}},
        {
            "type": "Dense",
            "args": {
                "units": 64,
                "activation": "relu",
                "kernel_initializer": "he_normal",
                "kernel_regularizer": {"name": "L1L2", "l2": 0.01},
            },
        },
        {"type": "Dropout", "args": {"rate": 0.5}},
    ]
    assert summary_of(stack)["total_params"] == 784 * 64 + 64


def test_functional_model_is_refused():
    document = {"class_name": "Functional", "config": {"name": "model", "layers": []}}
    with pytest.raises(KerasJsonError, match="class_name Functional: only Sequential"):
        import_keras_json(json.dumps(document))


def test_layers_outside_the_catalog_are_named_together():
    document = json.loads(json.dumps(TF2_JSON))
    document["config"]["layers"] += [
        {"class_name": "Lambda", "config": {"function": "..."}},
        {"class_name": "TFOpLambda", "config": {}},
        {"class_name": "Lambda", "config": {}},
    ]
    with pytest.raises(KerasJsonError) as error:
        import_keras_json(json.dumps(document))
    assert "Lambda, TFOpLambda are not in Layerstack's catalog" in error.value.message


def test_constraints_are_refused_by_name():
    document = json.loads(json.dumps(TF2_JSON))
    document["config"]["layers"][1]["config"]["kernel_constraint"] = {
        "class_name": "MaxNorm",
        "config": {"max_value": 2},
    }
    with pytest.raises(KerasJsonError, match="kernel_constraint"):
        import_keras_json(json.dumps(document))


def test_bad_json_is_refused_with_its_position():
    with pytest.raises(KerasJsonError, match="line 2, column 5"):
        import_keras_json('{"class_name":\n    ,}')


def test_documents_over_the_limit_are_refused():
    with pytest.raises(KerasJsonError, match="limit is 100"):
        import_keras_json(json.dumps(TF2_JSON), max_bytes=100)
