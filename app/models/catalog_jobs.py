"""A tutorial dataset being added, as every web process sees it: the job runs in one process
(app/datasets/catalog_jobs.py), which writes its stage, bytes and a heartbeat here, so a
page polled through another process (WEB_WORKERS > 1) shows the same progress, and a second
click there joins it rather than downloading again. One row per (user, entry): the last try."""

from datetime import datetime

from sqlalchemy import DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.common import BigInt, utcnow


class CatalogJob(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("owner_id", "name", name="catalogjob_owner_name"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInt)
    owner_id: int = Field(foreign_key="user.id", ondelete="CASCADE", index=True, sa_type=BigInt)
    name: str = Field(max_length=50)
    stage: str = Field(max_length=20)  # a CatalogStage
    bytes_done: int = Field(default=0, sa_type=BigInt)
    bytes_total: int | None = Field(default=None, sa_type=BigInt)
    error: str | None = Field(default=None, max_length=2000)
    error_status: int | None = None
    process: str = Field(max_length=100)  # the web process running it: host, pid, a nonce
    heartbeat_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
