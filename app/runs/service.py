"""Runs as the API and the pages use them: submit, read, list, cancel, resume, delete, and
their files. Every decision about a run is made here (what may be cancelled, what a delete
must stop first); the executor behind `Executor` only learns that there is work or a cancel.
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
import shutil
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from app.accounts import quotas
from app.accounts.ownership import can_see, visible
from app.architectures.service import get_architecture
from app.catalog.problems import invalid
from app.config import Settings
from app.datasets.service import get_dataset
from app.errors import Conflict, NotFound, TooManyTries
from app.executors import Executor
from app.interop.run_export import export_run
from app.models import (
    ACTIVE,
    AUTO_STEPS_PER_EXECUTION,
    FINISHED,
    RESUMABLE,
    Architecture,
    Dataset,
    Run,
    RunCreate,
    RunPublic,
    RunsPublic,
    RunStatus,
    User,
)
from app.paths import DataPaths
from app.predictions.service import Predictions
from app.runs import state
from app.runs.changes import automatic_changes
from app.runs.diagnosis import diagnose
from app.runs.plan import plan_run
from app.stacks.outputs import loss_name

INLINE = "inline"  # the snapshot's name for a stack sent with the run, not saved
STOP_WAIT_S = 10.0  # a running run stops within a compiled step; wait this long at most
QUEUE_RETRY_AFTER_S = 30  # a full queue drains as workers take runs: a hint, not a promise


def get_run(session: Session, user: User, run_id: int) -> Run:
    run = session.get(Run, run_id)
    if run is None or not can_see(run, user):
        raise NotFound(f"No run with id {run_id}.")
    return run


def _names(session: Session, runs: list[Run]) -> tuple[dict[int, str], dict[int, str]]:
    """Current names of the runs' saved architectures and datasets, one query each."""
    architecture_ids = {r.architecture_id for r in runs if r.architecture_id is not None}
    dataset_ids = {r.dataset_id for r in runs if r.dataset_id is not None}
    architectures = session.exec(
        select(Architecture.id, Architecture.name).where(col(Architecture.id).in_(architecture_ids))
    ).all()
    datasets = session.exec(
        select(Dataset.id, Dataset.name).where(col(Dataset.id).in_(dataset_ids))
    ).all()
    return {i: n for i, n in architectures if i}, {i: n for i, n in datasets if i}


def _public(
    session: Session,
    run: Run,
    history: list[dict[str, Any]] | None = None,
    names: tuple[dict[int, str], dict[int, str]] | None = None,
) -> RunPublic:
    by_architecture, by_dataset = names or _names(session, [run])
    snapshot = run.stack.get("name")
    per_class = None
    if run.confusion:
        # Recall per class: the share of each true class predicted right.
        per_class = [r[i] / sum(r) if sum(r) else None for i, r in enumerate(run.confusion)]
    assert run.id is not None
    history = state.history(session, run.id) if history is None else history
    loss = loss_name(run.stack.get("compile", {}).get("loss"))
    return RunPublic(
        **run.model_dump(),
        architecture_name=by_architecture.get(run.architecture_id or 0)
        or (snapshot if snapshot != INLINE else None),
        dataset_name=by_dataset.get(run.dataset_id or 0),
        history=history,
        per_class_accuracy=per_class,
        automatic_changes=automatic_changes(run.preprocessing, loss),
        diagnosis=diagnose(run, history),
    )


def read_run(session: Session, user: User, run_id: int) -> RunPublic:
    return _public(session, get_run(session, user, run_id))


def list_runs(
    session: Session,
    user: User,
    *,
    status: RunStatus | None = None,
    architecture_id: int | None = None,
    dataset_id: int | None = None,
    sweep_id: int | None = None,
    offset: int = 0,
    limit: int = 100,
) -> RunsPublic:
    """The user's runs (an admin: everyone's), newest first, filtered by status,
    architecture, dataset or sweep."""
    query = visible(select(Run), Run, user)
    filters = (
        (Run.status, status),
        (Run.architecture_id, architecture_id),
        (Run.dataset_id, dataset_id),
        (Run.sweep_id, sweep_id),
    )
    for column, value in filters:
        if value is not None:
            query = query.where(column == value)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = list(session.exec(query.order_by(col(Run.id).desc()).offset(offset).limit(limit)))
    # One query for every listed run's history and one per name table, not one per run.
    found = state.histories(session, [r.id for r in rows if r.id is not None])
    names = _names(session, rows)
    return RunsPublic(
        data=[_public(session, r, found[r.id or 0], names) for r in rows], count=count
    )


