"""Compile settings: the optimizers, losses and metrics `model.compile` accepts here.

As in the tutorial, each may be a string id (`optimizer="adam"`) or an object with parameters
(`{"name": "SGD", "learning_rate": 0.001, "momentum": 0.9}`).
"""

from __future__ import annotations

from typing import Any

from app.catalog.args import Arg, ArgError, Bool, Choice, Float, Int
from app.catalog.objects import ObjectSpec, Registry, strip_module
from app.catalog.problems import Invalid, Problem, article, invalid, received


def _lr(default: float) -> Arg:
    return Float(name="learning_rate", default=default, min=0.0, min_exclusive=True,
                 help="Step size of each update")  # fmt: skip


_BETAS = (
    Float(name="beta_1", default=0.9, min=0.0, max=1.0, max_exclusive=True,
          help="Decay of the first-moment estimate"),
    Float(name="beta_2", default=0.999, min=0.0, max=1.0, max_exclusive=True,
          help="Decay of the second-moment estimate"),
)  # fmt: skip
_EPSILON = Float(name="epsilon", default=1e-07, min=0.0, min_exclusive=True,
                 help="Small constant for numerical stability")  # fmt: skip
_CLIP = (
    Float(name="clipnorm", default=None, nullable=True, min=0.0, min_exclusive=True,
          help="Clip each gradient to this norm"),
    Float(name="clipvalue", default=None, nullable=True, min=0.0, min_exclusive=True,
          help="Clip each gradient value to [-clipvalue, clipvalue]"),
)  # fmt: skip


def _opt(name: str, ids: tuple[str, ...], help: str, *args: Arg) -> ObjectSpec:
    return ObjectSpec(name=name, module="optimizers", ids=ids, help=help, args=(*args, *_CLIP))


OPTIMIZERS = Registry(
    "optimizer",
    (
        _opt("SGD", ("sgd",), "Stochastic gradient descent, with optional momentum", _lr(0.01),
             Float(name="momentum", default=0.0, min=0.0, help="Accelerates in steady directions"),
             Bool(name="nesterov", default=False, help="Use Nesterov momentum")),
        _opt("Adam", ("adam",), "Adaptive moments: a good default", _lr(0.001), *_BETAS,
             _EPSILON, Bool(name="amsgrad", default=False, help="Use the AMSGrad variant")),
        _opt("AdamW", ("adamw",), "Adam with decoupled weight decay", _lr(0.001),
             Float(name="weight_decay", default=0.004, min=0.0, help="Decay applied to weights"),
             *_BETAS, _EPSILON, Bool(name="amsgrad", default=False, help="Use AMSGrad")),
        _opt("RMSprop", ("rmsprop",), "Divides by a moving average of squared gradients "
             "(Keras's default optimizer)", _lr(0.001),
             Float(name="rho", default=0.9, min=0.0, max=1.0, help="Decay of the average"),
             Float(name="momentum", default=0.0, min=0.0, help="Momentum"), _EPSILON,
             Bool(name="centered", default=False, help="Normalize by the gradient variance")),
        _opt("Adagrad", ("adagrad",), "Per-parameter rates that shrink with use", _lr(0.001),
             Float(name="initial_accumulator_value", default=0.1, min=0.0,
                   help="Starting value of the accumulators"), _EPSILON),
        _opt("Nadam", ("nadam",), "Adam with Nesterov momentum", _lr(0.001), *_BETAS, _EPSILON),
        _opt("Adamax", ("adamax",), "Adam with the infinity norm", _lr(0.001), *_BETAS,
             _EPSILON),
        _opt("Adadelta", ("adadelta",), "Adapts rates from a window of updates", _lr(0.001),
             Float(name="rho", default=0.95, min=0.0, max=1.0, help="Decay rate"), _EPSILON),
    ),
)  # fmt: skip

_LOGITS = Bool(
    name="from_logits",
    default=False,
    help="True if the model outputs raw scores (no softmax/sigmoid on the last layer)",
)
_SMOOTH = Float(name="label_smoothing", default=0.0, min=0.0, max=1.0,
                help="Soften the targets towards uniform")  # fmt: skip


