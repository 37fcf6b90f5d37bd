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
from app.models.runs import FINISHED, RESUMABLE, STATUSES, Run, RunMetric, RunPublic, RunsPublic

__all__ = [
    "FINISHED",
    "RESUMABLE",
    "SEED_CNN",
    "STATUSES",
    "Architecture",
    "ArchitecturePublic",
    "ArchitecturesPublic",
    "Dataset",
    "DatasetBase",
    "DatasetPublic",
    "DatasetsPublic",
    "Run",
    "RunMetric",
    "RunPublic",
    "RunsPublic",
    "StackBase",
    "StackIn",
    "SummaryPublic",
    "SummaryRow",
    "UTCDateTime",
    "utcnow",
]
