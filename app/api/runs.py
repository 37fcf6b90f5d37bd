"""Training runs: submit, watch live (SSE), cancel, resume, and fetch history and model."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import FileResponse, PlainTextResponse
from sqlmodel import Session

from app.api.params import Id, Limit, Offset, QueryId
from app.api.responses import BODY, DISK_FULL_TEXT, described, described_json, file
from app.deps import (
    CurrentUser,
    EngineDep,
    ExecutorDep,
    HubDep,
    PathsDep,
    PredictionsDep,
    SessionDep,
    SettingsDep,
    StreamRoom,
)
from app.models import RunCreate, RunPublic, RunsPublic, RunStatus, WeightsPublic
from app.models.common import MAX_ID
from app.runs import service, weights
from app.runs.sse import STREAMED, EventStream
from app.runs.stream import RunEvents

router = APIRouter(prefix="/runs", tags=["runs"])
NOT_FOUND = described({404: "No run with this id"})
CONFLICT = described({409: "Not possible in the run's current status"})
QUEUE_FULL = described({429: "The server's queue is full (MAX_QUEUED_RUNS); see Retry-After"})


@router.post(
    "",
    response_model=RunPublic,
    status_code=202,
    responses=BODY
    | described(
        {
            404: "No such architecture or dataset",
            409: "Over your quota of queued and running runs (AUTH=accounts)",
            413: "Over your storage quota (AUTH=accounts), or the body over MAX_BODY_BYTES",
        }
    )
    | QUEUE_FULL,
)
def create_run(
    body: RunCreate,
    session: SessionDep,
    settings: SettingsDep,
    executor: ExecutorDep,
    user: CurrentUser,
) -> Any:
    """Check the stack against the dataset, then queue it for a worker."""
    return service.submit_run(session, settings, executor, user, body)


@router.get("", response_model=RunsPublic)
def read_runs(
    session: SessionDep,
    user: CurrentUser,
    status: Annotated[RunStatus | None, Query(description="Only runs in this status")] = None,
    architecture_id: QueryId = None,
    dataset_id: QueryId = None,
    sweep_id: QueryId = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> Any:
    """Runs, newest first, filtered by status, architecture, dataset or sweep."""
    return service.list_runs(
        session,
        user,
        status=status,
        architecture_id=architecture_id,
        dataset_id=dataset_id,
        sweep_id=sweep_id,
        offset=offset,
        limit=limit,
    )


@router.get("/{run_id}", response_model=RunPublic, responses=NOT_FOUND)
def read_run(run_id: Id, session: SessionDep, user: CurrentUser) -> Any:
    """Status, settings, history (one entry per epoch), test metrics and error."""
    return service.read_run(session, user, run_id)


@router.get(
    "/{run_id}/history.csv",
    response_class=Response,
    responses=NOT_FOUND | file("One row per epoch", "text/csv"),
)
def read_run_history_csv(run_id: Id, session: SessionDep, user: CurrentUser) -> Response:
    """The history as CSV: the tutorial's pd.DataFrame(history.history)."""
    headers = {"Content-Disposition": f'attachment; filename="run-{run_id}-history.csv"'}
    return Response(
        service.history_csv(session, user, run_id), media_type="text/csv", headers=headers
    )


@router.get(
    "/{run_id}/weights",
    response_model=WeightsPublic,
    responses=described({404: "No run with this id, or no histograms for this epoch"}),
)
def read_run_weights(
    run_id: Id,
    session: SessionDep,
    user: CurrentUser,
    epoch: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="The epoch (1-based); the latest recorded if left out"),
    ] = None,
) -> Any:
    """One epoch's weight and bias histograms of each layer, and the epochs recorded. Not in
    GET /api/runs/{id} nor the event stream, which every watcher gets (app/runs/weights.py)."""
    return weights.read_weights(session, user, run_id, epoch)


@router.get(
    "/{run_id}/model.keras",
    response_class=FileResponse,
    responses=NOT_FOUND | CONFLICT | file("The .keras file", "application/octet-stream"),
)
def read_run_model(
    run_id: Id, session: SessionDep, paths: PathsDep, user: CurrentUser
) -> FileResponse:
    """The trained model (.keras), with class names and preprocessing in layerstack.json."""
    path = service.model_file(session, paths, user, run_id)
    return FileResponse(path, media_type="application/octet-stream", filename=f"run-{run_id}.keras")


@router.get(
    "/{run_id}/export.py",
    response_class=Response,
    responses=NOT_FOUND | file("A Python script", "text/x-python"),
)
def export_run_script(run_id: Id, session: SessionDep, user: CurrentUser) -> PlainTextResponse:
    """A script that retrains this run to the same history (needs the dataset's export.npz)."""
    headers = {"Content-Disposition": f'attachment; filename="run-{run_id}.py"'}
    script = service.export_script(session, user, run_id)
    return PlainTextResponse(script, media_type="text/x-python", headers=headers)


@router.post("/{run_id}/cancel", response_model=RunPublic, responses={**NOT_FOUND, **CONFLICT})
def cancel_run(
    run_id: Id, session: SessionDep, executor: ExecutorDep, hub: HubDep, user: CurrentUser
) -> Any:
    """Cancel a queued run, or stop a running one within one compiled step."""
    answer = service.cancel_run(session, executor, user, run_id)
    hub.wake_soon(run_id)  # its watchers hear it now, not at the next poll
    return answer


@router.post(
    "/{run_id}/resume", response_model=RunPublic, responses=NOT_FOUND | CONFLICT | QUEUE_FULL
)
def resume_run(
    run_id: Id,
    session: SessionDep,
    settings: SettingsDep,
    executor: ExecutorDep,
    hub: HubDep,
    user: CurrentUser,
) -> Any:
    """Continue a cancelled or interrupted run from its last completed epoch."""
    answer = service.resume_run(session, settings, executor, user, run_id)
    hub.wake_soon(run_id)
    return answer


@router.delete("/{run_id}", status_code=204, responses=NOT_FOUND)
async def delete_run(
    run_id: Id,
    session: SessionDep,
    paths: PathsDep,
    executor: ExecutorDep,
    predictions: PredictionsDep,
    hub: HubDep,
    user: CurrentUser,
) -> Response:
    """Cancel the run if it is going, then delete it and its files."""
    await service.delete_run(session, paths, executor, predictions, user, run_id)
    hub.wake(run_id)  # its streams end now
    return Response(status_code=204)


def _existing(run_id: Id, engine: EngineDep, user: CurrentUser) -> int:
    """404 before the stream starts. Not SessionDep: a dependency's session would stay open
    (holding a pooled connection) for as long as the stream lasts."""
    with Session(engine) as session:
        service.get_run(session, user, run_id)
    return run_id


@router.get(
    "/{run_id}/events",
    response_class=EventStream,
    # The errors are JSON, not events; 401 given here too, replacing app/main.py's.
    responses=STREAMED
    | described_json(
        {
            401: "Not signed in (AUTH=accounts)",
            404: "No run with this id",
            429: "Too many live streams open (MAX_STREAMS, MAX_STREAMS_PER_USER)",
            507: DISK_FULL_TEXT,
        }
    ),
)
async def read_run_events(
    run_id: Annotated[int, Depends(_existing)],
    hub: HubDep,
    user: CurrentUser,
    streams: StreamRoom,
    last_event_id: Annotated[int | None, Header(alias="Last-Event-ID")] = None,
) -> EventStream:
    """Server-sent events: status, progress, epoch (id = epoch), then done; resumable."""
    events = RunEvents(hub, run_id, last_event_id or 0)
    return EventStream(events, streams=streams, user_id=user.id)
