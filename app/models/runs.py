"""Training runs: a snapshot of what is trained, its state, and its metrics as rows."""

from datetime import datetime
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy import JSON, CheckConstraint, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.common import MAX_ID, BigInt, UTCDateTime, utcnow
from app.models.enums import RunStatus
from app.models.fit import FitSettings

STATUSES = tuple(str(s) for s in RunStatus)


class RunBase(SQLModel):
    """What a run is and how it went, as stored and as answered."""

    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True, sa_type=BigInt)
    architecture_id: int | None = Field(
        default=None, foreign_key="architecture.id", ondelete="SET NULL", index=True, sa_type=BigInt
    )
    # Kept when its dataset is deleted later: the run's snapshot has what prediction needs.
    dataset_id: int | None = Field(
        default=None, foreign_key="dataset.id", ondelete="SET NULL", index=True, sa_type=BigInt
    )
    status: str = Field(default=RunStatus.QUEUED, max_length=20, index=True)
    # What was trained, frozen at submission: editing the architecture later changes nothing.
    stack: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    fit: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    preprocessing: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    progress: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    test_metrics: dict[str, float] | None = Field(default=None, sa_column=Column(JSON))
    confusion: list[list[int]] | None = Field(default=None, sa_column=Column(JSON))
    # What EarlyStopping did (app/ml/training.py): whether it stopped the run, its best epoch,
    # whose weights the model keeps. Null without early stopping, or for a run not finished.
    early_stopping: dict[str, Any] | None = Field(
        default=None,
        sa_column=Column(JSON),
        description="With fit.early_stopping, once completed: `monitor`, `stopped_epoch` (the "
        "last epoch trained, null if it ran every epoch), `best_epoch` and `best` (the "
        "monitored value there), `restored_best_weights`, and `weights_epoch` (whose weights "
        "the model and its test metrics are)",
    )
    error: str | None = Field(default=None, max_length=4000)
    epochs_done: int = 0
    # checkpoint and model on disk, counted against the owner's quota
    size_bytes: int = Field(default=0, sa_type=BigInt)
    # Where it trains: attempts started (a retry after a lost node is a new attempt), the node
    # of the latest one, and, while queued, why it waits (e.g. no node has the GPU it asks).
    attempt: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    node: str | None = Field(default=None, max_length=200)
    waiting_for: str | None = Field(default=None, max_length=1000)
    # A sweep's run: its sweep, and the settings of its combination ({path: value}), which
    # its snapshot above already has applied. Kept as a plain run if the sweep row goes.
    sweep_id: int | None = Field(
        default=None, foreign_key="sweep.id", ondelete="SET NULL", index=True, sa_type=BigInt
    )
    sweep_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class Run(RunBase, table=True):
    __table_args__ = (CheckConstraint(f"status IN {STATUSES}", name="run_status"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInt)
    cancel_requested: bool = False
    worker: str | None = Field(default=None, max_length=100)
    version: int = 0  # bumped on every change, so watchers know when to look
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    started_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class RunMetric(SQLModel, table=True):
    """One logged value: (run, key, epoch) -> value, as Keras logged it at that epoch's end."""

    __table_args__ = (UniqueConstraint("run_id", "key", "step", name="run_metric_key_step"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInt)
    run_id: int = Field(foreign_key="run.id", ondelete="CASCADE", index=True, sa_type=BigInt)
    key: str = Field(max_length=100)
    step: int
    value: float
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class RunCreate(BaseModel):
    """A saved architecture (by id) or an inline stack, a dataset, compile and fit settings."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "architecture_id": 1,
                    "dataset_id": 1,
                    "fit": {"epochs": 10, "batch_size": 32, "validation_split": 0.1, "seed": 42},
                }
            ]
        },
    )
    architecture_id: int | None = pydantic.Field(default=None, ge=1, le=MAX_ID)
    architecture: dict[str, Any] | None = pydantic.Field(
        default=None, description="An inline stack"
    )
    dataset_id: int = pydantic.Field(ge=1, le=MAX_ID)
    compile: dict[str, Any] | None = pydantic.Field(
        default=None, description="Defaults to the stack's"
    )
    fit: FitSettings = FitSettings()

    @model_validator(mode="after")
    def _one_stack(self) -> "RunCreate":
        if (self.architecture_id is None) == (self.architecture is None):
            raise ValueError(
                "Give either architecture_id (a saved architecture) or architecture (an "
                "inline stack), not both or neither."
            )
        return self


class RunPublic(RunBase):
    id: int
    # The saved architecture's current name (the snapshot's when it is gone); null if inline.
    architecture_name: str | None = None
    dataset_name: str | None = None  # null once the dataset is deleted
    history: list[dict[str, Any]]
    per_class_accuracy: list[float | None] | None
    # app/runs/changes.py and app/runs/diagnosis.py
    automatic_changes: list[dict[str, Any]] = Field(
        default_factory=list,
        description="What Layerstack changed between the dataset and the model, in order: "
        "each with `kind` (input_shape, scale, reshape, transpose, channels_last_twin, "
        "one_hot, labels_as_numbers), `text` in words, `expects` (what a model downloaded "
        "from the run expects) where it concerns inputs, and its figures",
    )
    diagnosis: dict[str, Any] | None = Field(
        default=None,
        description="A completed run that learned little (accuracy near chance, or a loss "
        "that did not fall): `findings`, `text` and likely `causes` [{kind, text}] from its "
        "own settings; null when nothing looks wrong",
    )
    created_at: UTCDateTime
    started_at: UTCDateTime | None
    finished_at: UTCDateTime | None


class RunsPublic(SQLModel):
    data: list[RunPublic]
    count: int
