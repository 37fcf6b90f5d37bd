"""A run's attempts on a cluster, in the DB: why a queued run waits, which attempt trains it
on which node, and what becomes of a dispatcher's runs when it goes. Each a short
transaction that bumps `Run.version`, as app/runs/state.py does, so watchers hear of it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.models import Run, RunStatus
from app.runs import state


def _set(engine: Engine, run_id: int, where: Any, **values: Any) -> bool:
    statement = (
        update(Run)
        .where(col(Run.id) == run_id, where)
        .values(version=col(Run.version) + 1, **values)
    )
    with Session(engine) as session:
        changed = session.execute(statement).rowcount  # type: ignore[attr-defined]
        session.commit()
    return bool(changed)


def set_waiting(engine: Engine, run_id: int, reason: str | None) -> None:
    """What a queued run waits for (None: nothing, it is next)."""
    _set(engine, run_id, col(Run.status) == RunStatus.QUEUED, waiting_for=reason)


def begin(engine: Engine, run_id: int, attempt: int, worker: str) -> bool:
    """Attempt `attempt` was submitted by dispatcher `worker` (the run is `running`)."""
    running = col(Run.status) == RunStatus.RUNNING
    return _set(engine, run_id, running, attempt=attempt, worker=worker, node=None, progress={})


def placed(engine: Engine, run_id: int, attempt: int, node: str) -> None:
    """The attempt started on `node`; a late word from an older attempt changes nothing."""
    _set(engine, run_id, col(Run.attempt) == attempt, node=node[:200])


def of_worker(engine: Engine, worker: str) -> list[int]:
    with Session(engine) as session:
        ids = session.exec(
            select(Run.id).where(Run.worker == worker, Run.status == RunStatus.RUNNING)
        ).all()
    return [i for i in ids if i is not None]


def interrupt_worker_runs(engine: Engine, worker: str, why: str) -> list[int]:
    """A worker or dispatcher stopped or died: its running runs become `interrupted`
    (resumable)."""
    ids = of_worker(engine, worker)
    state.interrupt(engine, ids, why)
    return ids
