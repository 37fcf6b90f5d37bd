"""What a stack that does not build can still show: the summary rows of the layers before its
first fault, and which layer that is. The builder keeps those shapes and parameter counts on
screen while the learner fixes the layer marked in red, instead of losing every row."""

from __future__ import annotations

from typing import Any

from app.catalog import Invalid
from app.stacks.stack import check_stack
from app.stacks.summary import summarize


def fault_index(error: Invalid) -> int | None:
    """The first layer a problem names (`["layers", 3, ...]`), or None (input shape, compile)."""
    found = [
        p.loc[1]
        for p in error.problems
        if len(p.loc) >= 2 and p.loc[0] == "layers" and isinstance(p.loc[1], int)
    ]
    return min(found) if found else None


def partial_summary(data: dict[str, Any], error: Invalid, max_layers: int) -> dict[str, Any]:
    """The summary of the layers before the fault (all of them when only the compile settings
    or the parameter cap are at fault), with `fault_index` saying where it stops."""
    given = data.get("layers")
    layers: list[Any] = given if isinstance(given, list) else []
    at = fault_index(error)
    too_big = any(p.type == "model_too_large" for p in error.problems)
    end = len(layers) if at is None or too_big else at
    # The compile settings do not change shapes: left out, a problem there hides no rows.
    prefix = {**data, "layers": layers[:end], "compile": None}
    rows: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    if end > 0:
        try:
            summary = summarize(check_stack(prefix, max_layers)).as_json()
            rows = summary["layers"]
        except Invalid:
            pass  # the input shape itself is at fault: nothing can be computed
    summary = summary or {
        "input_shape": None, "output_shape": None, "built": False, "total_params": 0,
        "trainable_params": 0, "non_trainable_params": 0, "size_bytes": 0,
    }  # fmt: skip
    return {
        **summary,
        "layers": rows,
        "warnings": [],
        "fault_index": at,
        "complete": len(rows) == len(layers),
    }
