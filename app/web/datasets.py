"""The datasets pages, rendered on the server: the list (htmx fetches it again after an upload),
the tutorial datasets' Add buttons with their progress, one dataset's facts and class bars, its
sample grid as a fragment, and delete."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.api.params import Id
from app.datasets import catalog_service, service
from app.datasets.base import DatasetError
from app.deps import CatalogJobsDep, CurrentUser, PathsDep, SessionDep, SettingsDep
from app.errors import NotFound, ServiceError
from app.models import Dataset
from app.models.enums import CatalogStage
from app.web.templates import page_or_fragment, render_fragment, render_page, templates

router = APIRouter(include_in_schema=False)
LISTED = 500  # datasets on the list page
SAMPLES = 24  # images in the sample grid


def _bars(dataset: Dataset) -> list[dict[str, Any]]:
    """One bar per class: its train and test counts, as shares of the largest class."""
    train = dataset.class_counts.get("train", [])
    test = dataset.class_counts.get("test", [])
    counts = [
        (name, train[i] if i < len(train) else 0, test[i] if i < len(test) else 0)
        for i, name in enumerate(dataset.class_names)
    ]
    most = max([1, *(a + b for _, a, b in counts)])
    return [
        {"name": name, "train": a, "test": b,
         "train_percent": round(100 * a / most, 2), "test_percent": round(100 * b / most, 2)}
        for name, a, b in counts
    ]  # fmt: skip


# What a catalog job's stage reads as on the page.
STAGE_WORDS = {
    CatalogStage.STARTING: "Starting…",
    CatalogStage.DOWNLOADING: "Downloading",
    CatalogStage.VERIFYING: "Checking the files' SHA-256…",
    CatalogStage.WAITING: "Waiting for a free import slot…",
    CatalogStage.IMPORTING: "Importing…",
}


@router.get("/datasets", response_class=HTMLResponse)
def read_datasets_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    jobs: CatalogJobsDep,
    user: CurrentUser,
    highlight: int | None = None,
) -> HTMLResponse:
    """Every dataset, the tutorial datasets and the upload form; only the list
    (#dataset-list) when htmx asks."""
    datasets = service.list_datasets(session, user, limit=LISTED)
    catalog = catalog_service.read_catalog(session, settings, jobs, user)
    context = {"datasets": datasets, "highlight": highlight, "catalog": catalog,
               "stage_words": STAGE_WORDS}  # fmt: skip
    return page_or_fragment(request, "datasets", "_datasets_list", "dataset-list", context)


@router.get("/datasets/catalog", response_class=HTMLResponse)
def read_catalog_fragment(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    jobs: CatalogJobsDep,
    user: CurrentUser,
) -> HTMLResponse:
    """The tutorial datasets (#catalog), polled while one is being added."""
    catalog = catalog_service.read_catalog(session, settings, jobs, user)
    context = {"catalog": catalog, "stage_words": STAGE_WORDS}
    return templates.TemplateResponse(request, "partials/_catalog.html", context)


@router.post("/datasets/catalog/{name}", response_class=HTMLResponse)
def add_catalog_dataset(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    jobs: CatalogJobsDep,
    user: CurrentUser,
    name: Annotated[str, Path(max_length=50)],
) -> HTMLResponse:
    """An Add button: start adding it (or join the addition); the card, with a refusal (no
    network: DATASETS_MIRROR) shown under its entry."""
    problem = None
    try:
        catalog_service.add_from_catalog(session, settings, jobs, user, name, wait=False)
    except (ServiceError, DatasetError) as error:
        problem = error.message
    catalog = catalog_service.read_catalog(session, settings, jobs, user)
    for item in catalog.data:
        if item.name == name and problem:
            item.error = problem
    context = {"catalog": catalog, "stage_words": STAGE_WORDS}
    return templates.TemplateResponse(request, "partials/_catalog.html", context)


@router.get("/datasets/{dataset_id}", response_class=HTMLResponse)
def read_dataset_page(
    request: Request, session: SessionDep, user: CurrentUser, dataset_id: Id
) -> HTMLResponse:
    """One dataset: facts, notes, skipped files, class bars; its samples come separately."""
    try:
        dataset = service.get_dataset(session, user, dataset_id)
    except NotFound as error:
        context = {"message": error.message, "back_url": "/datasets", "back_text": "All datasets"}
        return render_page(request, "not_found", context, status_code=404)
    return render_page(request, "dataset", {"dataset": dataset, "bars": _bars(dataset)})


@router.get("/datasets/{dataset_id}/samples", response_class=HTMLResponse)
def read_dataset_samples_fragment(
    request: Request,
    session: SessionDep,
    paths: PathsDep,
    user: CurrentUser,
    dataset_id: Id,
    split: Annotated[Literal["train", "test"], Query()] = "train",
) -> HTMLResponse:
    """The sample grid (a fragment): a few images of one split, spread over the classes."""
    shown = service.read_samples(session, paths, user, dataset_id, n=SAMPLES, split=split)
    context = {"samples": shown, "split": split}
    return templates.TemplateResponse(request, "partials/_samples.html", context)


@router.delete("/datasets/{dataset_id}", response_class=HTMLResponse)
def delete_dataset_row(
    request: Request, session: SessionDep, paths: PathsDep, user: CurrentUser, dataset_id: Id
) -> Response:
    """Delete a dataset. From its own page: go to the list; from a row: the row goes."""
    name = service.get_dataset(session, user, dataset_id).name
    service.delete_dataset(session, paths, user, dataset_id)
    if request.headers.get("HX-Trigger") == "delete-dataset":  # the button on its own page
        return Response(status_code=200, headers={"HX-Redirect": "/datasets"})
    flash = {"message": f"Deleted “{name}”.", "kind": "ok"}
    return HTMLResponse(render_fragment("_flash_oob", flash))
