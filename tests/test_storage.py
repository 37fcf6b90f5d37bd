"""app/storage.py: a full disk is recognised however it arrives (the kernel's ENOSPC or EDQUOT,
wrapped by a parser or by SQLAlchemy, SQLite's or PostgreSQL's own "full"), said in words,
and a memory-mapped output file meets it as an error rather than a SIGBUS."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.datasets.base import DatasetError
from app.storage import DiskFull, disk_full_message, is_disk_full, open_memmap, writing
from tests.helpers.faults import database_full, no_space, over_quota, small_filesystem


def _raised_while_handling(first: BaseException, then: BaseException) -> BaseException:
    try:
        try:
            raise first
        except BaseException:
            raise then from None  # as a parser does that turns any OSError into "corrupt"
    except BaseException as error:
        return error


class _PostgresDiskFull(Exception):
    sqlstate = "53100"


@pytest.mark.parametrize(
    "error",
    [
        no_space(),
        over_quota(),
        database_full(),
        _PostgresDiskFull("could not extend file"),
        _raised_while_handling(no_space(), DatasetError("a gzip file that is corrupt")),
    ],
    ids=["ENOSPC", "EDQUOT", "SQLite full", "PostgreSQL disk_full", "inside a parser's error"],
)
def test_a_full_disk_is_recognised_however_it_arrives(error):
    assert is_disk_full(error)


@pytest.mark.parametrize(
    "error",
    [
        OSError(errno.EACCES, os.strerror(errno.EACCES)),
        OSError(errno.EIO, os.strerror(errno.EIO)),
        FileNotFoundError(errno.ENOENT, "gone"),
        DatasetError("not an image"),
        None,
    ],
)
def test_other_errors_are_not_a_full_disk(error):
    assert not is_disk_full(error)


def test_writing_names_what_was_not_written_and_keeps_the_cause():
    with pytest.raises(DiskFull) as caught, writing("the checkpoint of epoch 3", kept="X kept"):
        raise no_space()
    assert str(caught.value) == disk_full_message("the checkpoint of epoch 3", kept="X kept")
    assert str(caught.value).startswith(
        "The server's disk is full: the checkpoint of epoch 3 could not be written. X kept. "
        "Free space in DATA_DIR or ask the admin"
    )
    assert caught.value.__cause__.errno == errno.ENOSPC


def test_writing_lets_other_errors_through_as_they_are():
    with pytest.raises(PermissionError), writing("anything"):
        raise PermissionError(errno.EACCES, "read-only")


def test_a_memory_mapped_output_on_a_full_disk_is_an_error_not_a_sigbus(tmp_path: Path):
    """numpy's own open_memmap makes a sparse file: on a full disk the first store into it is
    a SIGBUS that kills the process (checked here in a child, exit -7). Ours allocates the
    blocks first, so the same file is an ENOSPC the caller can answer."""
    with small_filesystem(tmp_path / "small", "1m") as small:
        numpy_own = (
            "import numpy as np, sys; "
            "x = np.lib.format.open_memmap(sys.argv[1], mode='w+', dtype='u1', shape=(4 << 20,));"
            "x[:] = 1; x.flush()"
        )
        child = subprocess.run([sys.executable, "-c", numpy_own, str(small / "numpy.npy")])
        assert child.returncode == -7  # SIGBUS: what open_memmap alone does on a full disk
        (small / "numpy.npy").unlink()

        with pytest.raises(OSError) as caught:
            open_memmap(small / "ours.npy", np.uint8, (4 << 20,))
        assert caught.value.errno == errno.ENOSPC

        (small / "ours.npy").unlink()
        fits = open_memmap(small / "fits.npy", np.uint8, (1000,))
        fits[:] = 7
        fits.flush()
        del fits
        assert np.load(small / "fits.npy").tolist() == [7] * 1000
