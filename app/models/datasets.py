"""Datasets: metadata in the DB, arrays on disk."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.common import BigInt, UTCDateTime, utcnow
from app.models.enums import CatalogStage, CatalogState


class DatasetBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)


class Dataset(DatasetBase, table=True):
    """Arrays live on disk under DATA_DIR/datasets/<id>/ (x_train.npy, y_train.npy, ...)."""

    # One copy of a tutorial dataset per user: a second "Add MNIST" finds the first, even
    # from another web process.
    __table_args__ = (UniqueConstraint("owner_id", "catalog_name", name="dataset_catalog"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInt)
    # Who may see and change it (another user gets 404); null only for built-in data.
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True, sa_type=BigInt)
    format: str = Field(max_length=20)  # builtin, zip, idx, csv, npz
    source: str = Field(default="", max_length=500)  # file names, or the built-in's origin
    builtin: str | None = Field(default=None, max_length=50, unique=True)
    # Added from the tutorial catalog (POST /api/datasets/catalog): "mnist", "cifar10", ...
    catalog_name: str | None = Field(default=None, max_length=50)
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
    catalog_name: str | None
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


class CatalogAdd(SQLModel):
    """POST /api/datasets/catalog: which tutorial dataset to add."""

    name: str = Field(
        min_length=1,
        max_length=50,
        description="mnist, fashion_mnist or cifar10 (GET /api/datasets/catalog lists them)",
        schema_extra={"examples": ["fashion_mnist"]},
    )
    wait: bool = Field(
        default=False,
        description="Answer only once the dataset is added (or the addition failed), with its "
        "status; by default the answer comes at once (202) and the addition runs on",
    )


class CatalogItemPublic(SQLModel):
    """One tutorial dataset: absent, being added (stage and bytes), present, or failed."""

    name: str
    title: str
    description: str
    download_bytes: int  # at most this much is downloaded
    state: CatalogState
    dataset_id: int | None = None  # when present
    stage: CatalogStage | None = None  # while adding, and where a failed try stopped
    bytes_done: int = 0
    bytes_total: int | None = None
    error: str | None = None  # why the last try failed
    error_status: int | None = None  # and the HTTP status it answered


class CatalogPublic(SQLModel):
    data: list[CatalogItemPublic]
    mirror: str | None  # DATASETS_MIRROR, when set
