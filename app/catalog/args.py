"""Argument kinds: how one argument of a layer or compile object is checked and described.

Each kind checks a JSON value the way the Keras constructor would, but up front and with a
message that names the argument and says what was received (Keras's own style:
"Expected an integer >= 1 for `units`. Received: units=0").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from app.catalog.problems import did_you_mean, received


class ArgError(ValueError):
    """A value that does not fit; `loc` is the path below the argument (for nested objects)."""

    def __init__(self, message: str, loc: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc


MATRIX_ONLY = ("Orthogonal",)


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True, kw_only=True)
class Arg:
    """One constructor argument: name, default (or REQUIRED), a one-line help, and its checks."""

    name: str
    help: str
    default: Any = REQUIRED
    example: Any = None  # what a form pre-fills for a required argument
    nullable: bool = False
    kind: ClassVar[str] = "any"

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def check(self, value: Any) -> Any:
        """The normalized value, or ArgError with the received value in the message."""
        if value is None:
            if self.nullable:
                return None
            raise ArgError(f"`{self.name}` cannot be null. {self._expected()}")
        return self.check_value(value)

    def check_value(self, value: Any) -> Any:
        return value

    def _expected(self) -> str:
        return ""

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "help": self.help,
            "required": self.required,
            "nullable": self.nullable,
        }
        if not self.required:
            out["default"] = self.default
        if self.example is not None:
            out["example"] = self.example
        return out


@dataclass(frozen=True, kw_only=True)
class Int(Arg):
    min: int | None = None
    max: int | None = None
    kind: ClassVar[str] = "int"

    def _bounds(self) -> str:
        if self.min is not None and self.max is not None:
            return f" between {self.min} and {self.max}"
        if self.min is not None:
            return f" >= {self.min}"
        if self.max is not None:
            return f" <= {self.max}"
        return ""

    def check_value(self, value: Any) -> int:
        ok = _is_int(value)
        if ok:
            value = int(value)
            ok = (self.min is None or value >= self.min) and (self.max is None or value <= self.max)
        if not ok:
            raise ArgError(
                f"Expected an integer{self._bounds()} for `{self.name}`. "
                f"{received(self.name, value)}."
            )
        return int(value)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "min": self.min, "max": self.max}


@dataclass(frozen=True, kw_only=True)
class Float(Arg):
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    max_exclusive: bool = False
    kind: ClassVar[str] = "float"

    def _bounds(self) -> str:
        parts = []
        if self.min is not None:
            parts.append(f"{'>' if self.min_exclusive else '>='} {self.min}")
        if self.max is not None:
            parts.append(f"{'<' if self.max_exclusive else '<='} {self.max}")
        return (" " + " and ".join(parts)) if parts else ""

    def in_bounds(self, value: float) -> bool:
        if self.min is not None and (
            value < self.min or (self.min_exclusive and value == self.min)
        ):
            return False
        return not (
            self.max is not None
            and (value > self.max or (self.max_exclusive and value == self.max))
        )

    def check_value(self, value: Any) -> float:
        if not _is_number(value) or not self.in_bounds(value):
            raise ArgError(
                f"Expected a number{self._bounds()} for `{self.name}`. "
                f"{received(self.name, value)}."
            )
        return float(value)

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "min": self.min,
            "max": self.max,
            "min_exclusive": self.min_exclusive,
            "max_exclusive": self.max_exclusive,
        }


@dataclass(frozen=True, kw_only=True)
class Bool(Arg):
    kind: ClassVar[str] = "bool"

    def check_value(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ArgError(
                f"Expected true or false for `{self.name}`. {received(self.name, value)}."
            )
        return value


@dataclass(frozen=True, kw_only=True)
class Choice(Arg):
    choices: tuple[str, ...] = ()
    kind: ClassVar[str] = "choice"

    def check_value(self, value: Any) -> str:
        if value not in self.choices:
            options = ", ".join(repr(c) for c in self.choices)
            raise ArgError(
                f"Expected one of {options} for `{self.name}`. "
                f"{received(self.name, value)}.{did_you_mean(value, self.choices)}"
            )
        return str(value)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "choices": list(self.choices)}


@dataclass(frozen=True, kw_only=True)
class IntTuple(Arg):
    """An int, or a list of `rank` ints (Keras turns 3 into (3, 3) for a 2D layer)."""

    rank: int = 2
    min: int = 1
    kind: ClassVar[str] = "int_tuple"

    def check_value(self, value: Any) -> int | list[int]:
        items = value if isinstance(value, list) else [value]
        good = (len(items) == self.rank or not isinstance(value, list)) and all(
            _is_int(v) and int(v) >= self.min for v in items
        )
        if not good:
            raise ArgError(
                f"Expected an integer >= {self.min} or a list of {self.rank} such integers "
                f"for `{self.name}`. {received(self.name, value)}."
            )
        return [int(v) for v in items] if isinstance(value, list) else int(value)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "rank": self.rank, "min": self.min}


def expand(value: int | list[int] | None, rank: int) -> tuple[int, ...] | None:
    """Keras's own normalization of an IntTuple value."""
    if value is None:
        return None
    return tuple(value) if isinstance(value, list) else (value,) * rank


@dataclass(frozen=True, kw_only=True)
class Shape(Arg):
    """A list of positive dimensions; at most one may be -1 (inferred), as in Reshape."""

    kind: ClassVar[str] = "shape"

    def check_value(self, value: Any) -> list[int]:
        good = (
            isinstance(value, list)
            and len(value) >= 1
            and all(_is_int(v) and (int(v) >= 1 or int(v) == -1) for v in value)
            and sum(1 for v in value if v == -1) <= 1
        )
        if not good:
            raise ArgError(
                f"Expected a list of positive integers (at most one -1) for `{self.name}`, "
                f"such as [28, 28, 1]. {received(self.name, value)}."
            )
        return [int(v) for v in value]


@dataclass(frozen=True, kw_only=True)
class Factor(Arg):
    """A float f meaning the range [-f, f], or a [lower, upper] pair (Keras image augmentation)."""

    min: float = -1.0
    max: float = 1.0
    kind: ClassVar[str] = "factor"

    def check_value(self, value: Any) -> float | list[float]:
        items = value if isinstance(value, list) else [value]
        good = (
            (len(items) == 2 or not isinstance(value, list))
            and all(_is_number(v) and self.min <= v <= self.max for v in items)
            and (len(items) == 1 or items[0] <= items[1])
        )
        if not good:
            raise ArgError(
                f"Expected a number between {self.min} and {self.max}, or a [lower, upper] pair "
                f"of such numbers with lower <= upper, for `{self.name}`. "
                f"{received(self.name, value)}."
            )
        return [float(v) for v in items] if isinstance(value, list) else float(value)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "min": self.min, "max": self.max}


@dataclass(frozen=True, kw_only=True)
class ObjectArg(Arg):
    """A Keras object given as a string id or as {"name": ..., parameters}: initializers etc."""

    registry: Any = field(default=None)  # an app.catalog.objects.Registry
    # Initializers of a 1-D weight (biases, gamma, beta) cannot be matrix-only ones.
    vector: bool = False
    kind: ClassVar[str] = "object"

    def check_value(self, value: Any) -> Any:
        checked = self.registry.check(value, self.name)
        name = checked if isinstance(checked, str) else checked["name"]
        spec = self.registry.find(name)
        if self.vector and spec.name in MATRIX_ONLY:
            raise ArgError(
                f"{spec.name} needs a matrix, but `{self.name}` initializes a vector; use "
                f"'zeros', 'ones', or a random one. {received(self.name, value)}."
            )
        return checked

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "registry": self.registry.kind}
