"""Server-rendered pages. Each page is a template plus one script under static/js that talks
to the same JSON API a script would use: everything the browser does, the API does."""

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

templates = Jinja2Templates(directory=Path(__file__).resolve().parents[2] / "templates")
router = APIRouter(include_in_schema=False)


def _page(request: Request, name: str, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, f"pages/{name}.html", {"page": name, **context})


@router.get("/", response_class=HTMLResponse)
@router.get("/builder", response_class=HTMLResponse)
def read_builder(request: Request, architecture: int | None = None) -> HTMLResponse:
    """The builder: palette, stack, live summary, compile settings."""
    return _page(request, "builder", architecture_id=architecture)


@router.get("/datasets", response_class=HTMLResponse)
def read_datasets_page(request: Request) -> HTMLResponse:
    return _page(request, "datasets")


@router.get("/datasets/{dataset_id}", response_class=HTMLResponse)
def read_dataset_page(request: Request, dataset_id: int) -> HTMLResponse:
    return _page(request, "dataset", dataset_id=dataset_id)


@router.get("/train", response_class=HTMLResponse)
def read_train_page(request: Request, architecture: int | None = None) -> HTMLResponse:
    return _page(request, "train", architecture_id=architecture)


@router.get("/runs", response_class=HTMLResponse)
def read_runs_page(request: Request) -> HTMLResponse:
    return _page(request, "runs")


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def read_run_page(request: Request, run_id: int) -> HTMLResponse:
    return _page(request, "run", run_id=run_id)


@router.get("/predict", response_class=HTMLResponse)
def read_predict_page(request: Request, run: int | None = None) -> HTMLResponse:
    return _page(request, "predict", run_id=run)
