"""Keras objects that take parameters: a registry per kind (initializer, optimizer, loss, ...).

A value is either a string id Keras accepts (`"adam"`, `"glorot_uniform"`) or an object
`{"name": "Adam", "learning_rate": 0.001}` whose name is the Keras class. Strings are kept as
given (Keras treats `metrics=["accuracy"]` differently from `metrics=[Accuracy()]`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.catalog.args import Arg, ArgError, Choice, Float, Int
from app.catalog.problems import article, received, suggest

# Prefixes people paste from code: tf.keras.losses.BinaryCrossentropy -> BinaryCrossentropy.
_MODULE_PREFIXES = ("tf.keras.", "tensorflow.keras.", "keras.")


@dataclass(frozen=True, kw_only=True)
class ObjectSpec:
    """One Keras class: its name, the string ids that mean it, and its parameters."""

    name: str
    module: str  # where Keras keeps it: "optimizers", "losses", ...
    help: str
    ids: tuple[str, ...] = ()
    args: tuple[Arg, ...] = ()

    def arg(self, name: str) -> Arg | None:
        return next((a for a in self.args if a.name == name), None)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ids": list(self.ids),
            "help": self.help,
            "keras": f"keras.{self.module}.{self.name}",
            "args": [a.describe() for a in self.args],
        }


@dataclass(frozen=True)
class Registry:
    """The objects of one kind; `check` turns a JSON value into a validated one."""

    kind: str  # "optimizer", "loss", ...
    specs: tuple[ObjectSpec, ...]
    by_key: dict[str, ObjectSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = {s.name: s for s in self.specs}
        keys.update({i: s for s in self.specs for i in s.ids})
        object.__setattr__(self, "by_key", keys)

    @property
    def plural(self) -> str:
        return self.kind + ("es" if self.kind.endswith("s") else "s")

    def find(self, key: str) -> ObjectSpec | None:
        return self.by_key.get(key)

    def names(self) -> list[str]:
        return list(self.by_key)

    def unknown(self, value: str, field_name: str) -> ArgError:
        hint = suggest(value, self.names())
        fix = f" Did you mean {hint!r}?" if hint else ""
        return ArgError(
            f"Unknown {self.kind} {value!r} for `{field_name}`.{fix} "
            f"Known {self.plural}: {', '.join(s.name for s in self.specs)}."
        )

    def check(self, value: Any, field_name: str) -> Any:
        if isinstance(value, str):
            if self.find(value) is None:
                raise self.unknown(value, field_name)
            return value
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            raise ArgError(
                f"Expected {article(self.kind)} name such as {self.specs[0].ids[0]!r}, or an "
                f'object {{"name": "{self.specs[0].name}", ...parameters}} for `{field_name}`. '
                f"{received(field_name, value)}."
            )
        spec = self.find(value["name"])
        if spec is None:
            raise self.unknown(value["name"], field_name)
        return {"name": spec.name, **check_args(spec.args, value, skip={"name"}, what=spec.name)}

    def describe(self) -> list[dict[str, Any]]:
        return [s.describe() for s in self.specs]


def strip_module(name: str) -> str:
    for prefix in _MODULE_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :].split(".", 1)[-1]
    return name


def check_args(
    args: Iterable[Arg], given: dict[str, Any], *, skip: set[str], what: str
) -> dict[str, Any]:
    """Check each given argument; unknown and missing ones are errors naming the argument."""
    by_name = {a.name: a for a in args}
    out: dict[str, Any] = {}
    for key, value in given.items():
        if key in skip:
            continue
        arg = by_name.get(key)
        if arg is None:
            hint = suggest(key, list(by_name))
            fix = f" Did you mean {hint!r}?" if hint else ""
            known = ", ".join(by_name) or "none"
            raise ArgError(f"{what} has no argument `{key}`.{fix} Its arguments: {known}.", (key,))
        try:
            out[key] = arg.check(value)
        except ArgError as error:
            raise ArgError(error.message, (key, *error.loc)) from None
    for arg in by_name.values():
        if arg.required and arg.name not in out:
            example = f", for example {arg.name}={arg.example!r}" if arg.example is not None else ""
            raise ArgError(f"{what} needs `{arg.name}` ({arg.help}){example}.", (arg.name,))
    return out


def _seed() -> Arg:
    return Int(name="seed", default=None, nullable=True, help="Random seed, for reproducible draws")


ACTIVATIONS: tuple[str, ...] = (
    "linear", "relu", "sigmoid", "softmax", "tanh", "elu", "selu", "softplus", "softsign",
    "swish", "silu", "gelu", "exponential", "hard_sigmoid", "leaky_relu", "relu6", "mish",
    "log_softmax",
)  # fmt: skip


def activation(name: str = "activation", default: Any = None, **kw: Any) -> Choice:
    return Choice(
        name=name,
        default=default,
        nullable=True,
        choices=ACTIVATIONS,
        help=kw.pop("help", "Applied to the output; null means linear (none)"),
        **kw,
    )


INITIALIZERS = Registry(
    "initializer",
    (
        ObjectSpec(name="GlorotUniform", module="initializers", ids=("glorot_uniform",),
                   args=(_seed(),), help="Uniform, scaled by fan in + fan out (Keras default)"),
        ObjectSpec(name="GlorotNormal", module="initializers", ids=("glorot_normal",),
                   args=(_seed(),), help="Truncated normal, scaled by fan in + fan out"),
        ObjectSpec(name="HeNormal", module="initializers", ids=("he_normal",),
                   args=(_seed(),), help="Truncated normal scaled by fan in; suits relu"),
        ObjectSpec(name="HeUniform", module="initializers", ids=("he_uniform",),
                   args=(_seed(),), help="Uniform scaled by fan in; suits relu"),
        ObjectSpec(name="LecunNormal", module="initializers", ids=("lecun_normal",),
                   args=(_seed(),), help="Truncated normal scaled by fan in; suits selu"),
        ObjectSpec(name="LecunUniform", module="initializers", ids=("lecun_uniform",),
                   args=(_seed(),), help="Uniform scaled by fan in"),
        ObjectSpec(name="Orthogonal", module="initializers", ids=("orthogonal",),
                   args=(Float(name="gain", default=1.0, help="Multiplier of the matrix"),
                         _seed()), help="Random orthogonal matrix (recurrent default)"),
        ObjectSpec(name="RandomNormal", module="initializers", ids=("random_normal", "normal"),
                   args=(Float(name="mean", default=0.0, help="Mean of the normal"),
                         Float(name="stddev", default=0.05, min=0, min_exclusive=True,
                               help="Standard deviation"), _seed()),
                   help="Normal distribution"),
        ObjectSpec(name="RandomUniform", module="initializers", ids=("random_uniform", "uniform"),
                   args=(Float(name="minval", default=-0.05, help="Lower bound"),
                         Float(name="maxval", default=0.05, help="Upper bound"), _seed()),
                   help="Uniform distribution"),
        ObjectSpec(name="TruncatedNormal", module="initializers", ids=("truncated_normal",),
                   args=(Float(name="mean", default=0.0, help="Mean of the normal"),
                         Float(name="stddev", default=0.05, min=0, min_exclusive=True,
                               help="Standard deviation"), _seed()),
                   help="Normal, redrawn beyond two standard deviations"),
        ObjectSpec(name="Zeros", module="initializers", ids=("zeros",), help="All zeros"),
        ObjectSpec(name="Ones", module="initializers", ids=("ones",), help="All ones"),
        ObjectSpec(name="Constant", module="initializers", ids=("constant",),
                   args=(Float(name="value", default=0.0, help="The value of every weight"),),
                   help="Every weight set to one value"),
    ),
)  # fmt: skip


def _factor(name: str, default: float) -> Float:
    return Float(name=name, default=default, min=0.0, help="Penalty factor")


REGULARIZERS = Registry(
    "regularizer",
    (
        ObjectSpec(name="L1", module="regularizers", ids=("l1",),
                   args=(_factor("l1", 0.01),),
                   help="Penalty l1 * sum(|w|)"),
        ObjectSpec(name="L2", module="regularizers", ids=("l2",),
                   args=(_factor("l2", 0.01),),
                   help="Penalty l2 * sum(w^2) (weight decay)"),
        ObjectSpec(name="L1L2", module="regularizers", ids=("l1_l2", "l1l2"),
                   args=(_factor("l1", 0.0),
                         _factor("l2", 0.0)),
                   help="Both penalties"),
    ),
)  # fmt: skip
