"""Tables and their API schemas, one family per table (Base, table, Public, Publics)."""

from app.models.architectures import (
    SEED_CNN,
    Architecture,
    ArchitecturePublic,
    ArchitecturesPublic,
    StackBase,
    StackIn,
    SummaryPublic,
    SummaryRow,
)
from app.models.common import UTCDateTime, utcnow
from app.models.datasets import Dataset, DatasetBase, DatasetPublic, DatasetsPublic

__all__ = [
    "SEED_CNN",
    "Architecture",
    "ArchitecturePublic",
    "ArchitecturesPublic",
    "Dataset",
    "DatasetBase",
    "DatasetPublic",
    "DatasetsPublic",
    "StackBase",
    "StackIn",
    "SummaryPublic",
    "SummaryRow",
    "UTCDateTime",
    "utcnow",
]
