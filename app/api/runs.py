"""Training runs: submit, watch live (SSE), cancel, resume, and fetch history and model."""

from __future__ import annotations

import asyncio
import csv
import io
import random
import shutil
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, PlainTextResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, func, select

from app.deps import SessionDep, SettingsDep
from app.interop.run_export import export_run
from app.models import FINISHED, RESUMABLE, Architecture, Dataset, Run, RunPublic, RunsPublic
from app.runs import state
from app.runs.fit import AUTO_STEPS_PER_EXECUTION, FitSettings
from app.runs.plan import plan_run

router = APIRouter(prefix="/runs", tags=["runs"])


class RunCreate(BaseModel):
    """A saved architecture (by id) or an inline stack, a dataset, compile and fit settings."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "architecture_id": 1,
                    "dataset_id": 1,
                    "fit": {"epochs": 10, "batch_size": 32, "validation_split": 0.1, "seed": 42},
                }
            ]
        },
    )
    architecture_id: int | None = None
    architecture: dict[str, Any] | None = Field(default=None, description="An inline stack")
    dataset_id: int
    compile: dict[str, Any] | None = Field(default=None, description="Defaults to the stack's")
    fit: FitSettings = FitSettings()


def _public(session: Session, run: Run, history: list[dict[str, Any]] | None = None) -> RunPublic:
    per_class = None
    if run.confusion:
        # Recall per class: the share of each true class predicted right.
        per_class = [r[i] / sum(r) if sum(r) else None for i, r in enumerate(run.confusion)]
    assert run.id is not None
    return RunPublic(
        **run.model_dump(),
        history=state.history(session, run.id) if history is None else history,
        per_class_accuracy=per_class,
    )


def _get(session: Session, run_id: int) -> Run:
    run = session.get(Run, run_id)
    if run is None:
        raise HTTPException(404, f"No run with id {run_id}.")
    return run


def _stack(body: RunCreate, session: Session) -> tuple[dict[str, Any], int | None]:
    if (body.architecture_id is None) == (body.architecture is None):
        raise HTTPException(
            422,
            "Give either architecture_id (a saved architecture) or "
            "architecture (an inline stack), not both or neither.",
        )
    if body.architecture is not None:
        return body.architecture, None
    saved = session.get(Architecture, body.architecture_id)
    if saved is None:
        raise HTTPException(404, f"No architecture with id {body.architecture_id}.")
    return saved.model_dump(include={"name", "input_shape", "layers", "compile"}), saved.id


@router.post("", response_model=RunPublic, status_code=202)
def create_run(
    body: RunCreate, request: Request, session: SessionDep, settings: SettingsDep
) -> Any:
    """Check the stack against the dataset, then queue it for a worker."""
    stack, architecture_id = _stack(body, session)
    dataset = session.get(Dataset, body.dataset_id)
    if dataset is None:
        raise HTTPException(404, f"No dataset with id {body.dataset_id}.")
    if body.compile is not None:
        stack = {**stack, "compile": body.compile}
    plan = plan_run(stack, dataset, body.fit, settings.max_layers, settings.max_params)
    fit = body.fit.model_dump()
    fit["seed"] = fit["seed"] if fit["seed"] is not None else random.randrange(2**31)
    run = Run(
        architecture_id=architecture_id,
        dataset_id=body.dataset_id,
        stack={"name": stack.get("name", "inline"), **plan.stack.as_json()},
        fit=fit,
        preprocessing=plan.preprocessing,
    )
    session.add(run)
    session.commit()
    session.refresh(run)
    if request.app.state.pool is not None:
        request.app.state.pool.notify()
    return _public(session, run)


@router.get("", response_model=RunsPublic)
def read_runs(
    session: SessionDep,
    status: Annotated[str | None, Query(description="queued, running, completed, ...")] = None,
    architecture_id: int | None = None,
    dataset_id: int | None = None,
    offset: int = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    """Runs, newest first, filtered by status, architecture or dataset."""
    query = select(Run)
    for column, value in (
        (Run.status, status),
        (Run.architecture_id, architecture_id),
        (Run.dataset_id, dataset_id),
    ):
        if value is not None:
            query = query.where(column == value)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Run.id).desc()).offset(offset).limit(limit)).all()
    # One query for every listed run's history, not one per run.
    found = state.histories(session, [r.id for r in rows if r.id is not None])
    return RunsPublic(data=[_public(session, r, found[r.id or 0]) for r in rows], count=count)


@router.get("/{run_id}", response_model=RunPublic)
def read_run(run_id: int, session: SessionDep) -> Any:
    """Status, settings, history (one entry per epoch), test metrics and error."""
    return _public(session, _get(session, run_id))


@router.get("/{run_id}/history.csv")
def read_run_history_csv(run_id: int, session: SessionDep) -> Response:
    """The history as CSV: the tutorial's pd.DataFrame(history.history)."""
    _get(session, run_id)
    rows = state.history(session, run_id)
    keys = ["epoch", *sorted({k for row in rows for k in row} - {"epoch"})]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=keys, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    headers = {"Content-Disposition": f'attachment; filename="run-{run_id}-history.csv"'}
    return Response(out.getvalue(), media_type="text/csv", headers=headers)


