"""Registering a dataset: parse into a work folder, split, describe, then move the arrays into
place and commit the row together, so that a failure leaves no row and no stray files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from app.accounts.quotas import folder_size
from app.datasets import digits
from app.datasets.base import DatasetError, Options, Parsed, Upload
from app.datasets.describe import describe
from app.datasets.split import carve_test_split
from app.models import Dataset, DatasetFormat
from app.paths import DataPaths

Parser = Callable[[list[Upload], Options, Path], Parsed]
DEFAULT_TEST_FRACTION = 0.2


def _parsers() -> dict[str, Parser]:
    # Imported on first use: the parsers pull in PIL, zip and gzip handling the web app's
    # start-up does not need.
    from app.datasets.csvfile import parse_csv
    from app.datasets.folders import parse_folders
    from app.datasets.idx import parse_idx
    from app.datasets.npz import parse_npz

    return {
        DatasetFormat.ZIP: parse_folders,
        DatasetFormat.IDX: parse_idx,
        DatasetFormat.CSV: parse_csv,
        DatasetFormat.NPZ: parse_npz,
    }


@dataclass(frozen=True)
class Incoming:
    name: str
    format: str
    source: str
    test_fraction: float | None = None
    builtin: str | None = None
    owner_id: int | None = None  # None only for built-in data
    catalog_name: str | None = None  # added from the tutorial catalog


def _check_classes(parsed: Parsed, counts: list[int]) -> None:
    present = [name for name, count in zip(parsed.class_names, counts, strict=True) if count]
    if len(present) < 2:
        found = f"only class {present[0]!r}" if present else "no labelled samples"
        raise DatasetError(
            f"Found {found}: a classifier needs at least 2 classes. Check the labels "
            f"(or, for a zip, that there is one folder per class)."
        )


def _split(folder: Path, parsed: Parsed, fraction: float | None) -> dict[str, object]:
    notes: dict[str, object] = {}
    if "test" in parsed.splits:
        if fraction:
            notes["test_fraction"] = "ignored: the upload has its own test split"
    elif (fraction if fraction is not None else DEFAULT_TEST_FRACTION) > 0:
        carve_test_split(folder, fraction if fraction is not None else DEFAULT_TEST_FRACTION)
    return notes


def register(
    session: Session, paths: DataPaths, incoming: Incoming, parsed: Parsed, arrays: Path
) -> Dataset:
    """Split and describe the arrays a parser wrote, then make them a dataset, all or nothing."""
    notes = {**parsed.notes, **_split(arrays, parsed, incoming.test_fraction)}
    facts = describe(arrays, len(parsed.class_names))
    counts = facts.pop("counts")
    _check_classes(parsed, [sum(c) for c in zip(*facts["class_counts"].values(), strict=True)])
    background = facts.pop("background")
    if background:
        notes["background"] = background
    dataset = Dataset(
        owner_id=incoming.owner_id,
        size_bytes=folder_size(arrays),
        name=incoming.name,
        format=incoming.format,
        source=incoming.source[:500],
        builtin=incoming.builtin,
        catalog_name=incoming.catalog_name,
        num_train=counts["train"],
        num_test=counts.get("test", 0),
        class_names=parsed.class_names,
        skipped=parsed.skipped,
        notes=notes,
        **facts,
    )
    session.add(dataset)
    session.flush()
    assert dataset.id is not None
    final = paths.dataset(dataset.id)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        arrays.replace(final)
        session.commit()
    except BaseException:
        session.rollback()
        shutil.rmtree(final, ignore_errors=True)
        raise
    session.refresh(dataset)
    return dataset


def parse_upload(
    kind: str, files: list[Upload], options: Options, work: Path
) -> tuple[Parsed, Path]:
    """Parse uploaded files (already in `work`) into arrays under `work`; (what, where)."""
    arrays = work / "arrays"
    arrays.mkdir()
    return _parsers()[kind](files, options, arrays), arrays


def ensure_builtin(session: Session, paths: DataPaths) -> None:
    """Register the built-in digits once, on first start (no network needed)."""
    if session.exec(select(Dataset).where(Dataset.builtin == digits.KEY)).first():
        return
    work = paths.tmp / "builtin-digits"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        incoming = Incoming(digits.NAME, DatasetFormat.BUILTIN, digits.SOURCE, builtin=digits.KEY)
        register(session, paths, incoming, digits.parse_digits(work), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def clean_leftovers(session: Session, paths: DataPaths) -> None:
    """After a crash: drop work folders and dataset folders that no row points to."""
    shutil.rmtree(paths.tmp, ignore_errors=True)
    root = paths.datasets
    if not root.exists():
        return
    known = {str(i) for i in session.exec(select(Dataset.id)).all()}
    for folder in root.iterdir():
        if folder.name not in known:
            shutil.rmtree(folder, ignore_errors=True)


def delete_dataset(session: Session, paths: DataPaths, dataset: Dataset) -> None:
    """The row, then its arrays (a crash in between leaves a folder that start-up removes)."""
    assert dataset.id is not None
    folder = paths.dataset(dataset.id)
    session.delete(dataset)
    session.commit()
    shutil.rmtree(folder, ignore_errors=True)
