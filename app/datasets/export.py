"""A dataset as one .npz (x_train, y_train[, x_test, y_test], class_names), as
keras.datasets returns it, built for each download in a temporary file and never stored.

Building it costs about 50 ms for MNIST's 60,000 training images (the .npy files are
memory-mapped, and savez only copies them into a zip without compression); keeping an
export.npz beside every dataset instead would double each dataset's size on disk, and the
request that wrote it would be a GET that changes DATA_DIR.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import IO

import numpy as np

from app.errors import disk_full_is_507
from app.paths import SPLITS, split_files
from app.storage import TEMPORARY_FOLDER

# Small exports stay in memory; larger ones roll over to an unnamed temporary file, which the
# system removes when it is closed (or when the process dies), never under DATA_DIR.
IN_MEMORY = 16 * 1024 * 1024


def npz_file(folder: Path, class_names: list[str]) -> IO[bytes]:
    """The arrays in a dataset's `folder` as one .npz, in a temporary file read from the start;
    the caller closes it."""
    out = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115 (returned open)
    try:
        arrays = {}
        for split in SPLITS:
            x_path, y_path = split_files(folder, split)
            if x_path.exists():
                arrays[f"x_{split}"] = np.load(x_path, mmap_mode="r")
                arrays[f"y_{split}"] = np.load(y_path, mmap_mode="r")
        with disk_full_is_507("the dataset's .npz export", TEMPORARY_FOLDER):
            np.savez(out, class_names=np.array(class_names), **arrays)
        out.seek(0)
    except BaseException:
        # Unnamed, so closing it frees its space; on a full disk the close's own flush fails
        # too (the file is closed all the same), and the error that matters is the first.
        with contextlib.suppress(OSError):
            out.close()
        raise
    return out