def _stack(session: Session, user: User, body: RunCreate) -> tuple[dict[str, Any], int | None]:
    if body.architecture is not None:
        return body.architecture, None
    assert body.architecture_id is not None
    # Only the user's own: a run of someone else's architecture is impossible by construction.
    saved = get_architecture(session, user, body.architecture_id)
    return saved.model_dump(include={"name", "input_shape", "layers", "compile"}), saved.id


def resolve_stack(
    session: Session, user: User, body: RunCreate
) -> tuple[dict[str, Any], int | None]:
    """The stack a run body names (inline, or a saved architecture of the user's) with the
    body's compile settings, and the saved architecture's id."""
    stack, architecture_id = _stack(session, user, body)
    if body.compile is not None:
        stack = {**stack, "compile": body.compile}
    return stack, architecture_id


def check_run(
    session: Session,
    settings: Settings,
    user: User,
    body: RunCreate,
    stack: tuple[dict[str, Any], int | None] | None = None,
) -> Run:
    """Every check POST /api/runs makes of the run itself (MAX_EPOCHS, resources, the stack
    against the dataset), not of the queue or quotas: the run, not saved. `stack`: the stack
    to train instead of the body's (a sweep's combination), from `resolve_stack`."""
    _check_epochs(settings, body)
    _check_resources(settings, body)
    given, architecture_id = stack or resolve_stack(session, user, body)
    dataset = get_dataset(session, user, body.dataset_id)
    return _new_run(settings, user, body, given, architecture_id, dataset)


def _new_run(
    settings: Settings,
    user: User,
    body: RunCreate,
    stack: dict[str, Any],
    architecture_id: int | None,
    dataset: Dataset,
) -> Run:
    plan = plan_run(stack, dataset, body.fit, settings.max_layers, settings.max_params)
    fit = body.fit.model_dump()
    fit["seed"] = fit["seed"] if fit["seed"] is not None else random.randrange(2**31)
    return Run(
        owner_id=user.id,
        architecture_id=architecture_id,
        dataset_id=body.dataset_id,
        stack={"name": stack.get("name", INLINE), **plan.stack.as_json()},
        fit=fit,
        preprocessing=plan.preprocessing,
    )


def submit_run(
    session: Session, settings: Settings, executor: Executor, user: User, body: RunCreate
) -> RunPublic:
    """Check the stack against the dataset, save the run (a frozen snapshot), queue it."""
    _check_epochs(settings, body)
    _check_resources(settings, body)
    stack, architecture_id = resolve_stack(session, user, body)
    dataset = get_dataset(session, user, body.dataset_id)
    quotas.check_active_runs(session, settings, user)
    quotas.check_storage(session, settings, user)
    _check_queue(session, settings)
    run = _new_run(settings, user, body, stack, architecture_id, dataset)
    session.add(run)
    session.commit()
    session.refresh(run)
    assert run.id is not None
    try:  # again, counting this one: two requests at once may both have passed the first check
        quotas.check_active_runs(session, settings, user, counting_new=True)
        _check_queue(session, settings, counting_new=True)
    except (Conflict, TooManyTries):
        session.delete(run)
        session.commit()
        raise
    answer = _public(session, run)
    executor.submit(run.id)
    return answer


def _check_epochs(settings: Settings, body: RunCreate) -> None:
    """MAX_EPOCHS: what one run may cost, before anything is looked up or saved."""
    asked, most = body.fit.epochs, settings.max_epochs
    if asked > most:
        raise invalid(
            ("fit", "epochs"),
            f"fit.epochs: {asked} asked for; this server trains at most {most} epochs per run "
            f"(MAX_EPOCHS). Ask for {most} or fewer (early_stopping can end a run sooner), or "
            "ask the operator to raise MAX_EPOCHS.",
            "max_epochs",
            asked,
        )


def _check_resources(settings: Settings, body: RunCreate) -> None:
    """The local executor trains on this machine's CPUs: a run that asks for a GPU or a
    custom resource is refused, not silently trained on a CPU (EXECUTOR=ray waits for one)."""
    wanted = body.fit.resources
    if settings.executor != "local" or wanted is None:
        return
    asked = [f"{wanted.gpus:g} GPU"] if wanted.gpus else []
    asked += [f"{amount:g} {name}" for name, amount in sorted(wanted.custom.items()) if amount]
    if asked:
        raise invalid(
            ("fit", "resources"),
            f"fit.resources asks for {', '.join(asked)}, but this server trains on its own "
            "CPUs (EXECUTOR=local), so the run would never get them. Leave them out, or run "
            "it on a server with EXECUTOR=ray and a cluster that has them.",
            "resources_unavailable",
            wanted.model_dump(),
        )


