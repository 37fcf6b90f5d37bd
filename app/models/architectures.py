"""Saved architectures and the summary schema."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel

from app.models.common import MAX_ID, BigInt, UTCDateTime, utcnow

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
        "metrics": ["accuracy", {"name": "SparseTopKCategoricalAccuracy", "k": 3}],
    },
}


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


class ArchitectureIn(StackIn):
    """A stack to save, with the dataset it is built against (the builder's choice)."""

    dataset_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="The dataset the stack is built against, if any: the builder checks "
        "shapes and units against it, the train page preselects it. Yours or a built-in one.",
    )


class Architecture(StackBase, table=True):
    id: int | None = Field(default=None, primary_key=True, sa_type=BigInt)
    # Who may see and change it (another user gets 404); null only for built-in data.
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True, sa_type=BigInt)
    # The dataset it is built against; deleting the dataset forgets it, not the stack.
    dataset_id: int | None = Field(
        default=None, foreign_key="dataset.id", ondelete="SET NULL", index=True, sa_type=BigInt
    )
    input_shape: list[int | None] | None = Field(default=None, sa_column=Column(JSON))
    layers: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    compile: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    # +1 on every save: the ETag of GET and the If-Match of PUT, so an older save cannot
    # silently replace a newer one.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class ArchitecturePublic(StackBase):
    id: int
    version: int
    owner_id: int | None
    dataset_id: int | None = None
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


class PartialSummaryPublic(SummaryPublic):
    """A stack that does not build: the rows of the layers before the one at fault."""

    fault_index: int | None = Field(
        description="The first layer a problem names (null: the input shape or compile)"
    )
    complete: bool = Field(description="Every layer has its row (only the compile or the cap)")
