"""Checking a sweep before anything is saved: every path names a setting the base run has,
every value is one that setting takes, the number of runs is within MAX_SWEEP_RUNS, and
(app/sweeps/service.py) each combination passes POST /api/runs's own checks.

Each problem's `loc` is ["body", "grid", "<path>"(, value index)] and its message starts with
grid["<path>"], says what was received and how to fix it.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from app.catalog import LAYER_TYPES, Invalid, LayerType, Problem
from app.catalog.compile import COMPILE_FIELDS, check_compile
from app.catalog.problems import did_you_mean, received
from app.models import FitSettings
from app.sweeps.grid import (
    COMPILE,
    FIT,
    PathError,
    SettingPath,
    apply,
    count,
    default_compile,
    parse_path,
)

Grid = dict[SettingPath, list[Any]]
# Fit settings that are objects of their own, whose fields a path may name (fit.x.y).
FIT_OBJECTS = ("early_stopping", "reduce_lr_on_plateau", "resources")
MAX_VALUES = 1000  # per setting: with trials, the grid may be far larger than the runs
SHOWN_FAILURES = 5  # combinations named in a refusal; the rest are counted


def _at(path: str) -> str:
    return f"grid[{json.dumps(path)}]"


def check_grid(grid: dict[str, Any], stack: dict[str, Any], fit: dict[str, Any]) -> Grid:
    """Parsed paths with their values, or Invalid listing every problem found."""
    problems: list[Problem] = []
    parsed: Grid = {}
    for raw, values in grid.items():
        try:
            path = parse_path(raw)
            _check_values_list(raw, values)
            _check_target(path, stack)
        except PathError as error:
            problems.append(Problem(("grid", raw), f"{_at(raw)}: {error}", "sweep_path", raw))
            continue
        found = [p for k, v in enumerate(values) if (p := _check_value(path, k, v, stack, fit))]
        problems += found
        parsed[path] = values
    if problems:
        raise Invalid(problems)
    return parsed


def _check_values_list(raw: str, values: Any) -> None:
    if not isinstance(values, list) or not values:
        raise PathError(
            f"expected a non-empty list of the values to try, e.g. [0.01, 0.001]. "
            f"{received('value', values)}."
        )
    if len(values) > MAX_VALUES:
        raise PathError(
            f"{len(values)} values listed; a setting takes at most {MAX_VALUES} in one sweep. "
            "List fewer (with trials, a sample of them is trained anyway)."
        )
    seen: dict[str, int] = {}
    for k, value in enumerate(values):
        key = json.dumps(value, sort_keys=True)
        if key in seen:
            raise PathError(
                f"value {k} ({key}) repeats value {seen[key]}: each would train the same run "
                f"twice. List each value once (vary fit.seed to repeat a run)."
            )
        seen[key] = k


def _layer_type(stack: dict[str, Any], path: SettingPath) -> LayerType:
    layers = stack.get("layers")
    if not isinstance(layers, list) or not layers:
        raise PathError("the base stack has no layers to change.")
    assert path.index is not None
    if path.index >= len(layers):
        raise PathError(
            f"the stack has {len(layers)} layers (layers[0] to layers[{len(layers) - 1}]); "
            f"received index {path.index}. Use an index from 0 to {len(layers) - 1}."
        )
    raw = layers[path.index]
    name = raw.get("type") if isinstance(raw, dict) else None
    kind = None
    if isinstance(name, str):
        kind = LAYER_TYPES.get(name) or LAYER_TYPES.get(name.rsplit(".", 1)[-1])
    if kind is None:
        raise PathError(f"layers[{path.index}] of the base stack has no known type ({raw!r}).")
    return kind


def _check_target(path: SettingPath, stack: dict[str, Any]) -> None:
    """The setting a path names exists in the base run."""
    if path.section == FIT:
        _check_fit_target(path)
    elif path.section == COMPILE:
        _check_compile_target(path, stack)
    else:
        kind, arg = _layer_type(stack, path), path.keys[0]
        if kind.arg(arg) is None:
            names = [a.name for a in kind.args]
            raise PathError(
                f"layers[{path.index}] is a {kind.name}, which has no argument `{arg}`."
                f"{did_you_mean(arg, names)} Its arguments: {', '.join(names) or 'none'}."
            )


def _check_fit_target(path: SettingPath) -> None:
    field, *sub = path.keys
    fields = list(FitSettings.model_fields)
    if field not in fields:
        raise PathError(
            f"fit has no setting `{field}`.{did_you_mean(field, fields)} Its settings: "
            f"{', '.join(fields)}."
        )
    if sub and field not in FIT_OBJECTS:
        raise PathError(f'fit.{field} is a single value: use "fit.{field}" as the path.')
    if sub:
        annotation = FitSettings.model_fields[field].annotation
        model = next(a for a in getattr(annotation, "__args__", ()) if a is not type(None))
        names = list(model.model_fields)
        if sub[0] not in names:
            raise PathError(
                f"fit.{field} has no setting `{sub[0]}`.{did_you_mean(sub[0], names)} "
                f"Its settings: {', '.join(names)}."
            )


def _check_compile_target(path: SettingPath, stack: dict[str, Any]) -> None:
    field, *argument = path.keys
    fields = list(COMPILE_FIELDS)
    if field not in fields:
        raise PathError(
            f"compile has no field `{field}`.{did_you_mean(field, fields)} It takes "
            f"{', '.join(fields)}."
        )
    if not argument:
        return
    if field == "metrics":
        raise PathError('vary the whole list of metrics: use "compile.metrics" as the path.')
    registry = COMPILE_FIELDS[field][0]
    compile_ = stack.get("compile") if isinstance(stack.get("compile"), dict) else {}
    current = (compile_ or {}).get(field) or default_compile(field)
    name = current.get("name") if isinstance(current, dict) else current
    spec = registry.find(name) if isinstance(name, str) else None
    if spec is None:
        raise PathError(
            f"the base run sets no {registry.kind} whose arguments could be varied "
            f"({received(field, current)}). Set compile.{field} in the base first."
        )
    if spec.arg(argument[0]) is None:
        names = [a.name for a in spec.args]
        raise PathError(
            f"the {registry.kind} {spec.name} has no argument `{argument[0]}`."
            f"{did_you_mean(argument[0], names)} Its arguments: {', '.join(names)}."
        )


def _check_value(
    path: SettingPath, k: int, value: Any, stack: dict[str, Any], fit: dict[str, Any]
) -> Problem | None:
    """The value as its setting checks it, alone in the base run; a Problem if refused."""
    message = None
    if path.section == FIT:
        try:
            FitSettings.model_validate(apply(stack, fit, {path: value})[1])
        except ValidationError as error:
            message = f"{error.errors()[0]['msg']}. {received(path.raw, value)}."
    elif path.section == COMPILE:
        try:
            check_compile(apply(stack, fit, {path: value})[0].get("compile"))
        except Invalid as error:
            message = error.problems[0].msg
    else:
        arg = _layer_type(stack, path).arg(path.keys[0])
        assert arg is not None
        try:
            arg.check(value)
        except Exception as error:  # ArgError, or a value of a type the check did not expect
            message = str(error)
    if message is None:
        return None
    text = f"{_at(path.raw)}[{k}]: {message} Change or remove this value."
    return Problem(("grid", path.raw, k), text, "sweep_value", value)


def check_size(grid: Grid, trials: int | None, most: int) -> int:
    """How many runs the sweep makes; Invalid past MAX_SWEEP_RUNS or the grid's size."""
    total = count({p.raw: v for p, v in grid.items()})
    sizes = " x ".join(str(len(v)) for v in grid.values())
    sizes = f"{sizes} = {total}" if len(grid) > 1 else str(total)
    if trials is not None and trials > total:
        raise Invalid([Problem(
            ("trials",), f"trials: {trials} asked for, but the grid has only {total} "
            f"combinations. Ask for {total} or fewer, or leave trials out to train "
            "every combination.", "sweep_trials", trials,
        )])  # fmt: skip
    runs = total if trials is None else trials
    if runs > most:
        raise Invalid([Problem(
            ("trials",) if trials is not None else ("grid",),
            f"The sweep would train {runs} runs (the grid has {sizes} combinations"
            f"{f', trials {trials}' if trials is not None else ''}); this server trains at most "
            f"{most} runs per sweep (MAX_SWEEP_RUNS). Remove values from the grid, or sample "
            f'some with "trials": {most} or fewer.', "sweep_too_many", runs,
        )])  # fmt: skip
    return runs


