"""The studio's pages. The builder, train, run and predict pages are a template plus an ES
module that talks to the same JSON API a script would use; the lists and the dataset page are
rendered here (app/web/runs.py, app/web/datasets.py) and htmx swaps their parts."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from app.api.params import Id
from app.deps import CurrentUser, SessionDep, SettingsDep
from app.errors import NotFound
from app.runs import service as run_service
from app.web import account, datasets, docs, runs, sweeps, users
from app.web.templates import remember_user, render_page

# Every page's header says who is signed in (the user is looked up once per request).
router = APIRouter(include_in_schema=False, dependencies=[Depends(remember_user)])
# First: /runs/live must be matched before /runs/{run_id} takes "live" for an id.
router.include_router(runs.router)
router.include_router(datasets.router)
router.include_router(docs.router)
router.include_router(account.router)
router.include_router(users.router)
router.include_router(sweeps.router)


@router.get("/", response_class=HTMLResponse)
@router.get("/builder", response_class=HTMLResponse)
def read_builder(request: Request, architecture: int | None = None) -> HTMLResponse:
    """The builder: palette, stack, live summary, compile settings."""
    return render_page(request, "builder", {"architecture_id": architecture})


@router.get("/train", response_class=HTMLResponse)
def read_train_page(
    request: Request, settings: SettingsDep, architecture: int | None = None
) -> HTMLResponse:
    context = {"architecture_id": architecture, "max_epochs": settings.max_epochs}
    return render_page(request, "train", context)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def read_run_page(
    request: Request, run_id: Id, session: SessionDep, user: CurrentUser
) -> HTMLResponse:
    """A run's live page (its script follows the run's event stream); 404 if not yours."""
    try:
        run_service.get_run(session, user, run_id)
    except NotFound as error:
        context = {"message": error.message, "back_url": "/runs", "back_text": "All runs"}
        return render_page(request, "not_found", context, status_code=404)
    return render_page(request, "run", {"run_id": run_id})


@router.get("/predict", response_class=HTMLResponse)
def read_predict_page(request: Request, run: int | None = None) -> HTMLResponse:
    return render_page(request, "predict", {"run_id": run})
