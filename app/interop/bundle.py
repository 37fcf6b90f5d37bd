"""A run as one download that reproduces it: the script (run.py), the dataset as the .npz
it reads, and a README saying how. Written into an unnamed temporary file per download, as
the dataset's own .npz export is, and never kept."""

from __future__ import annotations

import contextlib
import tempfile
import zipfile
from pathlib import Path
from typing import IO

from app.datasets.export import IN_MEMORY, npz_file
from app.errors import disk_full_is_507
from app.storage import TEMPORARY_FOLDER

README = """# Run {run_id}: {name}

Retrains run {run_id} of Layerstack with the same model, data, settings and seed, and
prints each epoch as the studio showed it.

    pip install tensorflow numpy      # pandas and matplotlib too, for the table and plot
    python run.py

run.py reads {npz} (this folder) and writes history.json; its losses match the run's
epoch by epoch (relative 1e-4 on the same TensorFlow version, on a CPU).
"""


def bundle_file(
    run_id: int, name: str, script: str, dataset_folder: Path, class_names: list[str], npz: str
) -> IO[bytes]:
    """The zip of run.py, `npz` and README.md, read from the start; the caller closes it."""
    out = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115 (returned open)
    try:
        with (
            npz_file(dataset_folder, class_names) as arrays,
            disk_full_is_507("the run's bundle", TEMPORARY_FOLDER),
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        ):
            archive.writestr("run.py", script)
            archive.writestr("README.md", README.format(run_id=run_id, name=name, npz=npz))
            # The .npz stores raw arrays; images are mostly zeros, so even zlib's fastest
            # level makes MNIST's ~5x smaller, at a fraction of a second.
            with archive.open(npz, "w", force_zip64=True) as member:
                while chunk := arrays.read(1024 * 1024):
                    member.write(chunk)
        out.seek(0)
    except BaseException:
        with contextlib.suppress(OSError):
            out.close()
        raise
    return out