def combination_problems(
    failures: list[tuple[int, dict[str, Any], Invalid]], total: int, base: Invalid | None
) -> Invalid:
    """Combinations POST /api/runs would refuse, named with their settings. When every one
    fails as the base run alone (`base`: its refusal, if any) does, the base is at fault, and
    the problem points there."""
    messages = {tuple(p.msg for p in error.problems) for _, _, error in failures}
    alone = tuple(p.msg for p in base.problems) if base is not None else None
    if len(failures) == total and messages == {alone}:
        assert base is not None
        return Invalid([
            Problem(("base", *p.loc), f"The base run is refused in every combination: {p.msg}",
                    p.type, p.input, p.fix)
            for p in base.problems
        ])  # fmt: skip
    problems = []
    for number, combo, error in failures[:SHOWN_FAILURES]:
        settings = ", ".join(f"{path}={json.dumps(v)}" for path, v in combo.items())
        reasons = " ".join(p.msg for p in error.problems)
        problems.append(Problem(
            ("grid",), f"Combination {number + 1} of {total} ({settings}) would be refused by "
            f"POST /api/runs: {reasons} Remove the value that causes it from the grid, or "
            "change the base.", "sweep_combination", combo,
        ))  # fmt: skip
    if len(failures) > SHOWN_FAILURES:
        more = len(failures) - SHOWN_FAILURES
        problems.append(Problem(
            ("grid",), f"...and {more} more of the {total} combinations are refused "
            "likewise. Nothing was saved.", "sweep_combination",
        ))  # fmt: skip
    return Invalid(problems)
