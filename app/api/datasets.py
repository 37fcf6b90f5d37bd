"""Datasets: the built-in digits, uploads (zip of class folders, IDX, CSV, NPZ), and the
tutorial catalog (MNIST, Fashion-MNIST, CIFAR-10 added with one request)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from fastapi.responses import StreamingResponse

from app.api.downloads import temporary_download
from app.api.params import Id, Limit, Offset
from app.api.responses import BODY, described, file
from app.datasets import catalog_service, service
from app.datasets.options import parse_options
from app.deps import (
    CatalogJobsDep,
    CurrentUser,
    ImportSlotsDep,
    PathsDep,
    SessionDep,
    SettingsDep,
)
from app.models import UPLOAD_FORMATS, DatasetPublic, DatasetsPublic
from app.models.datasets import CatalogAdd, CatalogItemPublic, CatalogPublic
from app.models.enums import CatalogState

router = APIRouter(prefix="/datasets", tags=["datasets"])
NOT_FOUND = described({404: "No dataset with this id"})


@router.get("", response_model=DatasetsPublic)
def read_datasets(
    session: SessionDep,
    user: CurrentUser,
    offset: Offset = 0,
    limit: Limit = 100,
) -> Any:
    """All datasets, the built-in ones first, then newest first."""
    return service.list_datasets(session, user, offset=offset, limit=limit)


@router.post(
    "",
    response_model=DatasetPublic,
    status_code=201,
    responses=BODY
    | described(
        {
            409: "Over your dataset quota (AUTH=accounts)",
            413: "Over MAX_UPLOAD_BYTES, too much once unpacked, or over your storage quota",
            415: "Not a format Layerstack reads",
            503: "MAX_IMPORTS imports or exports are running already: try again after Retry-After",
            507: "The server's disk is full (DATA_DIR, the database or TMPDIR): nothing of the "
            "upload was kept",
        }
    ),
)
def create_dataset(
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    slots: ImportSlotsDep,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    files: Annotated[list[UploadFile], File(description="The file(s) to import")],
    format: Annotated[
        str | None,
        Form(
            description=f"One of {', '.join(UPLOAD_FORMATS)}; detected from the content when "
            f"left out"
        ),
    ] = None,
    image_size: Annotated[str | None, Form(description="e.g. 28,28 (height,width)")] = None,
    color_mode: Annotated[str | None, Form(description="grayscale or rgb")] = None,
    label_column: Annotated[str, Form(description="CSV label column")] = "label",
    test_fraction: Annotated[float | None, Form(ge=0, lt=1)] = None,
    class_names: Annotated[str | None, Form(description="comma-separated, label order")] = None,
) -> Any:
    """Import an upload as a dataset; its arrays are stored once, on disk."""
    options = parse_options(image_size, color_mode, label_column, class_names)
    with slots.hold("import"):
        return service.create_dataset(
            session,
            settings,
            user,
            name=name,
            files=[(upload.filename, upload.file) for upload in files],
            format=format,
            options=options,
            test_fraction=test_fraction,
        )


@router.get("/catalog", response_model=CatalogPublic)
def read_catalog(
    session: SessionDep, settings: SettingsDep, user: CurrentUser, jobs: CatalogJobsDep
) -> Any:
    """The tutorial datasets (MNIST, Fashion-MNIST, CIFAR-10): for each, whether you have it,
    or how far adding it has got (stage, bytes downloaded of the total), or why it failed."""
    return catalog_service.read_catalog(session, settings, jobs, user)


@router.post(
    "/catalog",
    response_model=CatalogItemPublic,
    responses=BODY
    | described(
        {
            202: "Being added: poll GET /api/datasets/catalog for its stage and bytes",
            409: "Over your dataset quota (AUTH=accounts)",
            413: "Over your storage quota, or over MAX_DATASET_BYTES / MAX_DATASET_IMAGES",
            502: "The source sent a bad file (truncated, altered: its SHA-256 is not the one in "
            "the catalog) or answered an HTTP error; nothing was kept",
            503: "The source (or DATASETS_MIRROR) cannot be reached; the answer names "
            "DATASETS_MIRROR",
            507: "The server's disk is full: nothing of the dataset was kept",
        }
    ),
)
def create_catalog_dataset(
    body: CatalogAdd,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    jobs: CatalogJobsDep,
) -> Any:
    """Add a tutorial dataset as Keras's load_data() has it (its own train/test split and
    class names), downloaded and checked against its SHA-256; 202 while it is being added,
    200 once you have it. Sending it again never downloads twice."""
    item = catalog_service.add_from_catalog(
        session, settings, jobs, user, body.name, wait=body.wait
    )
    response.status_code = 200 if item.state == CatalogState.PRESENT else 202
    return item


@router.get("/{dataset_id}", response_model=DatasetPublic, responses=NOT_FOUND)
def read_dataset(dataset_id: Id, session: SessionDep, user: CurrentUser) -> Any:
    """One dataset, with its class names and per-class counts."""
    return service.get_dataset(session, user, dataset_id)


@router.get("/{dataset_id}/samples", responses=NOT_FOUND)
def read_dataset_samples(
    dataset_id: Id,
    session: SessionDep,
    paths: PathsDep,
    user: CurrentUser,
    n: Annotated[int, Query(ge=1, le=200)] = 16,
    split: Annotated[str, Query(pattern="^(train|test)$")] = "train",
) -> dict[str, Any]:
    """A few samples spread over the classes, each as a PNG data URL (null for non-images)."""
    shown = service.read_samples(session, paths, user, dataset_id, n=n, split=split)
    return {"dataset_id": dataset_id, "split": split, "samples": shown}


@router.get(
    "/{dataset_id}/export.npz",
    response_class=StreamingResponse,
    responses=NOT_FOUND
    | described(
        {
            503: "MAX_IMPORTS imports or exports are running already: try again after Retry-After",
            507: "The server's temporary folder (TMPDIR) is full: the .npz was not built",
        }
    )
    | file("The arrays, as numpy.savez writes them", "application/octet-stream"),
)
def export_dataset(
    dataset_id: Id, session: SessionDep, paths: PathsDep, user: CurrentUser, slots: ImportSlotsDep
) -> StreamingResponse:
    """The arrays as keras.datasets returns them (x_train, y_train, x_test, y_test) and the
    class names, for scripts exported from runs."""
    with slots.hold("export"):  # building it, not sending it
        npz = service.export_dataset(session, paths, user, dataset_id)
    return temporary_download(npz, f"dataset-{dataset_id}.npz", "application/octet-stream")


@router.delete(
    "/{dataset_id}",
    status_code=204,
    responses={**NOT_FOUND, **described({409: "Built in, or used by a queued/running run"})},
)
def delete_dataset(
    dataset_id: Id, session: SessionDep, paths: PathsDep, user: CurrentUser
) -> Response:
    """Delete a dataset and its files."""
    service.delete_dataset(session, paths, user, dataset_id)
    return Response(status_code=204)
