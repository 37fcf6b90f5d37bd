"""Each epoch's weight histograms of a run's layers (app/ml/histograms.py), one row per
(run, epoch), committed with that epoch's metrics: a resumed run has each epoch's once."""

from typing import Any

import pydantic
from pydantic import BaseModel
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.models.common import BigInt

# The bounds of an epoch's summary (app/ml/histograms.py), here so the web process knows them.
BINS = 30  # bins a histogram has
# A teaching stack has a handful of layers with weights (the tutorial's CNN: 3); past 16 the
# histograms stop telling a learner much more, and the cap keeps each epoch's row small.
# The layers past it are counted (`layers_left_out`), never silently dropped.
MAX_LAYERS = 16


class RunWeights(SQLModel, table=True):
    # The primary key's leading column is run_id: the index a run's epochs are read by.
    run_id: int = Field(foreign_key="run.id", ondelete="CASCADE", primary_key=True, sa_type=BigInt)
    epoch: int = Field(primary_key=True)  # 1-based, as the run's history
    # {"layers": [{index, name, type, weights: [{name, shape, min, max, counts, nonfinite}]}],
    #  "layers_left_out": n}: bounded by app/ml/histograms.py (MAX_LAYERS, MAX_WEIGHTS, BINS)
    histograms: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class WeightHistogram(BaseModel):
    """One weight array at one epoch, as BINS equal bins from its min to its max."""

    name: str = pydantic.Field(description="As Keras names it: kernel, bias, gamma, ...")
    shape: list[int]
    min: float | None = pydantic.Field(description="Null when no value is finite")
    max: float | None
    counts: list[int] = pydantic.Field(
        description="Values per bin, from min to max; they add up to the array's finite values"
    )
    nonfinite: int = pydantic.Field(description="NaN and infinite values, in no bin")


class LayerWeights(BaseModel):
    index: int = pydantic.Field(description="The layer's place in the stack, from 0")
    name: str = pydantic.Field(description="As model.summary() names it: dense, dense_1, ...")
    type: str
    weights: list[WeightHistogram]


class WeightsPublic(BaseModel):
    """One epoch's histograms, and which epochs the run has any for."""

    run_id: int
    epochs: list[int] = pydantic.Field(description="Every epoch recorded so far, in order")
    epoch: int | None = pydantic.Field(
        description="The epoch answered: the one asked for, or the latest (null: none yet)"
    )
    bins: int
    layers: list[LayerWeights]
    layers_left_out: int = pydantic.Field(
        description=f"Layers with weights past the first {MAX_LAYERS}, not recorded"
    )
