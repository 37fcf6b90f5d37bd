"""Datasets: metadata in the DB, arrays on disk."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel

from app.models.common import BigInt, UTCDateTime, utcnow


class DatasetBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)


class Dataset(DatasetBase, table=True):
    """Arrays live on disk under DATA_DIR/datasets/<id>/ (x_train.npy, y_train.npy, ...)."""

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInt)
    # Who may see and change it (another user gets 404); null only for built-in data.
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True, sa_type=BigInt)
    format: str = Field(max_length=20)  # builtin, zip, idx, csv, npz
    source: str = Field(default="", max_length=500)  # file names, or the built-in's origin
    builtin: str | None = Field(default=None, max_length=50, unique=True)
    num_train: int = Field(sa_type=BigInt)
    num_test: int = Field(sa_type=BigInt)
    input_shape: list[int] = Field(sa_column=Column(JSON, nullable=False))
    dtype: str = Field(max_length=20)
    class_names: list[str] = Field(sa_column=Column(JSON, nullable=False))
    class_counts: dict[str, list[int]] = Field(sa_column=Column(JSON, nullable=False))
    value_min: float
    value_max: float
    skipped: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    notes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    # its arrays on disk, counted against the owner's storage quota
    size_bytes: int = Field(default=0, sa_type=BigInt)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class DatasetPublic(DatasetBase):
    id: int
    owner_id: int | None
    size_bytes: int
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
