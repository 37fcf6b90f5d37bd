"""The tutorial catalog as the API and the datasets page use it: what can be added and how
far each addition is, and adding one (idempotent: a second request joins the first, in this
web process or another one)."""

from __future__ import annotations

import time

from sqlmodel import Session

from app.accounts import quotas
from app.config import Settings
from app.datasets import catalog_download, catalog_rows, catalog_sources
from app.datasets.base import DatasetError
from app.datasets.catalog_import import find
from app.datasets.catalog_jobs import CatalogJobs
from app.datasets.catalog_sources import CatalogEntry
from app.errors import ServiceError, disk_full_is_507
from app.models import CatalogJob, User
from app.models.datasets import CatalogItemPublic, CatalogPublic
from app.models.enums import CatalogStage, CatalogState


def catalog_entries(settings: Settings) -> dict[str, CatalogEntry]:
    return catalog_sources.entries(settings.datasets_extra_catalog)


def read_catalog(
    session: Session, settings: Settings, jobs: CatalogJobs, user: User
) -> CatalogPublic:
    """Every entry, with the user's copy or addition in progress."""
    items = [_item(session, jobs, user, e) for e in catalog_entries(settings).values()]
    return CatalogPublic(data=items, mirror=settings.datasets_mirror)


def _item(
    session: Session, jobs: CatalogJobs, user: User, entry: CatalogEntry
) -> CatalogItemPublic:
    assert user.id is not None
    item = CatalogItemPublic(
        name=entry.name,
        title=entry.title,
        description=entry.description,
        download_bytes=entry.approx_bytes,
        state=CatalogState.ABSENT,
    )
    job = jobs.get(user.id, entry.name)
    running_here = job is not None and job.running
    row = None if running_here else catalog_rows.read(session, user.id, entry.name)
    if row is not None and (job is None or row.process != jobs.process):
        _from_row(item, row)  # the latest try ran, or runs, in another web process
    elif job is not None and (job.running or job.status is not None):
        item.stage, item.bytes_done, item.bytes_total = job.stage, job.bytes_done, job.bytes_total
        item.state = CatalogState.ADDING if job.running else CatalogState.FAILED
        item.error, item.error_status = job.error, job.status
    dataset = None if item.state == CatalogState.ADDING else find(session, user, entry.name)
    if dataset is not None:
        item.state, item.dataset_id = CatalogState.PRESENT, dataset.id
        item.error = item.error_status = None
    return item


def _from_row(item: CatalogItemPublic, row: CatalogJob) -> None:
    if row.stage == CatalogStage.DONE:
        return  # the dataset itself says it is present (or absent, if deleted since)
    item.stage, item.bytes_done, item.bytes_total = (
        CatalogStage(row.stage), row.bytes_done, row.bytes_total,
    )  # fmt: skip
    if catalog_rows.is_running(row):
        item.state = CatalogState.ADDING
    elif row.stage == CatalogStage.FAILED:
        item.state, item.error, item.error_status = CatalogState.FAILED, row.error, row.error_status
    else:  # its process stopped writing: it is gone
        item.state, item.error, item.error_status = CatalogState.FAILED, catalog_rows.GONE, 503


@disk_full_is_507("the tutorial dataset's work folder")
def add_from_catalog(
    session: Session, settings: Settings, jobs: CatalogJobs, user: User, name: str, *, wait: bool
) -> CatalogItemPublic:
    """Start adding `name` for the user, or join the addition under way, or find the copy
    they have. Unreachable source: 503 at once, naming DATASETS_MIRROR."""
    entries = catalog_entries(settings)
    entry = entries.get(name)
    if entry is None:
        raise DatasetError(
            f"There is no tutorial dataset named {name!r}; choose one of {', '.join(entries)}.",
            field="name",
        )
    assert user.id is not None
    job = jobs.get(user.id, name)
    joined = False  # an addition running in another web process
    if (job is None or not job.running) and find(session, user, name) is None:
        row = catalog_rows.read(session, user.id, name)
        joined = row is not None and catalog_rows.is_running(row)
        if not joined:
            quotas.check_datasets(session, settings, user)
            quotas.check_storage(session, settings, user)
            source = catalog_download.source_for(entry, settings.datasets_mirror)
            total = catalog_download.total_bytes(source, entry.files)  # reachable? 503 if not
            job = jobs.start(user, entry, source, total)
            joined = job is None  # another process claimed it a moment before us
    if wait and job is not None and not joined:
        session.rollback()  # no transaction held open while the download runs
        job.finished.wait()
        _raise_failure(job.stage, job.error, job.status)
    elif wait and joined:
        session.rollback()
        _raise_failure(*_wait_elsewhere(session, user.id, name))
    session.expire_all()
    return _item(session, jobs, user, entry)


def _wait_elsewhere(
    session: Session, owner_id: int, name: str
) -> tuple[CatalogStage, str | None, int | None]:
    """How an addition running in another process ended (stage, error, status); failed
    with 503 if that process went away first."""
    while True:
        session.expire_all()
        row = catalog_rows.read(session, owner_id, name)
        assert row is not None  # rows go only with their user
        ended = (CatalogStage(row.stage), row.error, row.error_status)
        running = catalog_rows.is_running(row)
        session.rollback()  # no transaction held open between looks
        if not running:
            if ended[0] in catalog_rows.ENDED:
                return ended
            return CatalogStage.FAILED, catalog_rows.GONE, 503
        time.sleep(catalog_rows.HEARTBEAT_S / 2)


def _raise_failure(stage: CatalogStage, message: str | None, status: int | None) -> None:
    if status is not None and stage == CatalogStage.FAILED:
        error = ServiceError(message or "The addition failed.")
        error.status = status
        raise error
