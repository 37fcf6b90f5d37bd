"""A full disk, recognised wherever a write fails and told in words: ENOSPC ("No space left on
device"), EDQUOT (over a disk quota), and the databases' own "disk full" errors.

No web or ML imports: the routes (as a 507, app/errors.py) and the training worker (as a failed
run's message, app/ml/training.py) say it the same way.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
SQLITE_FULL = 13  # sqlite3.SQLITE_FULL: "database or disk is full"
POSTGRES_DISK_FULL = "53100"  # SQLSTATE disk_full
TEMPORARY_FOLDER = "the server's temporary folder (TMPDIR)"
NOTHING_KEPT = "Nothing of it was kept"


class DiskFull(Exception):
    """A write found no space; the message says what was being written and what to do."""


def is_disk_full(error: BaseException | None) -> bool:
    """True if `error`, or an error it was raised from or while handling, is a write that
    found the disk (or the quota) full. The chain matters: a parser that reads a gzip stream
    turns any OSError inside it into "corrupt file", and SQLAlchemy wraps the driver's error."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS:
            return True
        if getattr(error, "sqlite_errorcode", None) == SQLITE_FULL:
            return True
        if getattr(error, "sqlstate", None) == POSTGRES_DISK_FULL:
            return True
        error = error.__cause__ or error.__context__
    return False


def disk_full_message(what: str, where: str = "DATA_DIR", kept: str = NOTHING_KEPT) -> str:
    """What could not be written, what is left of it, and what to do."""
    return (
        f"The server's disk is full: {what} could not be written. {kept}. Free space in "
        f"{where} or ask the admin, then try again."
    )


@contextmanager
def writing(
    what: str,
    where: str = "DATA_DIR",
    kept: str = NOTHING_KEPT,
    raise_as: type[Exception] = DiskFull,
) -> Iterator[None]:
    """Inside it, a write that finds the disk full raises `raise_as` with disk_full_message
    (the original error as its cause); any other error passes through as it is."""
    try:
        yield
    except Exception as error:
        if not is_disk_full(error):
            raise
        raise raise_as(disk_full_message(what, where, kept)) from error


def open_memmap(path: Path, dtype: Any, shape: tuple[int, ...]) -> np.memmap:
    """A new .npy file memory-mapped for writing (np.lib.format.open_memmap, mode "w+"), its
    disk blocks allocated before anything is stored in it.

    The file numpy makes is sparse: each store into the mapping allocates a block, and on a
    full disk that store is a SIGBUS, which kills the process (the web server with it).
    Allocated up front, a full disk is an OSError (ENOSPC) here instead, which a request
    answers with 507."""
    array = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)
    size = path.stat().st_size
    if size and hasattr(os, "posix_fallocate"):  # Linux; glibc writes zeros where the
        with path.open("r+b") as f:  # file system has no fallocate of its own
            os.posix_fallocate(f.fileno(), 0, size)
    return array
