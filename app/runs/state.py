"""A run's state in the DB, changed only through these functions, each one short transaction.

Workers (in other processes) and the web process share them; every change bumps
`Run.version`, which is how watchers of the event stream learn that there is news.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, true, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from app.models import RESUMABLE, Run, RunMetric, RunStatus, RunWeights, utcnow
from app.models.common import as_utc

QUEUE_LOOKAHEAD = 1000  # queued runs looked at per claim, oldest first
NEVER = datetime.min.replace(tzinfo=UTC)


def _update(engine: Engine, run_id: int, where: Any = None, **values: Any) -> bool:
    """Apply `values` (and bump the version) if `where` holds; True if the row changed."""
    statement = update(Run).where(col(Run.id) == run_id)
    if where is not None:
        statement = statement.where(where)
    statement = statement.values(version=col(Run.version) + 1, **values)
    with Session(engine) as session:
        changed = session.execute(statement).rowcount  # type: ignore[attr-defined]
        session.commit()
    return bool(changed)


def claim_next(engine: Engine, worker: str, skip: Collection[int] = ()) -> int | None:
    """The next queued run, now `running` on this worker; None when nothing is queued that
    this worker may take (also while other workers claim at the same moment).

    Fair between users: each user's oldest queued run is a candidate, and the user with the
    fewest runs training, then the one whose last run started longest ago, goes first; so
    one user's 50 queued runs do not starve another's one. Runs in `skip` are passed over
    (the Ray dispatcher's: no room for them, or no node could ever take them).
    """
    while True:
        owners = _owners_in_turn(engine, skip)
        if not owners:
            return None
        for owner in owners:
            if (run_id := _claim_oldest(engine, owner, worker, skip)) is not None:
                return run_id
        # Every candidate went to another worker between the look and the claim: look again
        # (each lost claim is another worker's win, so this ends).


def _owners_in_turn(engine: Engine, skip: Collection[int]) -> list[int | None]:
    """The owners of queued runs (not in `skip`), whose turn it is first."""
    waiting = col(Run.id).not_in(skip) if skip else true()
    with Session(engine) as session:
        queued = session.exec(
            select(Run.id, Run.owner_id)
            .where(Run.status == RunStatus.QUEUED, waiting)
            .order_by(col(Run.id))
            .limit(QUEUE_LOOKAHEAD)
        ).all()
        owners = {owner for _, owner in queued}
        of_owners = col(Run.owner_id).in_(owners)
        training = dict(
            session.exec(
                select(Run.owner_id, func.count())
                .where(Run.status == RunStatus.RUNNING, of_owners)
                .group_by(col(Run.owner_id))
            ).all()
        )
        last_start = dict(
            session.exec(
                select(Run.owner_id, func.max(Run.started_at))
                .where(of_owners)
                .group_by(col(Run.owner_id))
            ).all()
        )
    oldest: dict[int | None, int] = {}
    for run_id, owner in queued:
        oldest.setdefault(owner, run_id)  # type: ignore[arg-type]

    def turn(owner: int | None) -> tuple[int, datetime, int]:
        started = last_start.get(owner)
        return training.get(owner, 0), as_utc(started) if started else NEVER, oldest[owner]

    return sorted(oldest, key=turn)


def _claim_oldest(
    engine: Engine, owner: int | None, worker: str, skip: Collection[int]
) -> int | None:
    """Claim `owner`'s oldest queued run in one statement; None if it has none left.

    One UPDATE whose WHERE picks the run: SQLite runs it under its one write lock, so the
    pick cannot go stale; PostgreSQL locks the picked row (FOR UPDATE) and passes over rows
    another worker is claiming right now (SKIP LOCKED) instead of waiting for them and
    then finding them taken. SQLite compiles FOR UPDATE to nothing.
    """
    owned = col(Run.owner_id).is_(None) if owner is None else col(Run.owner_id) == owner
    waiting = col(Run.id).not_in(skip) if skip else true()
    oldest = (
        select(Run.id)
        .where(Run.status == RunStatus.QUEUED, owned, waiting)
        .order_by(col(Run.id))
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        update(Run)
        .where(col(Run.id) == oldest, col(Run.status) == RunStatus.QUEUED)
        .values(
            status=RunStatus.RUNNING,
            worker=worker,
            started_at=utcnow(),
            cancel_requested=False,
            version=col(Run.version) + 1,
        )
        .returning(col(Run.id))
    )
    with Session(engine) as session:
        run_id = session.execute(statement).scalar_one_or_none()
        session.commit()
    return run_id


def set_progress(engine: Engine, run_id: int, progress: dict[str, Any]) -> None:
    _update(engine, run_id, col(Run.status) == RunStatus.RUNNING, progress=progress)


def record_epoch(
    engine: Engine,
    run_id: int,
    epoch: int,
    logs: dict[str, float],
    attempt: int | None = None,
    weights: dict[str, Any] | None = None,
) -> bool:
    """Commit one finished epoch's logs (1-based epoch), all keys in one transaction, with
    its weight histograms when given; only the next epoch of a running run (of attempt
    `attempt`, when given) counts: False, and nothing recorded, for a run that ended, was
    deleted, or has this epoch already."""
    now = utcnow()
    where = [col(Run.status) == RunStatus.RUNNING, col(Run.epochs_done) == epoch - 1]
    if attempt is not None:
        where.append(col(Run.attempt) == attempt)
    with Session(engine) as session:
        changed = session.execute(
            update(Run)
            .where(col(Run.id) == run_id, *where)
            .values(epochs_done=epoch, version=col(Run.version) + 1)
        ).rowcount  # type: ignore[attr-defined]
        if not changed:
            session.rollback()
            return False
        session.add_all(
            RunMetric(run_id=run_id, key=key, step=epoch, value=value, recorded_at=now)
            for key, value in logs.items()
            if math.isfinite(value)
        )
        if weights is not None:
            session.add(RunWeights(run_id=run_id, epoch=epoch, histograms=weights))
        session.commit()
    return True


def rewind(engine: Engine, run_id: int, epoch: int) -> None:
    """Back to the state after `epoch` epochs (the last one with a checkpoint): later epochs'
    rows go, in one transaction with `epochs_done`."""
    with Session(engine) as session:
        later = select(RunMetric).where(RunMetric.run_id == run_id, RunMetric.step > epoch)
        for row in session.exec(later):
            session.delete(row)
        weights = col(RunWeights.run_id) == run_id, col(RunWeights.epoch) > epoch
        session.execute(delete(RunWeights).where(*weights))
        session.execute(
            update(Run)
            .where(col(Run.id) == run_id, col(Run.epochs_done) > epoch)
            .values(epochs_done=epoch, version=col(Run.version) + 1)
        )
        session.commit()


def finish(engine: Engine, run_id: int, status: RunStatus, **values: Any) -> None:
    _update(engine, run_id, None, status=status, finished_at=utcnow(), progress={}, **values)


def request_cancel(engine: Engine, run_id: int) -> RunStatus:
    """Cancel a queued run at once, or ask its worker to stop; the status it now has."""
    queued = col(Run.status) == RunStatus.QUEUED
    if _update(engine, run_id, queued, status=RunStatus.CANCELLED, finished_at=utcnow()):
        return RunStatus.CANCELLED
    _update(engine, run_id, col(Run.status) == RunStatus.RUNNING, cancel_requested=True)
    return RunStatus.RUNNING


def cancel_requested(engine: Engine, run_id: int) -> bool:
    with Session(engine) as session:
        run = session.get(Run, run_id)
        return bool(run and run.cancel_requested)


def requeue(engine: Engine, run_id: int) -> bool:
    """Resume: back to the queue from its last completed epoch (later rows are dropped)."""
    with Session(engine) as session:
        run = session.get(Run, run_id)
        if run is None:
            return False
        stale = select(RunMetric).where(
            RunMetric.run_id == run_id, RunMetric.step > run.epochs_done
        )
        for row in session.exec(stale):
            session.delete(row)
        session.commit()
    return _update(
        engine,
        run_id,
        col(Run.status).in_(RESUMABLE),
        status=RunStatus.QUEUED,
        error=None,
        finished_at=None,
        cancel_requested=False,
        worker=None,
    )


def fail_worker_runs(engine: Engine, worker: str, message: str) -> list[int]:
    """A worker died: its running run failed with `message`."""
    with Session(engine) as session:
        ids = session.exec(
            select(Run.id).where(Run.worker == worker, Run.status == RunStatus.RUNNING)
        ).all()
    for run_id in ids:
        assert run_id is not None
        finish(engine, run_id, RunStatus.FAILED, error=message)
    return [i for i in ids if i is not None]


def interrupt_running(engine: Engine, spare: str | None = None) -> list[int]:
    """At start-up (after a crash) or shutdown: runs left `running` become `interrupted`.
    Runs whose worker name starts with `spare` are left alone: with EXECUTOR=ray, a
    dispatcher's runs may belong to another live process, and the dispatcher that takes the
    lease over from a dead one interrupts that one's runs itself."""
    running = select(Run.id).where(Run.status == RunStatus.RUNNING)
    if spare is not None:
        running = running.where(col(Run.worker).is_(None) | col(Run.worker).not_like(f"{spare}%"))
    with Session(engine) as session:
        ids = [i for i in session.exec(running).all() if i is not None]
    why = "The server stopped during training; resume to continue from the last completed epoch."
    interrupt(engine, ids, why)
    return ids


def interrupt(engine: Engine, run_ids: list[int], why: str) -> None:
    """These runs, if still `running`, become `interrupted` (resumable), saying `why`."""
    for run_id in run_ids:
        _update(
            engine,
            run_id,
            col(Run.status) == RunStatus.RUNNING,
            status=RunStatus.INTERRUPTED,
            finished_at=utcnow(),
            progress={},
            error=why,
        )


def histories(
    session: Session, run_ids: list[int], after: int = 0
) -> dict[int, list[dict[str, Any]]]:
    """Each run's rows as Keras's History, one dict per epoch (1-based), in one query; only
    the epochs after `after`."""
    rows = session.exec(
        select(RunMetric)
        .where(col(RunMetric.run_id).in_(run_ids), col(RunMetric.step) > after)
        .order_by(col(RunMetric.run_id), col(RunMetric.step))
    ).all()
    epochs: dict[int, dict[int, dict[str, Any]]] = {run_id: {} for run_id in run_ids}
    for row in rows:
        epochs[row.run_id].setdefault(row.step, {"epoch": row.step})[row.key] = row.value
    return {run_id: [steps[s] for s in sorted(steps)] for run_id, steps in epochs.items()}


def history(session: Session, run_id: int, after: int = 0) -> list[dict[str, Any]]:
    """One run's rows as Keras's History (metric names as Keras logs them), after epoch
    `after`."""
    return histories(session, [run_id], after)[run_id]
