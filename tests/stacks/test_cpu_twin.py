"""The channels_last twin computes what the channels_first original computes, on the CPU.

The reference is the original model itself, run through XLA (`jit_compile=True`): XLA's CPU
backend convolves NCHW, which TensorFlow's own CPU kernels refuse to do. Keras 3.15's TF
backend adds a channels_first conv's bias along the last axis when that axis is as long as
the filters (`ops.add` takes it for NHWC), so the reference avoids that coincidence and
test_bias_goes_per_channel checks it against numpy instead.
"""

import numpy as np
import pytest

from app.ml.compiler import build_model, compile_model
from app.stacks.cpu_twin import cpu_twin, needs_twin
from app.stacks.stack import CheckedStack, check_stack
from app.stacks.summary import summarize

pytestmark = pytest.mark.keras

CF = {"data_format": "channels_first"}
# The tutorial's channels_first CNN, ending as a classifier.
TUTORIAL = {
    "input_shape": [1, 28, 28],
    "layers": [
        {"type": "Conv2D", "args": {"filters": 16, "kernel_size": 3, "padding": "same", **CF}},
        {"type": "MaxPooling2D", "args": {"pool_size": 3, **CF}},
        {"type": "Flatten"},
        {"type": "Dense", "args": {"units": 10, "activation": "softmax"}},
    ],
    "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy"},
}


def layer(type_: str, **args) -> dict:
    return {"type": type_, "args": args}


def conv2d(**args) -> dict:
    return layer("Conv2D", **{"filters": 7, "kernel_size": 3, **CF, **args})


def twin_of(data: dict) -> tuple[CheckedStack, CheckedStack, tuple[int, ...] | None]:
    stack = check_stack(data, 200)
    twin, perm = cpu_twin(stack)
    return stack, twin, perm


def randomize(model) -> None:
    """Weights that make every axis matter (a variance stays positive)."""
    rng = np.random.default_rng(0)
    for var in model.weights:
        low = 0.5 if "variance" in var.name else -1.0
        var.assign(rng.uniform(low, 1.5, var.shape).astype("float32"))


def outputs(data: dict, twin_stack: CheckedStack | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(original on x, twin on x transposed by perm), the twin holding the original's weights."""
    stack, twin, perm = twin_of(data)
    original, copy = build_model(stack), build_model(twin_stack or twin)
    randomize(original)
    for source in original.layers:
        copy.get_layer(source.name).set_weights(source.get_weights())
    x = np.random.default_rng(1).normal(size=(3, *stack.input_shape)).astype("float32")
    for conv in original.layers:
        first = getattr(conv, "data_format", None) == "channels_first"
        if first and hasattr(conv, "filters") and conv.output.shape[-1] == conv.filters:
            pytest.fail(f"{conv.name}: pick a width other than its filters (Keras's bias bug)")
    original.compile(jit_compile=True)
    expected = original.predict(x, verbose=0)
    axes = (0, *(a + 1 for a in perm)) if perm else None
    return expected, copy.predict(x.transpose(axes) if axes else x, verbose=0)


def assert_same_function(data: dict) -> None:
    expected, got = outputs(data)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)


def kinds(stack: CheckedStack) -> list[tuple[str, str, object]]:
    return [
        (x.type.name, x.name, x.args.get("data_format", x.args.get("dims"))) for x in stack.layers
    ]


def test_tutorial_twin_is_channels_last_with_a_permute_before_flatten(keras):
    stack, twin, perm = twin_of(TUTORIAL)
    assert needs_twin(stack)
    assert perm == (1, 2, 0)
    assert twin.input_shape == (28, 28, 1)
    assert twin.compile == stack.compile
    assert kinds(twin) == [
        ("Conv2D", "conv2d", "channels_last"),
        ("MaxPooling2D", "max_pooling2d", "channels_last"),
        ("Permute", "flatten_permute", [3, 1, 2]),
        ("Flatten", "flatten", None),
        ("Dense", "dense", None),
    ]


