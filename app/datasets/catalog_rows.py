"""The catalog jobs' shared state (app/models/catalog_jobs.py), so that every web process
sees one addition: the process that runs a job claims its row, writes its stage and bytes
with a heartbeat while it runs and its outcome when it ends; the others read it. A row whose
heartbeat stopped belongs to a process that is gone: its try failed, and a new one may claim
it (as a lease is taken over, app/executors/lease.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.models import CatalogJob, utcnow
from app.models.common import as_utc
from app.models.enums import CatalogStage

HEARTBEAT_S = 1.0  # how often the adding process writes its jobs' progress
STALE_S = 15.0  # a row not written for this long: the process adding it is gone
ENDED = (CatalogStage.DONE, CatalogStage.FAILED)
GONE = (
    "The server process that was adding it stopped before it finished; nothing of it was "
    "kept. Add it again."
)


def read(session: Session, owner_id: int, name: str) -> CatalogJob | None:
    query = select(CatalogJob).where(CatalogJob.owner_id == owner_id, CatalogJob.name == name)
    return session.exec(query).first()


def is_running(row: CatalogJob) -> bool:
    """Under way in a live process (its heartbeat is recent and it has not ended)."""
    fresh = as_utc(row.heartbeat_at) >= utcnow() - timedelta(seconds=STALE_S)
    return row.stage not in ENDED and fresh


def claim(engine: Engine, owner_id: int, name: str, process: str, total: int | None) -> bool:
    """Make the row `process`'s new try: a new row, or one whose try ended or whose process
    is gone. False when another live process is adding it (join that one instead)."""
    now = utcnow()
    fresh: dict[str, Any] = {
        "stage": CatalogStage.STARTING.value, "bytes_done": 0, "bytes_total": total,
        "error": None, "error_status": None, "process": process, "heartbeat_at": now,
    }  # fmt: skip
    with Session(engine) as session:
        row = read(session, owner_id, name)
        if row is None:
            session.add(CatalogJob(owner_id=owner_id, name=name, **fresh))
            try:
                session.commit()
            except IntegrityError:  # another process inserted it first
                return False
            return True
        taken = session.execute(
            update(CatalogJob)
            .where(
                col(CatalogJob.id) == row.id,
                col(CatalogJob.process) == row.process,  # unchanged since we read it
                or_(
                    col(CatalogJob.stage).in_([s.value for s in ENDED]),
                    col(CatalogJob.heartbeat_at) < now - timedelta(seconds=STALE_S),
                ),
            )
            .values(**fresh)
            # the row read above has a naive time on SQLite: no comparing in Python
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        session.commit()
    return bool(taken)


def write(
    engine: Engine,
    owner_id: int,
    name: str,
    process: str,
    stage: CatalogStage,
    bytes_done: int,
    error: str | None = None,
    error_status: int | None = None,
) -> None:
    """`process`'s progress (and heartbeat), or its outcome; nothing if its row was taken
    by another process or has ended."""
    with Session(engine) as session:
        session.execute(
            update(CatalogJob)
            .where(
                col(CatalogJob.owner_id) == owner_id,
                col(CatalogJob.name) == name,
                col(CatalogJob.process) == process,
                # once ended, a row stays so: a heartbeat read before the end comes too late
                col(CatalogJob.stage).not_in([s.value for s in ENDED]),
            )
            .values(
                stage=stage.value,
                bytes_done=bytes_done,
                error=error,
                error_status=error_status,
                heartbeat_at=utcnow(),
            )
        )
        session.commit()
