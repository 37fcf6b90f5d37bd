"""Training runs: a snapshot of what is trained, its state, and its metrics as rows."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.common import UTCDateTime, utcnow

STATUSES = ("queued", "running", "completed", "failed", "cancelled", "interrupted")
FINISHED = ("completed", "failed", "cancelled", "interrupted")
RESUMABLE = ("cancelled", "interrupted")


class Run(SQLModel, table=True):
    __table_args__ = (CheckConstraint(f"status IN {STATUSES}", name="run_status"),)

    id: int | None = Field(default=None, primary_key=True)
    architecture_id: int | None = Field(
        default=None, foreign_key="architecture.id", ondelete="SET NULL", index=True
    )
    # Kept when its dataset is deleted later: the run's snapshot has what prediction needs.
    dataset_id: int | None = Field(
        default=None, foreign_key="dataset.id", ondelete="SET NULL", index=True
    )
    status: str = Field(default="queued", max_length=20, index=True)
    # What was trained, frozen at submission: editing the architecture later changes nothing.
    stack: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    fit: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    preprocessing: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    progress: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    test_metrics: dict[str, float] | None = Field(default=None, sa_column=Column(JSON))
    confusion: list[list[int]] | None = Field(default=None, sa_column=Column(JSON))
    error: str | None = Field(default=None, max_length=4000)
    epochs_done: int = 0
    cancel_requested: bool = False
    worker: str | None = Field(default=None, max_length=100)
    version: int = 0  # bumped on every change, so watchers know when to look
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    started_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class RunMetric(SQLModel, table=True):
    """One logged value: (run, key, epoch) -> value, as Keras logged it at that epoch's end."""

    __table_args__ = (UniqueConstraint("run_id", "key", "step", name="run_metric_key_step"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", ondelete="CASCADE", index=True)
    key: str = Field(max_length=100)
    step: int
    value: float
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class RunPublic(SQLModel):
    id: int
    architecture_id: int | None
    dataset_id: int | None
    status: str
    stack: dict[str, Any]
    fit: dict[str, Any]
    preprocessing: dict[str, Any]
    progress: dict[str, Any]
    history: list[dict[str, Any]]
    test_metrics: dict[str, float] | None
    confusion: list[list[int]] | None
    per_class_accuracy: list[float | None] | None
    error: str | None
    epochs_done: int
    created_at: UTCDateTime
    started_at: UTCDateTime | None
    finished_at: UTCDateTime | None


class RunsPublic(SQLModel):
    data: list[RunPublic]
    count: int