def _loss(name: str, ids: tuple[str, ...], help: str, *args: Arg) -> ObjectSpec:
    return ObjectSpec(name=name, module="losses", ids=ids, help=help, args=args)


LOSSES = Registry(
    "loss",
    (
        _loss("SparseCategoricalCrossentropy", ("sparse_categorical_crossentropy",),
              "Classes given as integer labels (0, 1, 2, ...)", _LOGITS,
              Int(name="ignore_class", default=None, nullable=True,
                  help="A label value to leave out of the loss")),
        _loss("CategoricalCrossentropy", ("categorical_crossentropy",),
              "Classes given as one-hot vectors", _LOGITS, _SMOOTH),
        _loss("BinaryCrossentropy", ("binary_crossentropy", "bce"),
              "Two classes (labels 0/1), one sigmoid output", _LOGITS, _SMOOTH),
        _loss("MeanSquaredError", ("mean_squared_error", "mse"), "Regression: mean of squares"),
        _loss("MeanAbsoluteError", ("mean_absolute_error", "mae"),
              "Regression: mean of absolute errors"),
        _loss("Huber", ("huber",), "Regression: squared near zero, absolute far away",
              Float(name="delta", default=1.0, min=0.0, min_exclusive=True,
                    help="Where quadratic turns linear")),
        _loss("MeanAbsolutePercentageError", ("mean_absolute_percentage_error", "mape"),
              "Regression: mean of relative errors, in percent"),
        _loss("MeanSquaredLogarithmicError", ("mean_squared_logarithmic_error", "msle"),
              "Regression: mean squared error of log(1 + x)"),
        _loss("KLDivergence", ("kl_divergence", "kld"), "Distance between distributions"),
        _loss("Hinge", ("hinge",), "Maximum-margin loss, labels -1/1"),
        _loss("CategoricalHinge", ("categorical_hinge",), "Hinge loss for one-hot classes"),
        _loss("Poisson", ("poisson",), "For counts"),
    ),
)  # fmt: skip


def _metric(name: str, ids: tuple[str, ...], help: str, *args: Arg) -> ObjectSpec:
    return ObjectSpec(name=name, module="metrics", ids=ids, help=help, args=args)


_THRESHOLD = Float(name="thresholds", default=None, nullable=True, min=0.0, max=1.0,
                   help="Decision threshold (null: 0.5)")  # fmt: skip
_TOP_K = Int(name="top_k", default=None, nullable=True, min=1, help="Only the k highest scores")
_CLASS_ID = Int(name="class_id", default=None, nullable=True, min=0, help="Only this class")
_K = Int(name="k", default=5, min=1, help="Count a hit when the label is in the top k")

METRICS = Registry(
    "metric",
    (
        # The string "accuracy" lets Keras pick binary/categorical/sparse accuracy from the loss;
        # the object {"name": "Accuracy"} is exact equality of prediction and label.
        _metric("Accuracy", ("accuracy", "acc"), "Share of right answers (kind picked from the "
                "loss when given as 'accuracy')"),
        _metric("BinaryAccuracy", ("binary_accuracy",), "Accuracy of 0/1 predictions",
                Float(name="threshold", default=0.5, min=0.0, max=1.0,
                      help="Scores above this count as 1")),
        _metric("CategoricalAccuracy", ("categorical_accuracy",), "Accuracy for one-hot labels"),
        _metric("SparseCategoricalAccuracy", ("sparse_categorical_accuracy",),
                "Accuracy for integer labels"),
        _metric("TopKCategoricalAccuracy", ("top_k_categorical_accuracy",),
                "Label among the k best scores (one-hot labels)", _K),
        _metric("SparseTopKCategoricalAccuracy", ("sparse_top_k_categorical_accuracy",),
                "Label among the k best scores (integer labels)", _K),
        _metric("MeanSquaredError", ("mean_squared_error", "mse"), "Mean of squared errors"),
        _metric("MeanAbsoluteError", ("mean_absolute_error", "mae"), "Mean of absolute errors"),
        _metric("RootMeanSquaredError", ("root_mean_squared_error",),
                "Square root of the mean squared error"),
        _metric("SparseCategoricalCrossentropy", ("sparse_categorical_crossentropy",),
                "The sparse cross-entropy loss, tracked as a metric"),
        _metric("CategoricalCrossentropy", ("categorical_crossentropy",),
                "The categorical cross-entropy loss, tracked as a metric"),
        _metric("BinaryCrossentropy", ("binary_crossentropy",),
                "The binary cross-entropy loss, tracked as a metric"),
        _metric("Precision", ("precision",), "Of predicted positives, the share that are right",
                _THRESHOLD, _TOP_K, _CLASS_ID),
        _metric("Recall", ("recall",), "Of true positives, the share that were found",
                _THRESHOLD, _TOP_K, _CLASS_ID),
        _metric("AUC", ("auc",), "Area under the ROC (or PR) curve",
                Int(name="num_thresholds", default=200, min=2, help="Points on the curve"),
                Choice(name="curve", default="ROC", choices=("ROC", "PR"), help="Which curve"),
                Bool(name="multi_label", default=False, help="One curve per label"),
                Bool(name="from_logits", default=False, help="Scores are raw logits")),
    ),
)  # fmt: skip

