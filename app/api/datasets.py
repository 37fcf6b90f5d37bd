"""Datasets: the built-in digits and uploads (zip of class folders, IDX, CSV, NPZ)."""

from __future__ import annotations

import shutil
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, Response, UploadFile
from fastapi.responses import FileResponse
from sqlmodel import col, func, select

from app.datasets.base import DatasetError, Upload, load_split
from app.datasets.detect import FORMATS, detect_format
from app.datasets.options import parse_options
from app.datasets.samples import samples, write_npz
from app.datasets.store import Incoming, dataset_dir, delete_dataset, import_upload, work_root
from app.deps import SessionDep, SettingsDep
from app.models import Dataset, DatasetPublic, DatasetsPublic, Run

router = APIRouter(prefix="/datasets", tags=["datasets"])


def _get(session: SessionDep, dataset_id: int) -> Dataset:
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise HTTPException(404, f"No dataset with id {dataset_id}.")
    return dataset


@router.get("", response_model=DatasetsPublic)
def read_datasets(session: SessionDep, offset: int = 0, limit: int = 100) -> Any:
    """All datasets, the built-in ones first, then newest first."""
    count = session.exec(select(func.count()).select_from(Dataset)).one()
    order = (col(Dataset.builtin).is_(None), col(Dataset.id).desc())
    rows = session.exec(select(Dataset).order_by(*order).offset(offset).limit(limit)).all()
    return DatasetsPublic(data=rows, count=count)  # type: ignore[arg-type]


@router.post("", response_model=DatasetPublic, status_code=201)
def create_dataset(
    session: SessionDep,
    settings: SettingsDep,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    files: Annotated[list[UploadFile], File(description="The file(s) to import")],
    format: Annotated[
        str | None,
        Form(description=f"One of {', '.join(FORMATS)}; detected from the content when left out"),
    ] = None,
    image_size: Annotated[str | None, Form(description="e.g. 28,28 (height,width)")] = None,
    color_mode: Annotated[str | None, Form(description="grayscale or rgb")] = None,
    label_column: Annotated[str, Form(description="CSV label column")] = "label",
    test_fraction: Annotated[float | None, Form(ge=0, lt=1)] = None,
    class_names: Annotated[str | None, Form(description="comma-separated, label order")] = None,
) -> Any:
    """Import an upload as a dataset; its arrays are stored once, on disk."""
    options = parse_options(image_size, color_mode, label_column, class_names)
    work = work_root(settings) / uuid.uuid4().hex
    work.mkdir(parents=True)
    try:
        uploads = _save_uploads(files, work)
        kind = _format(format, uploads)
        source = ", ".join(f.filename or "(unnamed)" for f in files)
        incoming = Incoming(name, kind, source, test_fraction)
        return import_upload(session, settings, incoming, uploads, options, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _save_uploads(files: list[UploadFile], work: Any) -> list[Upload]:
    """Copy each upload to the work folder under a name of ours (never the client's)."""
    uploads = []
    for i, upload in enumerate(files):
        path = work / f"upload-{i}"
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out, 1024 * 1024)
        if path.stat().st_size == 0:
            raise DatasetError(f"{upload.filename!r} is empty (0 bytes).")
        uploads.append(Upload(path, upload.filename or f"file {i + 1}"))
    return uploads


def _format(given: str | None, uploads: list[Upload]) -> str:
    if given is None:
        return detect_format(uploads)
    kind = {"folders": "zip", "mnist": "idx"}.get(given.lower(), given.lower())
    if kind not in FORMATS:
        raise DatasetError(
            f"Unknown format {given!r}: use one of {', '.join(FORMATS)}, or leave it out to "
            f"detect it from the content.",
            field="format",
        )
    return kind


@router.get("/{dataset_id}", response_model=DatasetPublic)
def read_dataset(dataset_id: int, session: SessionDep) -> Any:
    """One dataset, with its class names and per-class counts."""
    return _get(session, dataset_id)


@router.get("/{dataset_id}/samples")
def read_dataset_samples(
    dataset_id: int,
    session: SessionDep,
    settings: SettingsDep,
    n: Annotated[int, Query(ge=1, le=200)] = 16,
    split: Annotated[str, Query(pattern="^(train|test)$")] = "train",
) -> dict[str, Any]:
    """A few samples spread over the classes, each as a PNG data URL (null for non-images)."""
    dataset = _get(session, dataset_id)
    loaded = load_split(dataset_dir(settings, dataset_id), split)
    if loaded is None:
        raise HTTPException(404, f"Dataset {dataset_id} has no {split} split.")
    x, y = loaded
    shown = samples(x, y, dataset.class_names, n, dataset.value_min, dataset.value_max)
    return {"dataset_id": dataset_id, "split": split, "samples": shown}


@router.get("/{dataset_id}/export.npz")
def export_dataset(dataset_id: int, session: SessionDep, settings: SettingsDep) -> FileResponse:
    """The arrays as keras.datasets returns them (x_train, y_train, x_test, y_test) and the
    class names, for scripts exported from runs."""
    _get(session, dataset_id)
    path = write_npz(dataset_dir(settings, dataset_id), session.get(Dataset, dataset_id))
    return FileResponse(path, media_type="application/octet-stream",
                        filename=f"dataset-{dataset_id}.npz")  # fmt: skip


@router.delete("/{dataset_id}", status_code=204)
def delete_dataset_route(dataset_id: int, session: SessionDep, settings: SettingsDep) -> Response:
    """Delete a dataset and its files."""
    dataset = _get(session, dataset_id)
    active = session.exec(
        select(Run.id).where(
            Run.dataset_id == dataset_id, col(Run.status).in_(("queued", "running"))
        )
    ).all()
    if active:
        raise HTTPException(
            409,
            f"Dataset {dataset_id} is in use by run(s) "
            f"{', '.join(map(str, active))}; cancel them or wait until "
            f"they finish.",
        )
    if dataset.builtin:
        raise HTTPException(
            409,
            f"Dataset {dataset_id} ({dataset.name}) is built in and "
            f"comes back at every start; it cannot be deleted.",
        )
    delete_dataset(session, settings, dataset)
    return Response(status_code=204)
