"""Datasets as the API and the pages use them: list, import an upload, read, sample, export,
delete. Routes parse and shape answers; the decisions (what may be deleted, where files go)
are made here."""

from __future__ import annotations

import dataclasses
import shutil
import uuid
from pathlib import Path
from typing import IO, Any, BinaryIO

from sqlmodel import Session, col, func, select

from app.accounts import quotas
from app.accounts.ownership import can_see, visible
from app.config import Settings
from app.datasets import store
from app.datasets.base import DatasetError, Options, Upload, load_split, too_many_classes
from app.datasets.detect import detect_format
from app.datasets.export import npz_file
from app.datasets.samples import samples
from app.errors import Conflict, NotFound, disk_full_is_507
from app.models import ACTIVE, UPLOAD_FORMATS, Dataset, DatasetFormat, DatasetsPublic, Run, User
from app.paths import DataPaths

# Names people use for the formats, besides our own.
FORMAT_ALIASES = {"folders": DatasetFormat.ZIP, "mnist": DatasetFormat.IDX}
COPY_CHUNK = 1024 * 1024


def _shared() -> Any:
    return col(Dataset.builtin).is_not(None)  # built-in data: everyone reads it


def list_datasets(
    session: Session, user: User, *, offset: int = 0, limit: int = 100
) -> DatasetsPublic:
    """The built-in ones first, then the user's (an admin: everyone's), newest first."""
    query = visible(select(Dataset), Dataset, user, _shared())
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    order = (col(Dataset.builtin).is_(None), col(Dataset.id).desc())
    rows = session.exec(query.order_by(*order).offset(offset).limit(limit)).all()
    return DatasetsPublic(data=rows, count=count)  # type: ignore[arg-type]


def get_dataset(session: Session, user: User, dataset_id: int) -> Dataset:
    dataset = session.get(Dataset, dataset_id)
    if dataset is None or not can_see(dataset, user, shared=dataset.builtin is not None):
        raise NotFound(f"No dataset with id {dataset_id}.")
    return dataset


@disk_full_is_507("the uploaded dataset (its files, arrays and database row)")
def create_dataset(
    session: Session,
    settings: Settings,
    user: User,
    *,
    name: str,
    files: list[tuple[str | None, BinaryIO]],
    format: str | None,
    options: Options,
    test_fraction: float | None,
) -> Dataset:
    """Import uploaded files (name, stream) as the user's dataset: all of it, or nothing."""
    quotas.check_datasets(session, settings, user)
    quotas.check_storage(session, settings, user)
    options = _with_limits(options, settings)
    paths = settings.paths
    work = paths.tmp / uuid.uuid4().hex
    work.mkdir(parents=True)
    try:
        uploads = _save_uploads(files, work)
        kind = parse_format(format) if format is not None else detect_format(uploads)
        source = ", ".join(filename or "(unnamed)" for filename, _ in files)
        incoming = store.Incoming(name, kind, source, test_fraction, owner_id=user.id)
        parsed, arrays = store.parse_upload(kind, uploads, options, work)
        quotas.check_storage(session, settings, user, adding=quotas.folder_size(arrays))
        return store.register(session, paths, incoming, parsed, arrays)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _with_limits(options: Options, settings: Settings) -> Options:
    """The options the parsers get: the user's, and the server's limits they must keep."""
    names = options.class_names
    if names is not None and len(names) > settings.max_classes:
        error = too_many_classes("class_names", f"{len(names):,} names", settings.max_classes)
        error.field = "class_names"
        raise error
    return dataclasses.replace(
        options,
        max_classes=settings.max_classes,
        max_bytes=settings.max_dataset_bytes,
        max_samples=settings.max_dataset_images,
        max_image_pixels=settings.max_image_pixels,
    )


def _save_uploads(files: list[tuple[str | None, BinaryIO]], work: Path) -> list[Upload]:
    """Copy each upload to the work folder under a name of ours (never the client's)."""
    uploads = []
    for i, (filename, stream) in enumerate(files):
        path = work / f"upload-{i}"
        with path.open("wb") as out:
            shutil.copyfileobj(stream, out, COPY_CHUNK)
        if path.stat().st_size == 0:
            raise DatasetError(f"{filename!r} is empty (0 bytes).")
        uploads.append(Upload(path, filename or f"file {i + 1}"))
    return uploads


def parse_format(given: str) -> DatasetFormat:
    wanted = given.lower()
    kind = FORMAT_ALIASES.get(wanted) or next((f for f in UPLOAD_FORMATS if f == wanted), None)
    if kind is None:
        raise DatasetError(
            f"Unknown format {given!r}: use one of {', '.join(UPLOAD_FORMATS)}, or leave it out "
            f"to detect it from the content.",
            field="format",
        )
    return kind


def read_samples(
    session: Session, paths: DataPaths, user: User, dataset_id: int, *, n: int, split: str
) -> list[dict]:
    """n samples spread over the classes, each as a PNG data URL (None for non-images)."""
    dataset = get_dataset(session, user, dataset_id)
    loaded = load_split(paths.dataset(dataset_id), split)
    if loaded is None:
        raise NotFound(f"Dataset {dataset_id} has no {split} split.")
    x, y = loaded
    return samples(x, y, dataset.class_names, n, dataset.value_min, dataset.value_max)


def export_dataset(session: Session, paths: DataPaths, user: User, dataset_id: int) -> IO[bytes]:
    """The arrays as one .npz (x_train, y_train, x_test, y_test, class_names), in a
    temporary file the caller closes: exporting writes nothing under DATA_DIR."""
    dataset = get_dataset(session, user, dataset_id)
    return npz_file(paths.dataset(dataset_id), dataset.class_names)


def delete_dataset(session: Session, paths: DataPaths, user: User, dataset_id: int) -> None:
    """Delete a dataset and its files, unless a run still needs it or it is built in."""
    dataset = get_dataset(session, user, dataset_id)
    active = session.exec(
        select(Run.id).where(Run.dataset_id == dataset_id, col(Run.status).in_(ACTIVE))
    ).all()
    if active:
        raise Conflict(
            f"Dataset {dataset_id} is in use by run(s) {', '.join(map(str, active))}; cancel "
            f"them or wait until they finish."
        )
    if dataset.builtin:
        raise Conflict(
            f"Dataset {dataset_id} ({dataset.name}) is built in and comes back at every start; "
            f"it cannot be deleted."
        )
    store.delete_dataset(session, paths, dataset)
