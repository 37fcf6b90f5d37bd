"""Each epoch's weight histograms of a run's layers (app/ml/histograms.py), one row per
(run, epoch), committed with that epoch's metrics: a resumed run has each epoch's once."""

from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.models.common import BigInt

BINS = 30  # bins a histogram has (app/ml/histograms.py); here so the web process knows it too


class RunWeights(SQLModel, table=True):
    # The primary key's leading column is run_id: the index a run's epochs are read by.
    run_id: int = Field(foreign_key="run.id", ondelete="CASCADE", primary_key=True, sa_type=BigInt)
    epoch: int = Field(primary_key=True)  # 1-based, as the run's history
    # {"layers": [{index, name, type, weights: [{name, shape, min, max, counts, nonfinite}]}],
    #  "layers_left_out": n}: bounded by app/ml/histograms.py (MAX_LAYERS, MAX_WEIGHTS, BINS)
    histograms: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class WeightHistogram(BaseModel):
    name: str  # the weight's name in Keras: kernel, bias, gamma, recurrent_kernel, ...
    shape: list[int]
    min: float | None  # null when no value is finite
    max: float | None
    counts: list[int]  # equal bins from min to max; their sum is the number of finite values
    nonfinite: int  # NaN and infinite values, in no bin


class LayerWeights(BaseModel):
    index: int  # the layer's place in the stack, 0-based
    name: str  # as model.summary() names it: dense, dense_1, ...
    type: str
    weights: list[WeightHistogram]


class WeightsPublic(BaseModel):
    """One epoch's histograms, and which epochs the run has any for."""

    run_id: int
    epochs: list[int]  # every epoch recorded so far, in order
    epoch: int | None  # the one answered: the asked one, or the latest (null: none yet)
    bins: int
    layers: list[LayerWeights]
    layers_left_out: int  # layers with weights past the cap (MAX_LAYERS), not recorded
