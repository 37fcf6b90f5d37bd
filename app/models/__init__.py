"""Tables and their API schemas, one family per table (Base, table, Create, Public, Publics),
and the names of their states."""

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
from app.models.enums import (
    ACTIVE,
    FINISHED,
    RESUMABLE,
    UPLOAD_FORMATS,
    DatasetFormat,
    RunStatus,
)
from app.models.fit import AUTO_STEPS_PER_EXECUTION, EarlyStopping, FitSettings, ReduceLROnPlateau
from app.models.runs import Run, RunBase, RunCreate, RunMetric, RunPublic, RunsPublic

__all__ = [
    "ACTIVE",
    "AUTO_STEPS_PER_EXECUTION",
    "FINISHED",
    "RESUMABLE",
    "SEED_CNN",
    "UPLOAD_FORMATS",
    "Architecture",
    "ArchitecturePublic",
    "ArchitecturesPublic",
    "Dataset",
    "DatasetBase",
    "DatasetFormat",
    "DatasetPublic",
    "DatasetsPublic",
    "EarlyStopping",
    "FitSettings",
    "ReduceLROnPlateau",
    "Run",
    "RunBase",
    "RunCreate",
    "RunMetric",
    "RunPublic",
    "RunStatus",
    "RunsPublic",
    "StackBase",
    "StackIn",
    "SummaryPublic",
    "SummaryRow",
    "UTCDateTime",
    "utcnow",
]
