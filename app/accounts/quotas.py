"""Fair use: each user's active runs, storage and datasets against their quotas (the server's
defaults, QUOTA_*, or an admin's per-user override). Over a quota is a 409 (runs, datasets)
or a 413 (storage) that says what is used and what the limit is.

Quotas share a server among people, so they hold in accounts mode; AUTH=none is one person
on their own machine, limited only by its disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from app.config import Settings
from app.errors import Conflict, TooLarge
from app.models import ACTIVE, Dataset, Run, Usage, User


def usage(session: Session, user: User) -> Usage:
    def count(table: type[Run] | type[Dataset], *where: Any) -> int:
        query = select(func.count()).select_from(table).where(table.owner_id == user.id, *where)
        return int(session.exec(query).one())

    def size(table: type[Run] | type[Dataset]) -> int:
        query = select(func.coalesce(func.sum(table.size_bytes), 0))
        return int(session.exec(query.where(table.owner_id == user.id)).one())

    return Usage(
        active_runs=count(Run, col(Run.status).in_(ACTIVE)),
        storage_bytes=size(Run) + size(Dataset),
        datasets=count(Dataset),
    )


def limits(settings: Settings, user: User) -> Usage:
    def pick(own: int | None, default: int) -> int:
        return default if own is None else own

    return Usage(
        active_runs=pick(user.quota_active_runs, settings.quota_active_runs),
        storage_bytes=pick(user.quota_storage_bytes, settings.quota_storage_bytes),
        datasets=pick(user.quota_datasets, settings.quota_datasets),
    )


def _human(size: int) -> str:
    for unit, step in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= step:
            return f"{size / step:.1f} {unit}"
    return f"{size} bytes"


def check_active_runs(
    session: Session, settings: Settings, user: User, counting_new: bool = False
) -> None:
    """Room for one more run (`counting_new`: the new one is already saved and counted)."""
    if not settings.accounts:
        return
    used, limit = usage(session, user).active_runs, limits(settings, user).active_runs
    if used - counting_new >= limit:
        raise Conflict(
            f"You have {used - counting_new} runs queued or running; your limit is {limit} "
            f"(QUOTA_ACTIVE_RUNS "
            f"or your own quota). Wait for one to finish, or cancel one."
        )


def check_datasets(session: Session, settings: Settings, user: User) -> None:
    if not settings.accounts:
        return
    used, limit = usage(session, user).datasets, limits(settings, user).datasets
    if used >= limit:
        raise Conflict(
            f"You have {used} datasets; your limit is {limit} (QUOTA_DATASETS or your own "
            f"quota). Delete one you no longer need."
        )


def check_storage(session: Session, settings: Settings, user: User, adding: int = 0) -> None:
    if not settings.accounts:
        return
    used, limit = usage(session, user).storage_bytes, limits(settings, user).storage_bytes
    if used + adding > limit:
        more = f" and this would add {_human(adding)}" if adding else ""
        raise TooLarge(
            f"Your datasets and runs use {_human(used)}{more}; your storage limit is "
            f"{_human(limit)} (QUOTA_STORAGE_BYTES or your own quota). Delete datasets or "
            f"runs you no longer need."
        )


def folder_size(folder: Path) -> int:
    """Bytes in the files under `folder` (0 when it does not exist)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0
