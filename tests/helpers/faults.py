"""Faults for the disk-full tests: the errors a full disk raises, a temporary file on a full
disk, a small real file system (tmpfs) where the tests may mount one, and what "nothing left
behind" means under DATA_DIR."""

from __future__ import annotations

import errno
import io
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy.exc import OperationalError

from app.datasets.digits import KEY as BUILTIN_KEY
from app.paths import DataPaths

BUILTIN_ID = "1"  # the built-in digits, registered at the first start


def no_space() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def over_quota() -> OSError:
    return OSError(errno.EDQUOT, os.strerror(errno.EDQUOT))


def database_full() -> OperationalError:
    """What SQLAlchemy raises when SQLite finds no room (SQLITE_FULL), its cause attached."""
    cause = sqlite3.OperationalError("database or disk is full")
    cause.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]
    error = OperationalError("COMMIT", {}, cause)
    error.__cause__ = cause  # as SQLAlchemy raises it: `from` the driver's error
    return error


class FullFile(io.BytesIO):
    """A temporary file on a full disk: every write fails as the kernel's would."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__()

    def write(self, data: object) -> int:
        raise no_space()


def leftovers(data_dir: Path) -> list[str]:
    """What an import that failed may have left: anything in DATA_DIR/tmp, any dataset
    folder but the built-in one's."""
    paths = DataPaths(data_dir)
    found = [p for p in paths.tmp.rglob("*")] if paths.tmp.exists() else []
    if paths.datasets.exists():
        found += [p for p in paths.datasets.iterdir() if p.name != BUILTIN_ID]
    return sorted(str(p.relative_to(data_dir)) for p in found)


def integrity(database: Path) -> str:
    """SQLite's own check of the whole file: "ok" when it is intact."""
    with sqlite3.connect(database) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def builtin_only(rows: list[dict]) -> bool:
    return [row.get("builtin") for row in rows] == [BUILTIN_KEY]


def cannot_mount(reason: str) -> NoReturn:
    """A skip that says why, or under CI=true a failure: a suite that passes there by
    skipping would prove nothing (as tests/helpers/paths.py does for missing data)."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@contextmanager
def small_filesystem(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` ("4m") mounted at `path`, unmounted afterwards. Mounting needs root:
    elsewhere the test is skipped, saying so (the injected faults still run); in CI (CI=true)
    it fails instead, since there these tests must run."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except FileNotFoundError:
        cannot_mount("no `mount` command: the small file system tests need Linux and root")
    if done.returncode != 0:
        reason = done.stderr.strip() or f"exit {done.returncode}"
        cannot_mount(f"cannot mount a {size} tmpfs here ({reason}): these tests need root")
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], check=False)  # busy: detach it


def fill(folder: Path) -> Path:
    """Fill the file system `folder` is on to its last block; the file that fills it."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as f:
        for chunk in (1 << 20, 1 << 16, 4096, 1):
            try:
                while True:
                    f.write(b"\0" * chunk)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
    return filler
