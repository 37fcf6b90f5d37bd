"""Sweeps: one run body and a grid of settings to vary, trained as one run per combination.

The sweep keeps what was asked (the base body, the grid, the sample); each of its runs keeps
its own combination (`Run.sweep_params`) beside its frozen snapshot, which already has the
combination applied, so a worker trains a sweep's run exactly as any other run.
"""

from datetime import datetime
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel

from app.models.common import MAX_ID, BigInt, UTCDateTime, utcnow
from app.models.runs import RunCreate

MAX_GRID_PATHS = 16  # settings varied at once; MAX_SWEEP_RUNS bounds the combinations

GRID_EXAMPLE: dict[str, Any] = {
    "compile.optimizer.learning_rate": [0.01, 0.001],
    "fit.batch_size": [32, 128],
    "layers[1].args.units": [64, 128],
}


class SweepBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)


class Sweep(SweepBase, table=True):
    id: int | None = Field(default=None, primary_key=True, sa_type=BigInt)
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True, sa_type=BigInt)
    # The request as given: the base run body, the grid, and how it was sampled.
    base: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    grid: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    trials: int | None = Field(default=None, sa_type=BigInt)
    seed: int | None = Field(default=None, sa_type=BigInt)  # the sample's (with trials)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class SweepCreate(BaseModel):
    """A run body (as POST /api/runs takes it) and the settings to vary over it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "learning rate x batch size x units",
                    "base": {
                        "architecture_id": 1,
                        "dataset_id": 1,
                        "fit": {"epochs": 5, "seed": 42},
                    },
                    "grid": GRID_EXAMPLE,
                }
            ]
        },
    )
    name: str | None = pydantic.Field(default=None, min_length=1, max_length=200)
    base: RunCreate
    grid: dict[str, Any] = pydantic.Field(
        min_length=1,
        max_length=MAX_GRID_PATHS,
        description='Path -> list of values. Paths: "fit.<field>" (e.g. fit.batch_size), '
        '"compile.<field>[.<argument>]" (e.g. compile.optimizer.learning_rate), '
        '"layers[<i>].args.<argument>" (e.g. layers[1].args.units)',
    )
    trials: int | None = pydantic.Field(
        default=None, ge=1, le=MAX_ID, description="Train a random sample of this many points"
    )
    seed: int | None = pydantic.Field(
        default=None, ge=0, le=2**31 - 1, description="The sample's seed (with trials)"
    )


class SweepRunPublic(BaseModel):
    """One run of a sweep: its settings, how far it got, its best validation value."""

    id: int
    status: str
    params: dict[str, Any]
    epochs_done: int
    epochs: int
    best: float | None = pydantic.Field(description="Best value of the sweep's metric")
    best_epoch: int | None
    rank: int | None = pydantic.Field(description="1 is the best; null without a value yet")
    test_metrics: dict[str, float] | None
    error: str | None


class SweepPublic(SweepBase):
    id: int
    owner_id: int | None
    base: dict[str, Any]
    grid: dict[str, Any]
    trials: int | None
    seed: int | None
    created_at: UTCDateTime
    run_count: int
    statuses: dict[str, int] = pydantic.Field(description="How many runs are in each status")
    active: bool = pydantic.Field(description="Some runs are still queued or running")
    metric: str | None = pydantic.Field(
        description="What runs are ranked by: val_accuracy, else val_loss, else the training "
        "accuracy or loss (the first any run logged)"
    )
    higher_is_better: bool
    best_run_id: int | None
    best: float | None


class SweepDetailPublic(SweepPublic):
    runs: list[SweepRunPublic] = pydantic.Field(description="Ranked: best first")


class SweepsPublic(SQLModel):
    data: list[SweepPublic]
    count: int
