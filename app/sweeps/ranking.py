"""Ranking a sweep's runs by their best validation value: which metric (the first any run
logged of val_accuracy, val_loss, accuracy, loss), whether higher is better, and each run's
best value and epoch, read in one query for all the runs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.models import RunMetric

PREFERRED = ("val_accuracy", "val_loss", "accuracy", "loss")


@dataclass(frozen=True)
class Best:
    value: float
    epoch: int


def higher_is_better(metric: str | None) -> bool:
    return metric is not None and not metric.endswith(("loss", "error"))


def pick_metric(session: Session, run_ids: list[int]) -> str | None:
    if not run_ids:
        return None
    query = select(RunMetric.key).where(
        col(RunMetric.run_id).in_(run_ids), col(RunMetric.key).in_(PREFERRED)
    )
    logged = set(session.exec(query.distinct()).all())
    return next((key for key in PREFERRED if key in logged), None)


def best_values(session: Session, run_ids: list[int], metric: str | None) -> dict[int, Best]:
    """Each run's best value of `metric` and its epoch (the first epoch, on a tie)."""
    if metric is None or not run_ids:
        return {}
    higher = higher_is_better(metric)
    query = select(RunMetric.run_id, RunMetric.step, RunMetric.value).where(
        col(RunMetric.run_id).in_(run_ids), RunMetric.key == metric
    )
    found: dict[int, Best] = {}
    for run_id, step, value in session.exec(query.order_by(col(RunMetric.step))):
        best = found.get(run_id)
        if best is None or (value > best.value if higher else value < best.value):
            found[run_id] = Best(value, step)
    return found


def ranks(best: dict[int, Best], higher: bool) -> dict[int, int]:
    """1 for the best run; runs without a value have no rank."""
    ordered = sorted(
        best, key=lambda run_id: (-best[run_id].value if higher else best[run_id].value, run_id)
    )
    return {run_id: place for place, run_id in enumerate(ordered, start=1)}
