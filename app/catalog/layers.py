"""The layer catalog: the one place that lists the layer types Layerstack builds.

Each entry names a Keras layer class, the arguments a user sets in practice (type, default,
bounds, help), and how it transforms an input shape and how many weights it makes, so that the
web process can show `model.summary()` without importing Keras. tests/ml/test_catalog_vs_keras.py
proves every entry equal to Keras itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.catalog.args import (
    Arg,
    Bool,
    Choice,
    Factor,
    Float,
    Int,
    IntTuple,
    ObjectArg,
    Shape,
    expand,
)
from app.catalog.objects import ACTIVATIONS, INITIALIZERS, REGULARIZERS, activation
from app.catalog.shapes import (
    Out,
    ShapeError,
    conv_length,
    fmt,
    join_channels,
    pool_length,
    product,
    set_args_fix,
    split_channels,
)
from app.catalog.shapes import Shape as ShapeT

GROUPS = (
    "core", "convolution", "pooling", "normalization", "regularization", "preprocessing",
    "recurrent",
)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class LayerType:
    name: str  # the Keras class, keras.layers.<name>
    group: str
    help: str
    args: tuple[Arg, ...]
    infer: Callable[[ShapeT, dict[str, Any]], Out]
    aliases: tuple[str, ...] = ()
    rank: int | None = None  # input dims (batch axis excluded) the layer needs, if fixed
    takes: str = ""  # the input it needs, as a person says it

    @property
    def default_name(self) -> str:
        """The name Keras gives the first layer of this class: Conv2D -> conv2d."""
        name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", self.name)
        return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()

    def arg(self, name: str) -> Arg | None:
        return next((a for a in self.args if a.name == name), None)

    def defaults(self) -> dict[str, Any]:
        return {a.name: a.default for a in self.args if not a.required}

    def describe(self) -> dict[str, Any]:
        return {
            "type": self.name,
            "aliases": list(self.aliases),
            "group": self.group,
            "help": self.help,
            "takes": self.takes,
            "keras": f"keras.layers.{self.name}",
            "default_name": self.default_name,
            "args": [a.describe() for a in self.args],
        }


# Arguments several layers share ---------------------------------------------------------------


def _init(name: str, default: str, help: str = "How the weights start") -> Arg:
    vector = not name.startswith(("kernel", "recurrent", "embeddings"))
    return ObjectArg(name=name, default=default, registry=INITIALIZERS, help=help, vector=vector)


def _reg(name: str, help: str) -> Arg:
    return ObjectArg(name=name, default=None, nullable=True, registry=REGULARIZERS, help=help)


USE_BIAS = Bool(name="use_bias", default=True, help="Add a learned bias to each output")
DATA_FORMAT = Choice(
    name="data_format", default=None, nullable=True, choices=("channels_last", "channels_first"),
    help="Axis order: channels_last (batch, h, w, c) or channels_first (batch, c, h, w)",
)  # fmt: skip
SEED = Int(name="seed", default=None, nullable=True, help="Random seed, for reproducible draws")
WEIGHTS = (
    _init("kernel_initializer", "glorot_uniform"),
    _init("bias_initializer", "zeros", "How the biases start"),
    _reg("kernel_regularizer", "Penalty on the weights, e.g. l2"),
    _reg("bias_regularizer", "Penalty on the biases"),
    _reg("activity_regularizer", "Penalty on the layer's output"),
)
FILL = (
    Choice(name="fill_mode", default="reflect", choices=("reflect", "wrap", "constant", "nearest"),
           help="How points outside the image are filled"),
    Choice(name="interpolation", default="bilinear", choices=("nearest", "bilinear"),
           help="How pixels are resampled"),
    SEED,
    Float(name="fill_value", default=0.0, help="The fill value when fill_mode is constant"),
)  # fmt: skip
IMAGE = "(batch, height, width, channels)"
SEQUENCE = "(batch, timesteps, features)"


def _same(shape: ShapeT, args: dict[str, Any]) -> Out:
    return Out(shape)


def _known(value: Any, what: str, shape: ShapeT) -> int:
    if value is None:
        raise ShapeError(f"The {what} of the input {fmt(shape)} must be known (it is None).")
    return int(value)


# Core -----------------------------------------------------------------------------------------


def _dense(shape: ShapeT, a: dict[str, Any]) -> Out:
    last = _known(shape[-1], "last axis", shape)
    units = a["units"]
    return Out((*shape[:-1], units), last * units + (units if a["use_bias"] else 0))


def _flatten(shape: ShapeT, a: dict[str, Any]) -> Out:
    return Out((product(shape),))


def _reshape(shape: ShapeT, a: dict[str, Any]) -> Out:
    target = a["target_shape"]
    size, known = product(shape), product(tuple(d for d in target if d != -1))
    assert known is not None
    if size is None:
        return Out(tuple(None if d == -1 else d for d in target))
    if -1 in target:
        if size % known:
            raise ShapeError(
                f"Cannot reshape {fmt(shape)} ({size} values) into {target}: {size} is not a "
                f"multiple of {known}. Pick a target_shape whose sizes divide {size}."
            )
        return Out(tuple(size // known if d == -1 else d for d in target))
    if known != size:
        raise ShapeError(
            f"Cannot reshape {fmt(shape)} ({size} values) into {target} ({known} values). "
            f"The sizes must multiply to {size}; use -1 for one axis to have it inferred."
        )
    return Out(tuple(target))


def _embedding(shape: ShapeT, a: dict[str, Any]) -> Out:
    return Out((*shape, a["output_dim"]), a["input_dim"] * a["output_dim"])


# Convolution and pooling ----------------------------------------------------------------------


def _conv(n: int) -> Callable[[ShapeT, dict[str, Any]], Out]:
    def infer(shape: ShapeT, a: dict[str, Any]) -> Out:
        spatial, channels = split_channels(shape, a["data_format"])
        cin = _known(channels, "channel axis", shape)
        kernel, strides = expand(a["kernel_size"], n), expand(a["strides"], n)
        dilation = expand(a["dilation_rate"], n)
        assert kernel and strides and dilation
        if max(strides) > 1 and max(dilation) > 1:
            raise ShapeError(
                f"strides > 1 cannot be combined with dilation_rate > 1 (received "
                f"strides={a['strides']}, dilation_rate={a['dilation_rate']}). Set one to 1.",
                set_args_fix({"dilation_rate": 1}, "Set dilation_rate to 1"),
            )
        filters, groups = a["filters"], a["groups"]
        if cin % groups or filters % groups:
            raise ShapeError(
                f"groups={groups} must divide both the input channels ({cin}) and "
                f"filters ({filters}).",
                set_args_fix({"groups": 1}, "Set groups to 1"),
            )
        out = tuple(
            conv_length(s, k, st, a["padding"], d)
            for s, k, st, d in zip(spatial, kernel, strides, dilation, strict=True)
        )
        if any(o is not None and o <= 0 for o in out):
            span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
            raise ShapeError(
                f"kernel_size {span if span != kernel else kernel} is larger than its input "
                f"{spatial} (input {fmt(shape)}, padding='valid'). Use a smaller kernel_size, "
                f"padding='same', or fewer pooling layers before it.",
                set_args_fix({"padding": "same"}, "Use padding='same'"),
            )
        weights = product(kernel) or 0
        params = weights * (cin // groups) * filters + (filters if a["use_bias"] else 0)
        return Out(join_channels(out, filters, a["data_format"]), params)

    return infer


def _pool(n: int) -> Callable[[ShapeT, dict[str, Any]], Out]:
    def infer(shape: ShapeT, a: dict[str, Any]) -> Out:
        spatial, channels = split_channels(shape, a["data_format"])
        pool = expand(a["pool_size"], n)
        strides = expand(a["strides"], n) or pool
        assert pool and strides
        out = tuple(
            pool_length(s, p, st, a["padding"])
            for s, p, st in zip(spatial, pool, strides, strict=True)
        )
        if any(o is not None and o <= 0 for o in out):
            raise ShapeError(
                f"pool_size {pool} is larger than its input {spatial} (input {fmt(shape)}, "
                f"padding='valid'). Use a smaller pool_size, padding='same', or remove a "
                f"pooling layer before it.",
                set_args_fix({"padding": "same"}, "Use padding='same'"),
            )
        return Out(join_channels(out, channels, a["data_format"]))

    return infer


def _global_pool(shape: ShapeT, a: dict[str, Any]) -> Out:
    spatial, channels = split_channels(shape, a["data_format"])
    if a["keepdims"]:
        return Out(join_channels((1,) * len(spatial), channels, a["data_format"]))
    return Out((channels,))


def _upsampling(shape: ShapeT, a: dict[str, Any]) -> Out:
    spatial, channels = split_channels(shape, a["data_format"])
    size = expand(a["size"], 2)
    assert size
    out = tuple(None if s is None else s * k for s, k in zip(spatial, size, strict=True))
    return Out(join_channels(out, channels, a["data_format"]))


# Normalization --------------------------------------------------------------------------------


def _axis_size(shape: ShapeT, axis: int) -> int:
    rank = len(shape) + 1  # with the batch axis, as Keras counts
    if not (-rank < axis < rank) or axis in (0, -rank):
        raise ShapeError(
            f"axis={axis} is not a feature axis of the input {fmt(shape)}: use -1 (the last "
            f"axis) or an axis from 1 to {rank - 1}.",
            set_args_fix({"axis": -1}, "Use axis=-1"),
        )
    return _known(shape[axis - 1 if axis > 0 else axis], f"axis {axis}", shape)


def _batch_norm(shape: ShapeT, a: dict[str, Any]) -> Out:
    size = _axis_size(shape, a["axis"])
    return Out(shape, size * (int(a["center"]) + int(a["scale"])), 2 * size)


def _layer_norm(shape: ShapeT, a: dict[str, Any]) -> Out:
    size = _axis_size(shape, a["axis"])
    return Out(shape, size * (int(a["center"]) + int(a["scale"])))


# Recurrent ------------------------------------------------------------------------------------


def _rnn(gates: int) -> Callable[[ShapeT, dict[str, Any]], Out]:
    def infer(shape: ShapeT, a: dict[str, Any]) -> Out:
        features = _known(shape[-1], "feature axis", shape)
        units = a["units"]
        bias = gates * units if a["use_bias"] else 0
        if a.get("reset_after") and a["use_bias"]:
            bias *= 2  # GRU keeps separate input and recurrent biases
        params = gates * units * (features + units) + bias
        out = (shape[0], units) if a["return_sequences"] else (units,)
        return Out(out, params)

    return infer


def _rnn_args(act: str, extra: tuple[Arg, ...], seeded: bool = True) -> tuple[Arg, ...]:
    return (
        Int(name="units", min=1, example=32, help="Size of the hidden state"),
        activation(default=act, help="Applied to the cell output; null means linear"),
        *extra,
        USE_BIAS,
        Bool(name="return_sequences", default=False,
             help="Output every timestep (to stack another recurrent layer) or only the last"),
        Bool(name="go_backwards", default=False, help="Read the sequence in reverse"),
        Float(name="dropout", default=0.0, min=0.0, max=1.0, max_exclusive=True,
              help="Fraction of the inputs dropped during training"),
        Float(name="recurrent_dropout", default=0.0, min=0.0, max=1.0, max_exclusive=True,
              help="Fraction of the recurrent state dropped during training"),
        _init("kernel_initializer", "glorot_uniform"),
        _init("recurrent_initializer", "orthogonal", "How the recurrent weights start"),
        _init("bias_initializer", "zeros", "How the biases start"),
        _reg("kernel_regularizer", "Penalty on the input weights"),
        _reg("recurrent_regularizer", "Penalty on the recurrent weights"),
        _reg("bias_regularizer", "Penalty on the biases"),
        *((SEED,) if seeded else ()),
    )  # fmt: skip


RECURRENT_ACTIVATION = activation(
    "recurrent_activation", default="sigmoid", help="Applied to the gates"
)

# The catalog ----------------------------------------------------------------------------------

_pool_common = (
    Choice(name="padding", default="valid", choices=("valid", "same"),
           help="valid: windows stay inside the input; same: pad so every input is covered"),
    DATA_FORMAT,
)  # fmt: skip


def _conv_args(n: int, example: int | list[int], paddings: tuple[str, ...]) -> tuple[Arg, ...]:
    return (
        Int(name="filters", min=1, example=32, help="Number of filters (output channels)"),
        IntTuple(name="kernel_size", rank=n, example=example, help="Size of the filter window"),
        IntTuple(name="strides", rank=n, default=1, help="Step between filter positions"),
        Choice(name="padding", default="valid", choices=paddings,
               help="valid: no padding (output shrinks); same: pad to keep the size at stride 1"),
        DATA_FORMAT,
        IntTuple(name="dilation_rate", rank=n, default=1,
                 help="Spacing between kernel taps (atrous convolution)"),
        Int(name="groups", min=1, default=1,
            help="Split input channels into groups convolved separately"),
        activation(),
        USE_BIAS,
        *WEIGHTS,
    )  # fmt: skip


def _pool_args(n: int, required: bool = False) -> tuple[Arg, ...]:
    # Keras gives MaxPooling a default pool_size of 2 but makes AveragePooling ask for one.
    help = "Size of the pooling window"
    return (
        IntTuple(name="pool_size", rank=n, example=2, help=help)
        if required
        else IntTuple(name="pool_size", rank=n, default=2, help=help),
        IntTuple(name="strides", rank=n, default=None, nullable=True,
                 help="Step between windows; null means pool_size"),
        *_pool_common,
    )  # fmt: skip


_global_args = (
    DATA_FORMAT,
    Bool(name="keepdims", default=False, help="Keep the spatial axes (size 1)"),
)
_norm_common = (
    Bool(name="center", default=True, help="Learn an offset (beta)"),
    Bool(name="scale", default=True, help="Learn a scale (gamma)"),
    _init("beta_initializer", "zeros", "How beta starts"),
    _init("gamma_initializer", "ones", "How gamma starts"),
)
_rate = Float(name="rate", min=0.0, max=1.0, max_exclusive=True, example=0.5,
              help="Fraction of the inputs set to 0 during training")  # fmt: skip

LAYERS: tuple[LayerType, ...] = (
    # core
    LayerType(name="Dense", group="core", infer=_dense,
              help="Fully connected: every output unit sees every input on the last axis",
              args=(Int(name="units", min=1, example=64, help="Number of output units"),
                    activation(), USE_BIAS, *WEIGHTS)),
    LayerType(name="Activation", group="core", infer=_same,
              help="Applies an activation function to its input",
              args=(Choice(name="activation", choices=ACTIVATIONS, example="relu",
                           help="The function to apply"),)),
    LayerType(name="Flatten", group="core", infer=_flatten,
              help="Flattens each sample to one vector: (batch, h, w, c) -> (batch, h*w*c)",
              args=(DATA_FORMAT,)),
    LayerType(name="Reshape", group="core", infer=_reshape,
              help="Reshapes each sample to target_shape (the batch axis is kept)",
              args=(Shape(name="target_shape", example=[28, 28, 1],
                          help="New shape without the batch axis; one -1 is inferred"),)),
    LayerType(name="Embedding", group="core", infer=_embedding,
              help="Turns integer ids into dense vectors: (batch, steps) -> (batch, steps, dim)",
              args=(Int(name="input_dim", min=1, example=1000,
                        help="Vocabulary size: largest id + 1"),
                    Int(name="output_dim", min=1, example=64, help="Size of each vector"),
                    _init("embeddings_initializer", "uniform", "How the vectors start"),
                    _reg("embeddings_regularizer", "Penalty on the vectors"),
                    Bool(name="mask_zero", default=False,
                         help="Treat id 0 as padding, masked in later layers"))),
    # convolution
    LayerType(name="Conv2D", group="convolution", infer=_conv(2), rank=3, takes=IMAGE,
              help="2D convolution over images: learns filters that slide over height and width",
              args=_conv_args(2, 3, ("valid", "same"))),
    LayerType(name="Conv1D", group="convolution", infer=_conv(1), rank=2, takes=SEQUENCE,
              help="1D convolution over sequences (time series, text embeddings)",
              args=_conv_args(1, 3, ("valid", "same", "causal"))),
    LayerType(name="UpSampling2D", group="convolution", infer=_upsampling, rank=3, takes=IMAGE,
              help="Repeats rows and columns: doubles height and width by default",
              args=(IntTuple(name="size", rank=2, default=2, help="Upsampling factors"),
                    DATA_FORMAT,
                    Choice(name="interpolation", default="nearest",
                           choices=("nearest", "bilinear"), help="How new pixels are made"))),
    # pooling
    LayerType(name="MaxPooling2D", aliases=("MaxPool2D",), group="pooling", infer=_pool(2),
              rank=3, takes=IMAGE, help="Keeps the largest value in each window",
              args=_pool_args(2)),
    LayerType(name="AveragePooling2D", aliases=("AvgPool2D",), group="pooling", infer=_pool(2),
              rank=3, takes=IMAGE, help="Averages each window", args=_pool_args(2, required=True)),
    LayerType(name="MaxPooling1D", aliases=("MaxPool1D",), group="pooling", infer=_pool(1),
              rank=2, takes=SEQUENCE, help="Keeps the largest value in each window of steps",
              args=_pool_args(1)),
    LayerType(name="AveragePooling1D", aliases=("AvgPool1D",), group="pooling", infer=_pool(1),
              rank=2, takes=SEQUENCE, help="Averages each window of steps",
              args=_pool_args(1, required=True)),
    LayerType(name="GlobalAveragePooling2D", aliases=("GlobalAvgPool2D",), group="pooling",
              infer=_global_pool, rank=3, takes=IMAGE, args=_global_args,
              help="Averages each channel over the whole image: (batch, h, w, c) -> (batch, c)"),
    LayerType(name="GlobalMaxPooling2D", aliases=("GlobalMaxPool2D",), group="pooling",
              infer=_global_pool, rank=3, takes=IMAGE, args=_global_args,
              help="Largest value of each channel over the whole image"),
    LayerType(name="GlobalAveragePooling1D", aliases=("GlobalAvgPool1D",), group="pooling",
              infer=_global_pool, rank=2, takes=SEQUENCE, args=_global_args,
              help="Averages each feature over all steps: (batch, steps, f) -> (batch, f)"),
    LayerType(name="GlobalMaxPooling1D", aliases=("GlobalMaxPool1D",), group="pooling",
              infer=_global_pool, rank=2, takes=SEQUENCE, args=_global_args,
              help="Largest value of each feature over all steps"),
    # normalization
    LayerType(name="BatchNormalization", group="normalization", infer=_batch_norm,
              help="Normalizes each feature with batch statistics; keeps moving averages",
              args=(Int(name="axis", default=-1, help="The feature axis (-1: last)"),
                    Float(name="momentum", default=0.99, min=0.0, max=1.0,
                          help="Momentum of the moving averages"),
                    Float(name="epsilon", default=0.001, min=0.0, min_exclusive=True,
                          help="Added to the variance to avoid dividing by zero"),
                    *_norm_common,
                    _init("moving_mean_initializer", "zeros", "How the moving mean starts"),
                    _init("moving_variance_initializer", "ones",
                          "How the moving variance starts"))),
    LayerType(name="LayerNormalization", group="normalization", infer=_layer_norm,
              help="Normalizes each sample over its features (no batch statistics)",
              args=(Int(name="axis", default=-1, help="The axis to normalize (-1: last)"),
                    Float(name="epsilon", default=0.001, min=0.0, min_exclusive=True,
                          help="Added to the variance to avoid dividing by zero"),
                    *_norm_common)),
    # regularization
    LayerType(name="Dropout", group="regularization", infer=_same,
              help="Randomly sets a fraction of inputs to 0 while training",
              args=(_rate, SEED)),
    LayerType(name="SpatialDropout2D", group="regularization", infer=_same, rank=3, takes=IMAGE,
              help="Drops whole feature maps (channels) while training",
              args=(_rate, DATA_FORMAT, SEED)),
    LayerType(name="GaussianNoise", group="regularization", infer=_same,
              help="Adds zero-mean Gaussian noise while training",
              args=(Float(name="stddev", min=0.0, max=1.0, example=0.1,
                          help="Standard deviation of the noise"), SEED)),
    # preprocessing and augmentation
    LayerType(name="Rescaling", group="preprocessing", infer=_same,
              help="Multiplies by scale and adds offset, e.g. 1/255 to map pixels to [0, 1]",
              args=(Float(name="scale", example=0.00392156862745098,
                          help="Multiplier, e.g. 1/255 = 0.00392156862745098"),
                    Float(name="offset", default=0.0, help="Added after scaling"))),
    LayerType(name="RandomFlip", group="preprocessing", infer=_same, rank=3, takes=IMAGE,
              help="Flips images at random while training (augmentation)",
              args=(Choice(name="mode", default="horizontal_and_vertical",
                           choices=("horizontal", "vertical", "horizontal_and_vertical"),
                           help="Which flips to draw"), SEED)),
    LayerType(name="RandomRotation", group="preprocessing", infer=_same, rank=3, takes=IMAGE,
              help="Rotates images at random while training; factor is a fraction of 2*pi",
              args=(Factor(name="factor", example=0.1,
                           help="Rotation range as a fraction of a full turn, e.g. 0.1"),
                    *FILL)),
    LayerType(name="RandomZoom", group="preprocessing", infer=_same, rank=3, takes=IMAGE,
              help="Zooms images in or out at random while training",
              args=(Factor(name="height_factor", example=0.1,
                           help="Zoom range for height; negative zooms in"),
                    Factor(name="width_factor", default=None, nullable=True,
                           help="Zoom range for width; null keeps the aspect ratio"),
                    *FILL)),
    LayerType(name="RandomTranslation", group="preprocessing", infer=_same, rank=3,
              takes=IMAGE, help="Shifts images at random while training",
              args=(Factor(name="height_factor", example=0.1,
                           help="Vertical shift range, a fraction of the height"),
                    Factor(name="width_factor", example=0.1,
                           help="Horizontal shift range, a fraction of the width"),
                    *FILL)),
    LayerType(name="RandomContrast", group="preprocessing", infer=_same, rank=3, takes=IMAGE,
              help="Changes image contrast at random while training",
              args=(Factor(name="factor", min=0.0, example=0.2,
                           help="Contrast range: a factor in [1 - f, 1 + f]"), SEED)),
    # recurrent
    LayerType(name="LSTM", group="recurrent", infer=_rnn(4), rank=2, takes=SEQUENCE,
              help="Long short-term memory: a recurrent layer with gates",
              args=_rnn_args("tanh", (RECURRENT_ACTIVATION,
                                      Bool(name="unit_forget_bias", default=True,
                                           help="Start the forget gate's bias at 1")))),
    LayerType(name="GRU", group="recurrent", infer=_rnn(3), rank=2, takes=SEQUENCE,
              help="Gated recurrent unit: a lighter gated recurrent layer",
              args=_rnn_args("tanh", (RECURRENT_ACTIVATION,
                                      Bool(name="reset_after", default=True,
                                           help="Apply the reset gate after the matrix product "
                                                "(the cuDNN-compatible form)")))),
    LayerType(name="SimpleRNN", group="recurrent", infer=_rnn(1), rank=2, takes=SEQUENCE,
              help="Fully connected recurrent layer: output fed back as input",
              args=_rnn_args("tanh", (), seeded=False)),
)  # fmt: skip

LAYER_TYPES: dict[str, LayerType] = {t.name: t for t in LAYERS}
LAYER_TYPES.update({alias: t for t in LAYERS for alias in t.aliases})