@router.get("/{run_id}/model.keras")
def read_run_model(run_id: int, session: SessionDep, settings: SettingsDep) -> FileResponse:
    """The trained model (.keras), with class names and preprocessing in layerstack.json."""
    run = _get(session, run_id)
    path = settings.data_dir / "runs" / str(run_id) / "model.keras"
    if run.status != "completed" or not path.exists():
        raise HTTPException(
            409, f"Run {run_id} is {run.status}; its model is saved when it completes."
        )
    return FileResponse(path, media_type="application/octet-stream", filename=f"run-{run_id}.keras")


@router.get("/{run_id}/export.py", response_class=PlainTextResponse)
def export_run_script(run_id: int, session: SessionDep) -> PlainTextResponse:
    """A script that retrains this run to the same history (needs the dataset's export.npz)."""
    run = _get(session, run_id)
    script = export_run(run.model_dump(), f"dataset-{run.dataset_id}.npz",
                        run.fit.get("steps_per_execution") or AUTO_STEPS_PER_EXECUTION)  # fmt: skip
    headers = {"Content-Disposition": f'attachment; filename="run-{run_id}.py"'}
    return PlainTextResponse(script, media_type="text/x-python", headers=headers)


@router.post("/{run_id}/cancel", response_model=RunPublic)
def cancel_run(run_id: int, request: Request, session: SessionDep) -> Any:
    """Cancel a queued run, or stop a running one within one compiled step."""
    run = _get(session, run_id)
    if run.status in FINISHED:
        raise HTTPException(
            409,
            f"Run {run_id} is already {run.status}; only queued or running runs can be cancelled.",
        )
    if run.cancel_requested:
        raise HTTPException(409, f"Run {run_id} is already being cancelled.")
    if state.request_cancel(request.app.state.engine, run_id) == "running":
        session.refresh(run)
        if request.app.state.pool is not None:
            request.app.state.pool.cancel(run.worker)
    session.refresh(run)
    return _public(session, run)


@router.post("/{run_id}/resume", response_model=RunPublic)
def resume_run(run_id: int, request: Request, session: SessionDep) -> Any:
    """Continue a cancelled or interrupted run from its last completed epoch."""
    run = _get(session, run_id)
    if run.status not in RESUMABLE or not state.requeue(request.app.state.engine, run_id):
        raise HTTPException(
            409, f"Run {run_id} is {run.status}; only cancelled or interrupted runs can be resumed."
        )
    if request.app.state.pool is not None:
        request.app.state.pool.notify()
    session.refresh(run)
    return _public(session, run)


@router.delete("/{run_id}", status_code=204)
async def delete_run(
    run_id: int, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """Cancel the run if it is going, then delete it and its files."""
    run = _get(session, run_id)
    engine = request.app.state.engine
    if run.status in ("queued", "running"):
        if state.request_cancel(engine, run_id) == "running" and request.app.state.pool:
            session.refresh(run)
            request.app.state.pool.cancel(run.worker)
        for _ in range(100):  # the worker stops within a step; wait up to 10 s for it
            session.refresh(run)
            if run.status not in ("queued", "running"):
                break
            await asyncio.sleep(0.1)
    session.delete(run)
    session.commit()
    request.app.state.ready_runs.pop(run_id, None)
    if request.app.state.predictor is not None:
        request.app.state.predictor.evict(run_id)
    shutil.rmtree(settings.data_dir / "runs" / str(run_id), ignore_errors=True)
    return Response(status_code=204)


def _existing(run_id: int, request: Request) -> int:
    """404 before the stream starts. Not SessionDep: a dependency's session would stay open
    (holding a pooled connection) for as long as the stream lasts."""
    with Session(request.app.state.engine) as session:
        _get(session, run_id)
    return run_id


@router.get("/{run_id}/events", response_class=EventSourceResponse)
async def read_run_events(
    run_id: Annotated[int, Depends(_existing)],
    request: Request,
    last_event_id: Annotated[int | None, Header(alias="Last-Event-ID")] = None,
) -> AsyncIterator[ServerSentEvent]:
    """Server-sent events: status, progress, epoch (id = epoch), then done; resumable."""
    hub = request.app.state.hub
    watch = await hub.subscribe(run_id)
    if watch is None:  # deleted between the check and now
        return
    try:
        sent, status, progress = last_event_id or 0, None, None
        while True:
            changed = watch.changed
            if watch.status != status:
                status = watch.status
                yield ServerSentEvent(event="status", data={"status": status})
            # Index, never a slice taken once: the hub may append epochs while we yield.
            while sent < len(watch.epoch_events):
                sent += 1
                yield watch.epoch_events[sent - 1]
            # Progress about an epoch that has already ended is news to no one: skip it.
            event = watch.progress_event
            current = watch.progress.get("epoch", 0) > sent
            if status == "running" and event is not None and event is not progress and current:
                progress = event
                yield event
            if status in FINISHED and sent >= len(watch.epoch_events):
                yield ServerSentEvent(event="done", data=watch.final)
                return
            if changed is watch.changed:
                await changed.wait()
    finally:
        hub.unsubscribe(run_id)