def test_tutorial_twin_has_the_same_parameters(keras):
    stack, twin, _ = twin_of(TUTORIAL)
    ours, theirs = summarize(stack), summarize(twin)
    rows = [(r.name, r.params, r.trainable_params) for r in theirs.layers if r.type != "Permute"]
    assert rows == [(r.name, r.params, r.trainable_params) for r in ours.layers]
    assert theirs.total_params == ours.total_params == 16 * 10 + 16 * 9 * 9 * 10 + 10
    original, copy = build_model(stack), build_model(twin)
    assert copy.count_params() == ours.total_params
    # Keras keeps a kernel as (kh, kw, cin, cout) in either layout: weights copy as they are.
    shapes = [[w.shape for w in x.get_weights()] for x in original.layers]
    assert shapes == [
        [w.shape for w in copy.get_layer(x.name).get_weights()] for x in original.layers
    ]
    assert shapes[0] == [(3, 3, 1, 16), (16,)]


def test_tutorial_twin_computes_the_same_function(keras):
    assert_same_function(TUTORIAL)


def test_flatten_order_is_the_originals(keras):
    """Conv then Flatten alone: any other flatten order would fail this."""
    data = {"input_shape": [2, 5, 6], "layers": [conv2d(padding="same"), layer("Flatten")]}
    assert_same_function(data)
    _, twin, _ = twin_of(data)
    without_permute = CheckedStack(twin.input_shape, [twin.layers[0], twin.layers[2]])
    expected, got = outputs(data, without_permute)
    assert not np.allclose(got, expected, atol=1e-3)


