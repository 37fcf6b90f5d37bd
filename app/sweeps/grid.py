"""A sweep's grid: setting paths ("fit.batch_size", "compile.optimizer.learning_rate",
"layers[1].args.units"), the combinations of their values in a fixed order (the last path
varies fastest, as itertools.product does), a seeded sample of them, and a combination
applied to a run's stack and fit settings.

Nothing here knows about the database; app/sweeps/validation.py checks paths and values.
"""

from __future__ import annotations

import copy
import math
import random
import re
from dataclasses import dataclass
from typing import Any, Literal

from app.catalog import compile_defaults

Section = Literal["fit", "compile", "layer"]
FIT: Section = "fit"
COMPILE: Section = "compile"
LAYER: Section = "layer"

_LAYER = re.compile(r"^layers\[(\d{1,9})\]\.args\.([A-Za-z_]\w{0,63})$")
_DOTTED = re.compile(r"^(fit|compile)\.([A-Za-z_]\w{0,63})(?:\.([A-Za-z_]\w{0,63}))?$")
_LAYER_NO_ARGS = re.compile(r"^layers\[(\d{1,9})\]\.([A-Za-z_]\w{0,63})$")
SAMPLE_FROM_RANGE = 10**9  # grids up to this many points are sampled without repeats directly
EXAMPLES = (
    '"fit.<field>" (e.g. "fit.batch_size"), "compile.<field>[.<argument>]" (e.g. '
    '"compile.optimizer.learning_rate") or "layers[<i>].args.<argument>" (e.g. '
    '"layers[1].args.units")'
)


class PathError(ValueError):
    """A path that names no setting; the message says what would."""


@dataclass(frozen=True)
class SettingPath:
    raw: str
    section: Section
    keys: tuple[str, ...]  # fit: (field[, sub]); compile: (field[, argument]); layer: (arg,)
    index: int | None = None  # the layer's, for a layer path

    def __str__(self) -> str:
        return self.raw


def parse_path(raw: str) -> SettingPath:
    """'layers[1].args.units' -> SettingPath(LAYER, ("units",), 1); PathError otherwise."""
    if found := _LAYER.match(raw):
        return SettingPath(raw, LAYER, (found[2],), int(found[1]))
    if found := _DOTTED.match(raw):
        keys = tuple(k for k in found.groups()[1:] if k)
        return SettingPath(raw, FIT if found[1] == FIT else COMPILE, keys)
    if found := _LAYER_NO_ARGS.match(raw):
        raise PathError(
            f"a layer's settings are under `args`: use "
            f'"layers[{found[1]}].args.{found[2]}" instead of {raw!r}.'
        )
    raise PathError(f"{raw!r} names no setting. Use {EXAMPLES}.")


def count(grid: dict[str, list[Any]]) -> int:
    """How many combinations the grid has."""
    return math.prod(len(values) for values in grid.values())


def combination(grid: dict[str, list[Any]], number: int) -> dict[str, Any]:
    """The grid's combination `number` (0-based), as {path: value}."""
    out: dict[str, Any] = {}
    for path, values in reversed(grid.items()):
        number, at = divmod(number, len(values))
        out[path] = values[at]
    return dict(reversed(out.items()))


def choose(grid: dict[str, list[Any]], trials: int | None, seed: int) -> list[int]:
    """The combinations to train: every one, or a seeded sample of `trials` in grid order.

    Works on numbers, not lists of combinations, so a large grid is never spelled out."""
    total = count(grid)
    if trials is None or trials >= total:
        return list(range(total))
    rng = random.Random(seed)
    if total <= SAMPLE_FROM_RANGE:
        return sorted(rng.sample(range(total), trials))
    # random.sample needs len(range), which stops at sys.maxsize; a grid this large has far
    # more points than trials, so drawing until `trials` differ ends almost at once.
    chosen: set[int] = set()
    while len(chosen) < trials:
        chosen.add(rng.randrange(total))
    return sorted(chosen)


def apply(
    stack: dict[str, Any], fit: dict[str, Any], combo: dict[SettingPath, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """New (stack, fit) with the combination's values set; the inputs are not changed.

    An argument of an optimizer or loss given as a string id ("adam") turns it into its
    object form ({"name": "adam", "learning_rate": ...}), as Keras's own config does."""
    stack, fit = copy.deepcopy(stack), copy.deepcopy(fit)
    for path, value in combo.items():
        if path.section == FIT:
            _set(fit, path.keys, value)
        elif path.section == COMPILE:
            compile_ = stack.setdefault("compile", {}) or {}
            stack["compile"] = compile_
            field, *argument = path.keys
            if argument:
                current = compile_.get(field) or default_compile(field)
                current = {"name": current} if isinstance(current, str) else dict(current)
                compile_[field] = {**current, argument[0]: value}
            else:
                compile_[field] = value
        else:
            assert path.index is not None
            layer = stack["layers"][path.index]
            layer["args"] = {**(layer.get("args") or {}), path.keys[0]: value}
    return stack, fit


def _set(target: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    """target[k1][k2] = value, making the objects on the way (fit.early_stopping.patience
    with no early_stopping yet starts one with Keras's defaults)."""
    for key in keys[:-1]:
        child = target.get(key)
        if not isinstance(child, dict):
            child = target[key] = {}
        target = child
    target[keys[-1]] = value


def default_compile(field: str) -> Any:
    """What a compile field is when the stack leaves it out (Keras's defaults)."""
    return compile_defaults().get(field)
