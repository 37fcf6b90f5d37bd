"""Fit settings: model.fit's arguments and callbacks, checked as part of `RunCreate`."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.models.common import MAX_ID

# Small models are bound by per-step overhead (~6 ms a step for the tutorial's MLP); several
# steps per compiled call give the same results (up to float rounding) in far less time.
# Cancellation waits for a call to end, so the automatic setting stays modest.
AUTO_STEPS_PER_EXECUTION = 16

MONITOR = Field(default="val_loss", max_length=100, description="A logged metric, e.g. val_loss")


class EarlyStopping(BaseModel):
    """keras.callbacks.EarlyStopping, with Keras's defaults."""

    model_config = ConfigDict(extra="forbid")
    monitor: str = MONITOR
    patience: int = Field(default=0, ge=0, le=10_000)
    min_delta: float = Field(default=0.0, ge=0)
    mode: Literal["auto", "min", "max"] = "auto"
    restore_best_weights: bool = False


class ReduceLROnPlateau(BaseModel):
    """keras.callbacks.ReduceLROnPlateau, with Keras's defaults."""

    model_config = ConfigDict(extra="forbid")
    monitor: str = MONITOR
    factor: float = Field(default=0.1, gt=0, lt=1)
    patience: int = Field(default=10, ge=0, le=10_000)
    min_delta: float = Field(default=0.0001, ge=0)
    min_lr: float = Field(default=0.0, ge=0)
    mode: Literal["auto", "min", "max"] = "auto"


class Resources(BaseModel):
    """What one run asks of a Ray cluster (EXECUTOR=ray); unset fields take the server's
    RUN_CPUS, RUN_GPUS and RUN_MEMORY_BYTES. A request no node can meet waits in the queue,
    saying why; it never runs on less (a GPU request never runs on a CPU)."""

    model_config = ConfigDict(extra="forbid")
    cpus: float | None = Field(default=None, ge=0, le=1024)
    gpus: float | None = Field(default=None, ge=0, le=64)
    memory: int | None = Field(default=None, ge=0, le=2**50, description="Bytes of memory")
    custom: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z][\w.:-]{0,63}$")],
                 Annotated[float, Field(ge=0, le=1e9)]] = Field(
        default_factory=dict, max_length=16, description="Custom Ray resources, e.g. {\"TPU\": 1}"
    )  # fmt: skip


class FitSettings(BaseModel):
    """model.fit(epochs=, batch_size=, validation_split=, shuffle=, ...) and callbacks."""

    model_config = ConfigDict(extra="forbid")
    # The budget is the server's MAX_EPOCHS (app/runs/service.py); this bound only keeps the
    # number within 64 bits, whatever an operator sets.
    epochs: int = Field(
        default=10,
        ge=1,
        le=MAX_ID,
        description="At most MAX_EPOCHS, a server setting (1000 unless the operator changed it)",
    )
    batch_size: int = Field(default=32, ge=1, le=65_536)
    validation_split: float = Field(
        default=0.1,
        ge=0,
        lt=1,
        description="Fraction of the training split held out for validation (stratified, "
        "seeded). Keras takes the last samples instead, which fails on class-sorted data.",
    )
    validation: Literal["split", "test"] = Field(
        default="split", description="'test' validates on the dataset's own test split"
    )
    shuffle: bool = True
    seed: int | None = Field(
        default=None, ge=0, le=2**31 - 1, description="Fixed seed; null picks one and keeps it"
    )
    normalize: bool = Field(
        default=True, description="Scale inputs from the dataset's range to [0, 1]"
    )
    steps_per_execution: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="Batches per compiled call; null lets Layerstack pick (results are the "
        "same, small models train much faster)",
    )
    early_stopping: EarlyStopping | None = None
    reduce_lr_on_plateau: ReduceLROnPlateau | None = None
    resources: Resources | None = Field(
        default=None, description="CPUs, GPUs, memory and custom resources (EXECUTOR=ray)"
    )
