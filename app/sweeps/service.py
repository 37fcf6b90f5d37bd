"""Sweeps as the API and the pages use them: create (all runs or none), list, read ranked,
cancel, delete. A sweep's runs are ordinary runs with the combination applied to their
frozen snapshot (app/sweeps/grid.py `apply`), so the executor queues and trains them as any
other, side by side where it has room.

Why a snapshot per run and not a hidden architecture per combination: a run already trains
its own frozen copy of the stack (Run.stack), never the saved architecture, so the
combination only has to be applied before the copy is checked and frozen. Nothing new
reaches the worker, nothing hidden is added to the user's architectures, and the run still
points at the architecture it came from; `Run.sweep_params` records the combination.
"""

from __future__ import annotations

import random
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, func, select

from app.accounts import quotas
from app.accounts.ownership import can_see, visible
from app.catalog import Invalid, Problem
from app.config import Settings
from app.datasets.service import get_dataset
from app.errors import Conflict, NotFound, TooManyTries
from app.executors import Executor
from app.models import (
    ACTIVE,
    FitSettings,
    Run,
    RunStatus,
    Sweep,
    SweepCreate,
    SweepDetailPublic,
    SweepPublic,
    SweepRunPublic,
    SweepsPublic,
    User,
)
from app.paths import DataPaths
from app.predictions.service import Predictions
from app.runs import service as runs
from app.runs import state
from app.runs.service import INLINE, QUEUE_RETRY_AFTER_S
from app.sweeps import grid as grids
from app.sweeps import ranking, validation


def get_sweep(session: Session, user: User, sweep_id: int) -> Sweep:
    sweep = session.get(Sweep, sweep_id)
    if sweep is None or not can_see(sweep, user):
        raise NotFound(f"No sweep with id {sweep_id}.")
    return sweep


def create_sweep(
    session: Session, settings: Settings, executor: Executor, user: User, body: SweepCreate
) -> SweepDetailPublic:
    """Check every path, value and combination, then save the sweep and all its runs in one
    commit and queue them; on any refusal nothing is saved."""
    stack, architecture_id = runs.resolve_stack(session, user, body.base)
    get_dataset(session, user, body.base.dataset_id)  # 404 before the grid is looked at
    fit = body.base.fit.model_dump()
    parsed = validation.check_grid(body.grid, stack, fit)
    validation.check_size(parsed, body.trials, settings.max_sweep_runs)
    if fit["seed"] is None and "fit.seed" not in body.grid:
        fit["seed"] = random.randrange(2**31)  # one seed for the whole sweep, as for one run
    seed = body.seed if body.seed is not None else random.randrange(2**31)
    planned = _plan(session, settings, user, body, parsed, (stack, architecture_id), fit, seed)
    _check_room(session, settings, user, len(planned))
    name = body.name or f"Sweep of {stack.get('name') or INLINE}"[:200]
    base = {**body.base.model_dump(mode="json"), "fit": fit}
    sweep = Sweep(owner_id=user.id, name=name, base=base, grid=body.grid, trials=body.trials,
                  seed=seed if body.trials is not None else None)  # fmt: skip
    session.add(sweep)
    session.flush()
    for run in planned:
        run.sweep_id = sweep.id
        session.add(run)
    session.commit()
    try:  # again, counting them: two requests at once may both have passed the first check
        _check_room(session, settings, user, len(planned), saved=True)
    except (Conflict, TooManyTries):
        for run in planned:
            session.delete(run)
        session.delete(sweep)
        session.commit()
        raise
    assert sweep.id is not None
    answer = read_sweep(session, user, sweep.id)
    for run in planned:
        assert run.id is not None
        executor.submit(run.id)
    return answer


def _plan(
    session: Session,
    settings: Settings,
    user: User,
    body: SweepCreate,
    parsed: validation.Grid,
    stack: tuple[dict[str, Any], int | None],
    fit: dict[str, Any],
    seed: int,
) -> list[Run]:
    """One unsaved run per chosen combination, each checked as POST /api/runs checks a run;
    Invalid naming the combinations refused."""
    values = {path.raw: v for path, v in parsed.items()}
    chosen = grids.choose(values, body.trials, seed)
    planned, failures = [], []
    for place, number in enumerate(chosen):
        combo = grids.combination(values, number)
        new_stack, new_fit = grids.apply(stack[0], fit, {p: combo[p.raw] for p in parsed})
        try:
            run_body = body.base.model_copy(
                update={"fit": FitSettings.model_validate(new_fit), "compile": None}
            )
            run = runs.check_run(session, settings, user, run_body, (new_stack, stack[1]))
        except ValidationError as error:
            failures.append((place, combo, Invalid([_problem(error)])))
            continue
        except Invalid as error:
            failures.append((place, combo, error))
            continue
        run.sweep_params = combo
        planned.append(run)
    if failures:
        raise validation.combination_problems(
            failures, len(chosen), _refusal(session, settings, user, body, stack)
        )
    return planned


def _refusal(
    session: Session,
    settings: Settings,
    user: User,
    body: SweepCreate,
    stack: tuple[dict[str, Any], int | None],
) -> Invalid | None:
    """Why POST /api/runs would refuse the base run alone, if it would."""
    try:
        runs.check_run(session, settings, user, body.base, stack)
    except Invalid as error:
        return error
    return None


def _problem(error: ValidationError) -> Problem:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return Problem(("fit", *first["loc"]), f"fit.{where}: {first['msg']}.", "sweep_fit")