def _check_queue(session: Session, settings: Settings, counting_new: bool = False) -> None:
    """MAX_QUEUED_RUNS: room in the server's queue (all users together) for one more run
    (`counting_new`: the new one is already saved and counted)."""
    query = select(func.count()).select_from(Run).where(col(Run.status) == RunStatus.QUEUED)
    queued, most = int(session.exec(query).one()) - counting_new, settings.max_queued_runs
    if queued >= most:
        raise TooManyTries(
            f"The server has {queued} runs waiting in the queue, its limit (MAX_QUEUED_RUNS="
            f"{most}). Nothing was saved: try again once some have started (see Retry-After), "
            "or cancel a run of yours that is still queued.",
            QUEUE_RETRY_AFTER_S,
        )


def cancel_run(session: Session, executor: Executor, user: User, run_id: int) -> RunPublic:
    """Cancel a queued run at once; ask a running one to stop within one compiled step."""
    run = get_run(session, user, run_id)
    if run.status in FINISHED:
        raise Conflict(
            f"Run {run_id} is already {run.status}; only queued or running runs can be cancelled."
        )
    if run.cancel_requested:
        raise Conflict(f"Run {run_id} is already being cancelled.")
    if state.request_cancel(session.get_bind(), run_id) is RunStatus.RUNNING:  # type: ignore[arg-type]
        executor.cancel(run_id)
    session.refresh(run)
    return _public(session, run)


def resume_run(
    session: Session, settings: Settings, executor: Executor, user: User, run_id: int
) -> RunPublic:
    """Queue a cancelled or interrupted run again, from its last completed epoch."""
    run = get_run(session, user, run_id)
    if run.status in RESUMABLE:
        _check_dataset_kept(session, run)
        quotas.check_active_runs(session, settings, user)
        _check_queue(session, settings)
    if run.status not in RESUMABLE or not state.requeue(session.get_bind(), run_id):  # type: ignore[arg-type]
        raise Conflict(
            f"Run {run_id} is {run.status}; only cancelled or interrupted runs can be resumed."
        )
    session.refresh(run)
    answer = _public(session, run)  # as queued: a free worker may claim it the moment it hears
    executor.submit(run_id)
    return answer


def _check_dataset_kept(session: Session, run: Run) -> None:
    """A run resumes on the data it trained on; once that is deleted it would only fail."""
    if run.dataset_id is not None and session.get(Dataset, run.dataset_id) is not None:
        return
    which = f"dataset {run.dataset_id}" if run.dataset_id is not None else "its dataset"
    raise Conflict(
        f"Run {run.id} cannot be resumed: {which}, the data it trained on, was deleted. "
        f"Start a new run on another dataset instead (its architecture is in the run's stack)."
    )


async def delete_run(
    session: Session,
    paths: DataPaths,
    executor: Executor,
    predictions: Predictions,
    user: User,
    run_id: int,
) -> None:
    """Stop the run if it is going (waiting up to STOP_WAIT_S), then delete it and its files."""
    run = get_run(session, user, run_id)
    if run.status in ACTIVE:
        if state.request_cancel(session.get_bind(), run_id) is RunStatus.RUNNING:  # type: ignore[arg-type]
            executor.cancel(run_id)
        for _ in range(int(STOP_WAIT_S / 0.1)):
            session.refresh(run)
            if run.status not in ACTIVE:
                break
            await asyncio.sleep(0.1)
    session.delete(run)
    session.commit()
    predictions.forget(run_id)
    shutil.rmtree(paths.run(run_id), ignore_errors=True)


def history_csv(session: Session, user: User, run_id: int) -> str:
    """The history as CSV: the tutorial's pd.DataFrame(history.history)."""
    get_run(session, user, run_id)
    rows = state.history(session, run_id)
    keys = ["epoch", *sorted({k for row in rows for k in row} - {"epoch"})]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=keys, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def model_file(session: Session, paths: DataPaths, user: User, run_id: int) -> Path:
    """The trained model (.keras); 409 until the run has completed."""
    run = get_run(session, user, run_id)
    path = paths.model(run_id)
    if run.status != RunStatus.COMPLETED or not path.exists():
        raise Conflict(f"Run {run_id} is {run.status}; its model is saved when it completes.")
    return path


def export_script(session: Session, user: User, run_id: int) -> str:
    """A script that retrains this run to the same history (with the dataset's export.npz)."""
    run = get_run(session, user, run_id)
    steps = run.fit.get("steps_per_execution") or AUTO_STEPS_PER_EXECUTION
    return export_run(run.model_dump(), f"dataset-{run.dataset_id}.npz", steps)


def queue_counts(session: Session) -> dict[str, int]:
    """How many runs wait and how many train, for GET /api/health."""
    query = select(Run.status, func.count()).where(col(Run.status).in_(ACTIVE))
    counts = dict(session.exec(query.group_by(Run.status)).all())
    return {status: counts.get(status, 0) for status in (RunStatus.QUEUED, RunStatus.RUNNING)}
