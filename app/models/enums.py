"""The fixed sets of names the tables hold: run statuses and dataset formats.

Nothing else spells these strings: code compares with the members (a StrEnum equals its
value, so rows read back as plain strings compare equal) and uses the sets below.
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


# Holds a worker, or waits for one: cancel it before deleting what it uses.
ACTIVE = frozenset({RunStatus.QUEUED, RunStatus.RUNNING})
FINISHED = frozenset(set(RunStatus) - ACTIVE)
# Stopped before the last epoch, with a checkpoint to continue from.
RESUMABLE = frozenset({RunStatus.CANCELLED, RunStatus.INTERRUPTED})


class DatasetFormat(StrEnum):
    BUILTIN = "builtin"
    ZIP = "zip"  # a zip of one folder per class
    IDX = "idx"  # MNIST-style IDX files
    CSV = "csv"
    NPZ = "npz"


# What an upload may be (the built-in dataset is registered, never uploaded).
UPLOAD_FORMATS = tuple(f for f in DatasetFormat if f is not DatasetFormat.BUILTIN)


class UserRole(StrEnum):
    ADMIN = "admin"  # manages users; sees and acts on everyone's work
    MEMBER = "member"


class CatalogState(StrEnum):
    """A tutorial dataset, for one user (GET /api/datasets/catalog)."""

    ABSENT = "absent"
    ADDING = "adding"
    PRESENT = "present"
    FAILED = "failed"  # the last try failed; the error says why


class CatalogStage(StrEnum):
    """How far adding a tutorial dataset has got."""

    STARTING = "starting"
    DOWNLOADING = "downloading"
    VERIFYING = "verifying"  # each file's SHA-256 against the catalog's
    WAITING = "waiting"  # for a free MAX_IMPORTS slot
    IMPORTING = "importing"
    DONE = "done"
    FAILED = "failed"