COMPILE_FIELDS: dict[str, tuple[Registry, Any]] = {
    "optimizer": (OPTIMIZERS, "rmsprop"),
    "loss": (LOSSES, None),
    "metrics": (METRICS, []),
}
_OTHERS = (OPTIMIZERS, LOSSES, METRICS)


def _wrong_kind(value: Any, registry: Registry) -> str | None:
    """'sgd' is an optimizer, not a loss: name the field the value belongs to."""
    name = value.get("name") if isinstance(value, dict) else value
    if not isinstance(name, str):
        return None
    for other in _OTHERS:
        if other is not registry and other.find(strip_module(name)) is not None:
            field = "metrics" if other is METRICS else other.kind
            examples = ", ".join(repr(s.ids[0]) for s in registry.specs[:4])
            return (
                f"{name!r} is {article(other.kind)}, not {article(registry.kind)}: put it in "
                f"`{field}`. For `{registry.kind}`, use one of {examples}, ..."
            )
    return None


def _check_one(registry: Registry, value: Any, field: str, loc: tuple[str | int, ...]) -> Any:
    if isinstance(value, str) and registry.find(value) is None:
        # Accept module paths people paste (tf.keras.optimizers.Adam) when the rest is right.
        bare = strip_module(value)
        if registry.find(bare) is not None:
            value = bare
    try:
        return registry.check(value, field)
    except ArgError as error:
        wrong = None if error.loc else _wrong_kind(value, registry)
        problem = Problem((*loc, *error.loc), wrong or error.message, f"compile_{field}", value)
        raise Invalid([problem]) from None


def check_compile(value: Any) -> dict[str, Any]:
    """Validated compile settings (missing fields take Keras's defaults), or Invalid."""
    loc: tuple[str | int, ...] = ("compile",)
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise invalid(
            loc,
            f"Expected an object for `compile`. {received('compile', value)}.",
            "compile_type",
            value,
        )
    unknown = [k for k in value if k not in COMPILE_FIELDS]
    if unknown:
        raise invalid(
            (*loc, unknown[0]),
            f"`compile` has no field `{unknown[0]}`; it takes {', '.join(COMPILE_FIELDS)}.",
            "compile_field",
        )
    out: dict[str, Any] = {}
    for field, (registry, default) in COMPILE_FIELDS.items():
        given = value.get(field, default)
        if field == "metrics":
            if not isinstance(given, list):
                given = [given]  # Keras accepts a single metric too
            out[field] = [
                _check_one(registry, m, field, (*loc, field, i)) for i, m in enumerate(given)
            ]
        elif given is None:
            out[field] = None
        else:
            out[field] = _check_one(registry, given, field, (*loc, field))
    return out


def compile_defaults() -> dict[str, Any]:
    return {field: default for field, (_, default) in COMPILE_FIELDS.items()}
