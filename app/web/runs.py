"""The runs list page: filters and pages of runs rendered on the server (htmx swaps the list),
delete per row, and one event stream that keeps the rows of going runs up to date."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.api.params import MAX_ID, Id
from app.architectures.service import list_architectures
from app.datasets.service import list_datasets
from app.deps import (
    CurrentUser,
    EngineDep,
    ExecutorDep,
    HubDep,
    PathsDep,
    PredictionsDep,
    SessionDep,
    StreamRoom,
)
from app.errors import NotFound
from app.models import ACTIVE, RunPublic, RunStatus, User
from app.runs import service
from app.runs.sse import EventStream
from app.web.live import LiveRows
from app.web.templates import page_or_fragment, render_fragment

router = APIRouter(include_in_schema=False)
PAGE = 20  # runs per page
CHOICES = 500  # architectures and datasets offered in the filters


class RunFilters(BaseModel):
    """What the filter form and the pager links send; an empty field means "any"."""

    status: RunStatus | None = None
    architecture_id: int | None = Field(None, ge=1, le=MAX_ID)
    dataset_id: int | None = Field(None, ge=1, le=MAX_ID)
    sweep_id: int | None = Field(None, ge=1, le=MAX_ID)  # from a sweep's page
    offset: int = Field(0, ge=0, le=MAX_ID)
    limit: int = Field(PAGE, ge=1, le=100)

    @field_validator("status", "architecture_id", "dataset_id", "sweep_id", mode="before")
    @classmethod
    def _blank_is_any(cls, value: Any) -> Any:
        return None if value == "" else value

    def url(self, **changes: Any) -> str:
        """/runs with these filters (and changes), leaving out what is "any" or a default."""
        values = {**self.model_dump(), **changes}
        defaults = RunFilters().model_dump()
        query = {k: v for k, v in values.items() if v is not None and v != defaults[k]}
        return f"/runs?{urlencode(query)}" if query else "/runs"


def _pager(filters: RunFilters, shown: int, count: int) -> dict[str, Any]:
    newer = max(0, filters.offset - filters.limit)
    older = filters.offset + filters.limit
    return {
        "first": filters.offset + 1 if shown else 0,
        "last": filters.offset + shown,
        "newer_url": filters.url(offset=newer) if filters.offset > 0 else None,
        "older_url": filters.url(offset=older) if older < count else None,
    }


def _live_url(runs: list[RunPublic]) -> str | None:
    going = [run.id for run in runs if run.status in ACTIVE]
    return f"/runs/live?{urlencode({'run': going}, doseq=True)}" if going else None


@router.get("/runs", response_class=HTMLResponse)
def read_runs_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    filters: Annotated[RunFilters, Query()],
) -> HTMLResponse:
    """The runs list; only the list (#runs-list) when the filters or the pager ask for it."""
    runs = service.list_runs(session, user, **filters.model_dump())
    context = {
        "runs": runs,
        "filters": filters,
        "filtered": filters.url(offset=0) != "/runs",
        "pager": _pager(filters, len(runs.data), runs.count),
        "live_url": _live_url(runs.data),
        "statuses": list(RunStatus),
        "architectures": list_architectures(session, user, limit=CHOICES).data,
        "datasets": list_datasets(session, user, limit=CHOICES).data,
    }
    response = page_or_fragment(request, "runs", "_runs_list", "runs-list", context)
    response.headers["HX-Push-Url"] = filters.url()  # without the empty "any" fields
    return response


@router.delete("/runs/{run_id}", response_class=HTMLResponse)
async def delete_run_row(
    run_id: Id,
    session: SessionDep,
    paths: PathsDep,
    executor: ExecutorDep,
    predictions: PredictionsDep,
    hub: HubDep,
    user: CurrentUser,
) -> HTMLResponse:
    """Delete a run (cancelling it first if it is going); its row is replaced by nothing,
    and the flash box says what happened."""
    await service.delete_run(session, paths, executor, predictions, user, run_id)
    hub.wake(run_id)  # its streams end now
    flash = f"Deleted run #{run_id}."
    return HTMLResponse(render_fragment("_flash_oob", {"message": flash, "kind": "ok"}))


def _read_row(engine: Engine, user: User, run_id: int) -> RunPublic | None:
    with Session(engine) as session:  # one short session per read, none held by the stream
        try:
            return service.read_run(session, user, run_id)
        except NotFound:
            return None


def _visible_ids(engine: Engine, user: User, run_ids: list[int]) -> list[int]:
    return [run_id for run_id in run_ids if _read_row(engine, user, run_id) is not None]


@router.get("/runs/live", response_class=EventStream)
async def read_live_rows(
    hub: HubDep,
    engine: EngineDep,
    user: CurrentUser,
    streams: StreamRoom,
    run: Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], Query(max_length=100)],
) -> EventStream:
    """Rows (HTML) of the given runs as they change, event `run-<id>`; then `done`. Runs
    the user may not see are left out, as if they did not exist."""
    visible = await asyncio.to_thread(_visible_ids, engine, user, run)

    async def read(run_id: int) -> RunPublic | None:
        return await asyncio.to_thread(_read_row, engine, user, run_id)

    def render(row: RunPublic) -> str:
        return render_fragment("_run_row", {"run": row})

    rows = LiveRows(hub, visible, read, render)
    return EventStream(rows, streams=streams, user_id=user.id)