def _check_room(
    session: Session, settings: Settings, user: User, new: int, saved: bool = False
) -> None:
    """Each run counts: the user's quota of active runs (AUTH=accounts), their storage, and
    the server's queue (MAX_QUEUED_RUNS). `saved`: the `new` runs are saved and counted."""
    already = new if saved else 0
    if settings.accounts:
        used = quotas.usage(session, user).active_runs - already
        limit = quotas.limits(settings, user).active_runs
        if used + new > limit:
            raise Conflict(
                f"This sweep would queue {new} runs and you have {used} queued or running; "
                f"your limit is {limit} (QUOTA_ACTIVE_RUNS or your own quota). Nothing was "
                f"saved: sample {max(limit - used, 0)} or fewer with trials, or wait for runs "
                "to finish, or cancel some."
            )
    if not saved:
        quotas.check_storage(session, settings, user)
    query = select(func.count()).select_from(Run).where(col(Run.status) == RunStatus.QUEUED)
    queued, most = int(session.exec(query).one()) - already, settings.max_queued_runs
    if queued + new > most:
        raise TooManyTries(
            f"This sweep would queue {new} runs and the server has {queued} waiting; its "
            f"limit is {most} (MAX_QUEUED_RUNS). Nothing was saved: try again once some have "
            "started (see Retry-After), or sample fewer with trials.",
            QUEUE_RETRY_AFTER_S,
        )


def _runs(session: Session, sweep_id: int) -> list[Run]:
    return list(session.exec(select(Run).where(Run.sweep_id == sweep_id).order_by(col(Run.id))))


def _summary(sweep: Sweep, rows: list[Run], metric: str | None, best: dict) -> dict[str, Any]:
    statuses: dict[str, int] = {}
    for run in rows:
        statuses[run.status] = statuses.get(run.status, 0) + 1
    higher = ranking.higher_is_better(metric)
    places = ranking.ranks(best, higher)
    top = min(places, key=places.__getitem__) if places else None
    return {
        **sweep.model_dump(),
        "run_count": len(rows),
        "statuses": statuses,
        "active": any(run.status in ACTIVE for run in rows),
        "metric": metric,
        "higher_is_better": higher,
        "best_run_id": top,
        "best": best[top].value if top is not None else None,
        "_places": places,
    }


def _detail(session: Session, sweep: Sweep) -> SweepDetailPublic:
    assert sweep.id is not None
    rows = _runs(session, sweep.id)
    ids = [run.id for run in rows if run.id is not None]
    metric = ranking.pick_metric(session, ids)
    best = ranking.best_values(session, ids, metric)
    summary = _summary(sweep, rows, metric, best)
    places = summary.pop("_places")
    members = [
        SweepRunPublic(
            id=run.id or 0,
            status=run.status,
            params=run.sweep_params or {},
            epochs_done=run.epochs_done,
            epochs=int(run.fit.get("epochs", 0)),
            best=best[run.id].value if run.id in best else None,
            best_epoch=best[run.id].epoch if run.id in best else None,
            rank=places.get(run.id or 0),
            test_metrics=run.test_metrics,
            error=run.error,
        )
        for run in rows
    ]
    members.sort(key=lambda r: (r.rank is None, r.rank or 0, r.id))
    return SweepDetailPublic(**summary, runs=members)


def read_sweep(session: Session, user: User, sweep_id: int) -> SweepDetailPublic:
    return _detail(session, get_sweep(session, user, sweep_id))


def list_sweeps(session: Session, user: User, *, offset: int = 0, limit: int = 100) -> SweepsPublic:
    """The user's sweeps (an admin: everyone's), newest first, each with its best run."""
    query = visible(select(Sweep), Sweep, user)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    sweeps = list(session.exec(query.order_by(col(Sweep.id).desc()).offset(offset).limit(limit)))
    data = []
    for sweep in sweeps:
        detail = _detail(session, sweep)
        data.append(SweepPublic(**detail.model_dump(exclude={"runs"})))
    return SweepsPublic(data=data, count=count)


def cancel_sweep(
    session: Session, executor: Executor, user: User, sweep_id: int
) -> tuple[SweepDetailPublic, list[int]]:
    """Cancel the sweep's queued runs at once and ask its running ones to stop; the sweep,
    and the ids of the runs cancelled."""
    sweep = get_sweep(session, user, sweep_id)
    going = [r for r in _runs(session, sweep_id) if r.status in ACTIVE and not r.cancel_requested]
    if not going:
        raise Conflict(f"Sweep {sweep_id} has no queued or running runs left to cancel.")
    ids = [run.id for run in going if run.id is not None]
    _stop(session, executor, ids)
    session.expire_all()
    return _detail(session, sweep), ids


def _stop(session: Session, executor: Executor, run_ids: list[int]) -> None:
    for run_id in run_ids:
        if state.request_cancel(session.get_bind(), run_id) is RunStatus.RUNNING:  # type: ignore[arg-type]
            executor.cancel(run_id)


async def delete_sweep(
    session: Session,
    paths: DataPaths,
    executor: Executor,
    predictions: Predictions,
    user: User,
    sweep_id: int,
) -> list[int]:
    """Stop the sweep's going runs (all at once), delete each run as DELETE /api/runs/{id}
    does, then the sweep; the ids of the runs deleted."""
    sweep = get_sweep(session, user, sweep_id)
    rows = _runs(session, sweep_id)
    ids = [run.id for run in rows if run.id is not None]
    _stop(session, executor, [run.id for run in rows if run.id and run.status in ACTIVE])
    for run_id in ids:
        try:
            await runs.delete_run(session, paths, executor, predictions, user, run_id)
        except NotFound:  # deleted on its own meanwhile
            continue
    session.delete(sweep)
    session.commit()
    return ids
