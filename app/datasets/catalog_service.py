"""The tutorial catalog as the API and the datasets page use it: what can be added and how
far each addition is, and adding one (idempotent: a second request joins the first)."""

from __future__ import annotations

from sqlmodel import Session

from app.accounts import quotas
from app.config import Settings
from app.datasets import catalog_download, catalog_sources
from app.datasets.base import DatasetError
from app.datasets.catalog_import import find
from app.datasets.catalog_jobs import CatalogJobs, Job
from app.datasets.catalog_sources import CatalogEntry
from app.errors import ServiceError, disk_full_is_507
from app.models import User
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
    if job is not None and (job.running or job.status is not None):
        item.stage, item.bytes_done, item.bytes_total = job.stage, job.bytes_done, job.bytes_total
        item.state = CatalogState.ADDING if job.running else CatalogState.FAILED
        item.error, item.error_status = job.error, job.status
    dataset = None if item.state == CatalogState.ADDING else find(session, user, entry.name)
    if dataset is not None:
        item.state, item.dataset_id = CatalogState.PRESENT, dataset.id
        item.error = item.error_status = None
    return item


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
    if (job is None or not job.running) and find(session, user, name) is None:
        quotas.check_datasets(session, settings, user)
        quotas.check_storage(session, settings, user)
        source = catalog_download.source_for(entry, settings.datasets_mirror)
        total = catalog_download.total_bytes(source, entry.files)  # reachable? 503 if not
        job, _ = jobs.start(user, entry, source, total)
    if wait and job is not None:
        session.rollback()  # no transaction held open while the download runs
        job.finished.wait()
        _raise_failure(job)
    session.expire_all()
    return _item(session, jobs, user, entry)


def _raise_failure(job: Job) -> None:
    if job.status is not None and job.stage == CatalogStage.FAILED:
        error = ServiceError(job.error or "The addition failed.")
        error.status = job.status
        raise error