def test_twin_trains(keras):
    _, twin, _ = twin_of(TUTORIAL)
    model = compile_model(build_model(twin), twin.compile)
    rng = np.random.default_rng(2)
    x = rng.uniform(size=(32, 1, 28, 28)).astype("float32")
    y = rng.integers(0, 10, size=32)
    history = model.fit(x.transpose(0, 2, 3, 1), y, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize(
    "data",
    [
        TUTORIAL,
        {"input_shape": [8, 8, 3], "layers": [conv2d(data_format="channels_last")]},
        {"input_shape": [4, 5, 6], "layers": [layer("Flatten", **CF), layer("Dense", units=2)]},
        {"input_shape": [10], "layers": [layer("Dense", units=2)]},
    ],
    ids=["channels_first", "channels_last", "flatten_only", "dense"],
)
def test_only_channels_first_spatial_layers_need_a_twin(keras, data):
    stack = check_stack(data, 200)
    if data is TUTORIAL:
        assert needs_twin(stack)
        return
    assert not needs_twin(stack)
    assert cpu_twin(stack) == (stack, None)
    build_model(stack).predict(np.zeros((1, *stack.input_shape)), verbose=0)  # runs on the CPU


def test_batch_norm_on_the_channel_axis_becomes_axis_minus_1(keras):
    data = {
        "input_shape": [3, 6, 7],
        "layers": [conv2d(), layer("BatchNormalization", axis=1),
                   layer("Activation", activation="relu"), layer("GlobalAveragePooling2D", **CF),
                   layer("Dense", units=2)],
    }  # fmt: skip
    _, twin, perm = twin_of(data)
    assert perm == (1, 2, 0)
    assert [x.type.name for x in twin.layers] == [
        "Conv2D", "BatchNormalization", "Activation", "GlobalAveragePooling2D", "Dense",
    ]  # fmt: skip
    assert twin.layers[1].args["axis"] == -1
    assert_same_function(data)


def test_conv1d_channels_first_takes_channels_then_steps(keras):
    data = {
        "input_shape": [3, 12],
        "layers": [layer("Conv1D", filters=4, kernel_size=3, padding="causal", **CF),
                   layer("MaxPooling1D", **CF), layer("Flatten")],
    }  # fmt: skip
    _, twin, perm = twin_of(data)
    assert perm == (1, 0)
    assert twin.input_shape == (12, 3)
    assert kinds(twin)[2] == ("Permute", "flatten_permute", [2, 1])
    assert_same_function(data)


def test_flatten_channels_first_becomes_plain_flatten(keras):
    data = {
        "input_shape": [2, 5, 6],
        "layers": [layer("Dropout", rate=0.5), conv2d(), layer("Flatten", **CF),
                   layer("Dense", units=3)],
    }  # fmt: skip
    _, twin, perm = twin_of(data)
    assert perm == (1, 2, 0)
    assert [x.type.name for x in twin.layers] == ["Dropout", "Conv2D", "Flatten", "Dense"]
    assert twin.layers[2].args["data_format"] == "channels_last"
    assert_same_function(data)


# Layers that read the channels-first layout get it back through a Permute in front of them.
PERMUTED_BACK = {
    "dense_on_a_grid": layer("Dense", units=3),
    "reshape": layer("Reshape", target_shape=[-1]),
    "layer_norm": layer("LayerNormalization"),
    "batch_norm_other_axis": layer("BatchNormalization", axis=2),
    "channels_last_conv": layer("Conv2D", filters=2, kernel_size=2),
    "random_flip": layer("RandomFlip", seed=1),
}


@pytest.mark.parametrize("after", PERMUTED_BACK.values(), ids=PERMUTED_BACK.keys())
def test_layout_readers_see_the_channels_first_tensor(keras, after):
    data = {"input_shape": [3, 5, 6], "layers": [conv2d(padding="same"), after]}
    _, twin, _ = twin_of(data)
    name = twin.layers[2].name
    assert kinds(twin)[1] == ("Permute", f"{name}_permute", [3, 1, 2])
    assert_same_function(data)


def test_channels_first_after_a_reshape_gets_a_permute_to_channels_last(keras):
    data = {
        "input_shape": [60],
        "layers": [layer("Reshape", target_shape=[3, 4, 5]), conv2d(groups=1),
                   layer("GlobalMaxPooling2D", keepdims=True, **CF), layer("Flatten"),
                   layer("Reshape", target_shape=[7, 1]), layer("LSTM", units=2)],
    }  # fmt: skip
    _, twin, perm = twin_of(data)
    assert perm is None
    assert [x.type.name for x in twin.layers] == [
        "Reshape", "Permute", "Conv2D", "GlobalMaxPooling2D", "Permute", "Flatten", "Reshape",
        "LSTM",
    ]  # fmt: skip
    assert twin.layers[1].args["dims"] == [2, 3, 1]
    assert_same_function(data)


def test_grouped_channels_first_conv(keras):
    data = {"input_shape": [4, 6, 6], "layers": [conv2d(groups=2, filters=8), layer("Flatten")]}
    assert_same_function(data)


def test_bias_goes_per_channel(keras):
    """A 4x4 image through 4 filters: the bias still goes on the channel axis."""
    data = {"input_shape": [2, 4, 4], "layers": [conv2d(filters=4, padding="same")]}
    _, twin, _ = twin_of(data)
    model = build_model(twin)
    randomize(model)
    kernel, bias = model.layers[0].get_weights()
    x = np.random.default_rng(3).normal(size=(1, 2, 4, 4)).astype("float32")
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.empty((1, 4, 4, 4), "float32")  # (batch, C, H, W)
    for i in range(4):
        for j in range(4):
            patch = padded[:, :, i : i + 3, j : j + 3]
            expected[:, :, i, j] = np.einsum("ncab,abco->no", patch, kernel) + bias
    got = model.predict(x.transpose(0, 2, 3, 1), verbose=0).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_inserted_names_never_clash(keras):
    data = {
        "input_shape": [2, 5, 6],
        "layers": [conv2d(), {"type": "Dropout", "name": "flatten_permute", "args": {"rate": 0.1}},
                   layer("Flatten")],
    }  # fmt: skip
    _, twin, _ = twin_of(data)
    assert [x.name for x in twin.layers] == [
        "conv2d", "flatten_permute", "flatten_permute_", "flatten",
    ]  # fmt: skip
    assert_same_function(data)
