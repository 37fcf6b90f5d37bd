"""Tables and their API schemas, one family per table (Base, table, Create, Public, Publics)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator
from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel

SEED_CNN: dict[str, Any] = {
    "name": "Tutorial CNN",
    "input_shape": [32, 32, 3],
    "layers": [
        {"type": "Conv2D", "args": {"filters": 16, "kernel_size": 3, "activation": "relu"}},
        {"type": "MaxPool2D", "args": {"pool_size": [3, 3]}},
        {"type": "Flatten"},
        {"type": "Dense", "args": {"units": 64, "activation": "relu"}},
        {"type": "Dense", "args": {"units": 10, "activation": "softmax"}},
    ],
    "compile": {
        "optimizer": {"name": "SGD", "learning_rate": 0.001, "momentum": 0.9},
        "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy", {"name": "MeanAbsoluteError"}],
    },
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time we store is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


UTCDateTime = Annotated[datetime, AfterValidator(_as_utc)]


class StackBase(SQLModel):
    name: str = Field(default="Untitled", min_length=1, max_length=200)


class StackIn(StackBase):
    """A layer stack as sent by the builder or a script; checked against the catalog."""

    model_config = {"json_schema_extra": {"examples": [SEED_CNN]}}

    input_shape: Any = Field(
        default=None,
        description="Input shape without the batch axis, e.g. [28, 28, 1]; or give "
        "`input_shape` as an argument of the first layer, as in the tutorial.",
    )
    layers: Any = Field(
        default=None, description='The layers in order: [{"type": "Dense", "args": {...}}, ...]'
    )
    compile: Any = Field(
        default=None,
        description="optimizer, loss, metrics: string ids or objects with parameters.",
    )


class Architecture(StackBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    input_shape: list[int | None] | None = Field(default=None, sa_column=Column(JSON))
    layers: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    compile: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class ArchitecturePublic(StackBase):
    id: int
    input_shape: list[int | None] | None
    layers: list[dict[str, Any]]
    compile: dict[str, Any]
    created_at: UTCDateTime
    updated_at: UTCDateTime


class ArchitecturesPublic(SQLModel):
    data: list[ArchitecturePublic]
    count: int


class SummaryRow(SQLModel):
    index: int
    name: str
    type: str
    output_shape: list[int | None] | None
    params: int
    trainable_params: int
    non_trainable_params: int


class SummaryPublic(SQLModel):
    """What `model.summary()` prints, as JSON, plus warnings with one-click fixes."""

    input_shape: list[int | None] | None
    output_shape: list[int | None] | None
    built: bool
    layers: list[SummaryRow]
    total_params: int
    trainable_params: int
    non_trainable_params: int
    size_bytes: int
    warnings: list[dict[str, Any]]


class DatasetBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)


class Dataset(DatasetBase, table=True):
    """Arrays live on disk under DATA_DIR/datasets/<id>/ (x_train.npy, y_train.npy, ...)."""

    id: int | None = Field(default=None, primary_key=True)
    format: str = Field(max_length=20)  # builtin, zip, idx, csv, npz
    source: str = Field(default="", max_length=500)  # file names, or the built-in's origin
    builtin: str | None = Field(default=None, max_length=50, unique=True)
    num_train: int
    num_test: int
    input_shape: list[int] = Field(sa_column=Column(JSON, nullable=False))
    dtype: str = Field(max_length=20)
    class_names: list[str] = Field(sa_column=Column(JSON, nullable=False))
    class_counts: dict[str, list[int]] = Field(sa_column=Column(JSON, nullable=False))
    value_min: float
    value_max: float
    skipped: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    notes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class DatasetPublic(DatasetBase):
    id: int
    format: str
    source: str
    builtin: str | None
    num_train: int
    num_test: int
    input_shape: list[int]
    dtype: str
    class_names: list[str]
    class_counts: dict[str, list[int]]
    value_min: float
    value_max: float
    skipped: list[dict[str, Any]]
    notes: dict[str, Any]
    created_at: UTCDateTime


class DatasetsPublic(SQLModel):
    data: list[DatasetPublic]
    count: int
