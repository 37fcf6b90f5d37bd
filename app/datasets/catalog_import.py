"""Turning a catalog entry's verified files into the user's dataset, with the split the
dataset defines (its own train and test files) and its class names, through the same parsers,
budgets and all-or-nothing registration as an upload."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sqlmodel import Session, select

from app.accounts import quotas
from app.config import Settings
from app.datasets import store
from app.datasets.base import DatasetError, Options, Parsed, Upload
from app.datasets.catalog_cifar import parse_cifar
from app.datasets.catalog_download import BadDownload, Downloaded
from app.datasets.catalog_sources import CIFAR, CatalogEntry
from app.models import Dataset, User


def options_for(entry: CatalogEntry, settings: Settings) -> Options:
    """The entry's class names, and the server's limits (as for an upload)."""
    return Options(
        class_names=list(entry.class_names),
        max_classes=settings.max_classes,
        max_bytes=settings.max_dataset_bytes,
        max_samples=settings.max_dataset_images,
        max_image_pixels=settings.max_image_pixels,
    )


def parse(entry: CatalogEntry, files: list[Downloaded], options: Options, work: Path) -> Parsed:
    """Arrays under work/arrays from files whose SHA-256 was checked already. A file that
    matches its checksum but cannot be read means the catalog's table is wrong: 502, as for a
    bad download (the request was fine); over a budget stays 413."""
    uploads = [Upload(f.path, f.file.name) for f in files]
    try:
        if entry.kind == CIFAR:
            arrays = work / "arrays"
            arrays.mkdir()
            return parse_cifar(uploads, options, arrays, entry.batch_size)
        parsed, _ = store.parse_upload(entry.kind, uploads, options, work)
        return parsed
    except DatasetError as error:
        if error.status == 422:
            raise BadDownload(f"{entry.title}'s files could not be read: {error.message}") from None
        raise


def register(
    session: Session, settings: Settings, user: User, entry: CatalogEntry, parsed: Parsed,
    work: Path, source: str,
) -> Dataset:  # fmt: skip
    """The arrays become the user's dataset; a copy another process added first wins."""
    arrays = work / "arrays"
    quotas.check_storage(session, settings, user, adding=quotas.folder_size(arrays))
    parsed = dataclasses.replace(parsed, class_names=list(entry.class_names))
    incoming = store.Incoming(
        entry.title, entry.kind, source, owner_id=user.id, catalog_name=entry.name
    )
    try:
        return store.register(session, settings.paths, incoming, parsed, arrays)
    except Exception:
        existing = find(session, user, entry.name)  # the unique (owner, catalog_name) held
        if existing is None:
            raise
        return existing


def find(session: Session, user: User, name: str) -> Dataset | None:
    query = select(Dataset).where(Dataset.owner_id == user.id, Dataset.catalog_name == name)
    return session.exec(query).first()
