"""Sweeps: one run body and a grid of settings, trained as one run per combination (or a
seeded random sample of them), ranked by their best validation value."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from app.api.params import Id, Limit, Offset
from app.api.responses import BODY, described
from app.deps import (
    CurrentUser,
    ExecutorDep,
    HubDep,
    PathsDep,
    PredictionsDep,
    SessionDep,
    SettingsDep,
)
from app.models import SweepCreate, SweepDetailPublic, SweepsPublic
from app.sweeps import service

router = APIRouter(prefix="/sweeps", tags=["sweeps"])
NOT_FOUND = described({404: "No sweep with this id"})


@router.post(
    "",
    response_model=SweepDetailPublic,
    status_code=202,
    responses=BODY
    | described(
        {
            404: "No such architecture or dataset",
            409: "The runs would pass your quota of queued and running runs (AUTH=accounts)",
            413: "Over your storage quota (AUTH=accounts), or the body over MAX_BODY_BYTES",
            422: "A path, value or combination is refused, or more runs than MAX_SWEEP_RUNS "
            "(each problem listed; nothing was saved)",
            429: "The runs would pass the server's queue (MAX_QUEUED_RUNS); see Retry-After",
        }
    ),
)
def create_sweep(
    body: SweepCreate,
    session: SessionDep,
    settings: SettingsDep,
    executor: ExecutorDep,
    user: CurrentUser,
) -> Any:
    """Check every combination as POST /api/runs would, then queue them all (or none)."""
    return service.create_sweep(session, settings, executor, user, body)


@router.get("", response_model=SweepsPublic)
def read_sweeps(
    session: SessionDep, user: CurrentUser, offset: Offset = 0, limit: Limit = 100
) -> Any:
    """Sweeps, newest first, each with its runs' statuses and its best run."""
    return service.list_sweeps(session, user, offset=offset, limit=limit)


@router.get("/{sweep_id}", response_model=SweepDetailPublic, responses=NOT_FOUND)
def read_sweep(sweep_id: Id, session: SessionDep, user: CurrentUser) -> Any:
    """The sweep and its runs, best first: settings, status, best validation value."""
    return service.read_sweep(session, user, sweep_id)


@router.post(
    "/{sweep_id}/cancel",
    response_model=SweepDetailPublic,
    responses=NOT_FOUND | described({409: "None of its runs is queued or running"}),
)
def cancel_sweep(
    sweep_id: Id, session: SessionDep, executor: ExecutorDep, hub: HubDep, user: CurrentUser
) -> Any:
    """Cancel its queued runs, and stop its running ones within one compiled step."""
    answer, cancelled = service.cancel_sweep(session, executor, user, sweep_id)
    for run_id in cancelled:
        hub.wake_soon(run_id)  # their watchers hear it now, not at the next poll
    return answer


@router.delete("/{sweep_id}", status_code=204, responses=NOT_FOUND)
async def delete_sweep(
    sweep_id: Id,
    session: SessionDep,
    paths: PathsDep,
    executor: ExecutorDep,
    predictions: PredictionsDep,
    hub: HubDep,
    user: CurrentUser,
) -> Response:
    """Stop its going runs, then delete the sweep and every run of it, with their files."""
    for run_id in await service.delete_sweep(session, paths, executor, predictions, user, sweep_id):
        hub.wake(run_id)  # their streams end now
    return Response(status_code=204)
