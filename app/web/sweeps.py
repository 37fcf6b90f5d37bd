"""The sweeps pages: the list with a form to start a sweep (static/js/sweeps.js), and one
sweep's page (static/js/sweep.js), which reads GET /api/sweeps/{id} as a script would."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.api.params import Id
from app.deps import CurrentUser, SessionDep, SettingsDep
from app.errors import NotFound
from app.sweeps import service
from app.web.templates import render_page

router = APIRouter(include_in_schema=False)
SHOWN = 100  # sweeps listed on the page, newest first


@router.get("/sweeps", response_class=HTMLResponse)
def read_sweeps_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    architecture: int | None = None,
) -> HTMLResponse:
    """Sweeps so far, and the form to start one (over a saved architecture)."""
    context = {
        "sweeps": service.list_sweeps(session, user, limit=SHOWN),
        "architecture_id": architecture,
        "max_epochs": settings.max_epochs,
        "max_sweep_runs": settings.max_sweep_runs,
    }
    return render_page(request, "sweeps", context)


@router.get("/sweeps/{sweep_id}", response_class=HTMLResponse)
def read_sweep_page(
    request: Request, sweep_id: Id, session: SessionDep, user: CurrentUser
) -> HTMLResponse:
    """A sweep's page; 404 if not yours."""
    try:
        sweep = service.get_sweep(session, user, sweep_id)
    except NotFound as error:
        context = {"message": error.message, "back_url": "/sweeps", "back_text": "All sweeps"}
        return render_page(request, "not_found", context, status_code=404)
    return render_page(request, "sweep", {"sweep_id": sweep_id, "name": sweep.name})
