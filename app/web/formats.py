"""How the pages print numbers, shapes, times and scores: the Jinja2 filters, in one place."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

NONE = "\N{EN DASH}"  # a table cell with nothing to show


def fmt_int(n: int) -> str:
    """1438 -> "1,438"."""
    return f"{n:,}"


def fmt_number(x: float) -> str:
    """A value range's ends: whole numbers as they are, others to 4 significant digits."""
    return str(int(x)) if float(x).is_integer() else f"{x:.4g}"


def fmt_bytes(n: int) -> str:
    """2_147_483_648 -> "2.00 GB": 1 KB = 1024 bytes, as static/js/lib/format.js prints sizes."""
    for unit, power in (("GB", 3), ("MB", 2), ("KB", 1)):
        if n >= 1024**power:
            return f"{n / 1024**power:.2f} {unit}"
    return f"{n} B"


def fmt_shape(shape: Sequence[int | None] | None) -> str:
    """[12, 12, 1] -> "(12, 12, 1)", as Keras prints shapes (None for any size)."""
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _utc(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def fmt_when(when: datetime | None) -> str:
    """A moment in UTC to the second, the same for every reader: "2026-11-29 19:16:38 UTC"."""
    return "not yet" if when is None else f"{_utc(when).astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def fmt_minute(when: datetime | None) -> str:
    """A table's short form of fmt_when, to the minute in UTC: "2026-11-29 19:16"."""
    return "not yet" if when is None else f"{_utc(when).astimezone(UTC):%Y-%m-%d %H:%M}"


def fmt_duration(
    started: datetime | None, finished: datetime | None, now: datetime | None = None
) -> str:
    """How long a run took, or has taken so far: "1.8 s", "3 min 5 s", "5.0 s so far"."""
    if started is None:
        return NONE
    end = finished or now or datetime.now(UTC)
    s = max(0.0, (_utc(end) - _utc(started)).total_seconds())
    text = f"{s:.1f} s" if s < 90 else f"{int(s // 60)} min {round(s % 60)} s"
    return text if finished else f"{text} so far"


def best_validation(history: Iterable[Mapping[str, Any]]) -> str:
    """The best validation score in a history: max val_accuracy, else min val_loss."""
    rows = list(history)
    for key, better in (("val_accuracy", max), ("val_loss", min)):
        scored = [row for row in rows if isinstance(row.get(key), int | float)]
        if scored:
            best = better(scored, key=lambda row: row[key])
            return f"{key} {best[key]:.4f} (epoch {best['epoch']})"
    return NONE


def classes_text(names: Sequence[str], shown: int = 5) -> str:
    """["bar", "dot", "ring"] -> "3: bar, dot, ring"; long lists end with an ellipsis."""
    more = ", …" if len(names) > shown else ""
    return f"{len(names)}: {', '.join(names[:shown])}{more}"


def notes_text(notes: Mapping[str, Any] | None) -> str:
    """Free-form notes (what the import decided) as "key: value; key: value"."""
    if not notes:
        return "none"

    def text(value: Any) -> str:
        return (
            json.dumps(value, separators=(",", ":"))
            if isinstance(value, list | dict)
            else str(value)
        )

    return "; ".join(f"{key.replace('_', ' ')}: {text(value)}" for key, value in notes.items())


FILTERS = {
    "thousands": fmt_int,
    "bytes": fmt_bytes,
    "number": fmt_number,
    "shape": fmt_shape,
    "when": fmt_when,
    "minute": fmt_minute,
    "best_validation": best_validation,
    "classes": classes_text,
    "notes": notes_text,
}
