"""Stacks the tests send, as a user or script would."""

from typing import Any

from app.models import SEED_CNN


def mlp(input_shape: list[int] | None = None, **compile_: Any) -> dict[str, Any]:
    return {
        "name": "MLP",
        "input_shape": input_shape or [8, 8],
        "layers": [
            {"type": "Flatten"},
            {"type": "Dense", "args": {"units": 64, "activation": "relu"}},
            {"type": "Dense", "args": {"units": 10, "activation": "softmax"}},
        ],
        "compile": {
            "optimizer": "adam",
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
            **compile_,
        },
    }


def mnist_cnn(filters: int = 16) -> dict[str, Any]:
    """Conv2D, MaxPooling2D, Flatten, Dense(10): a small CNN for 28x28 digits."""
    conv = {"filters": filters, "kernel_size": 3, "activation": "relu"}
    return {
        "input_shape": [28, 28, 1],
        "layers": [
            {"type": "Conv2D", "args": conv},
            {"type": "MaxPooling2D"},
            {"type": "Flatten"},
            dense(10, activation="softmax"),
        ],
        "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
                    "metrics": ["accuracy"]},
    }  # fmt: skip


# A small CNN for the built-in 8x8 digits (reshaped to 8x8x1): the session's digits_cnn_run.
DIGITS_CNN = {
    "name": "digits CNN",
    "input_shape": [8, 8, 1],
    "layers": [
        {"type": "Conv2D", "args": {"filters": 8, "kernel_size": 3, "activation": "relu"}},
        {"type": "MaxPooling2D"},
        {"type": "Flatten"},
        {"type": "Dense", "args": {"units": 10, "activation": "softmax"}},
    ],
    "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
                "metrics": ["accuracy"]},
}  # fmt: skip


def with_layers(*layers: dict[str, Any], input_shape: Any = (784,)) -> dict[str, Any]:
    return {"name": "case", "input_shape": list(input_shape), "layers": list(layers)}


def dense(units: Any, **args: Any) -> dict[str, Any]:
    return {"type": "Dense", "args": {"units": units, **args}}


__all__ = ["DIGITS_CNN", "SEED_CNN", "dense", "mlp", "mnist_cnn", "with_layers"]
