"""Reading and writing .npy files a block of rows at a time, with plain file I/O.

Memory-mapped pages count as resident memory while they are touched, so a pass over a whole
array through np.memmap holds all of it; these helpers hold one block at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

BLOCK_BYTES = 4 * 1024 * 1024


def _header(f: IO[bytes]) -> tuple[tuple[int, ...], np.dtype]:
    major, _ = np.lib.format.read_magic(f)
    read = (
        np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
    )
    shape, fortran, dtype = read(f)
    assert not fortran, "Layerstack writes C-ordered arrays only"
    return shape, dtype


def iter_blocks(path: Path) -> Iterator[tuple[int, np.ndarray]]:
    """(first row, block of rows) over a .npy file, about BLOCK_BYTES at a time."""
    with path.open("rb") as f:
        shape, dtype = _header(f)
        row_items = int(np.prod(shape[1:], dtype=np.int64))
        rows_per_block = max(1, BLOCK_BYTES // max(1, row_items * dtype.itemsize))
        for start in range(0, shape[0], rows_per_block):
            rows = min(rows_per_block, shape[0] - start)
            block = np.fromfile(f, dtype=dtype, count=rows * row_items)
            yield start, block.reshape(rows, *shape[1:])


class NpyWriter:
    """Appends rows to a .npy file whose final shape is known up front."""

    def __init__(self, path: Path, shape: tuple[int, ...], dtype: Any) -> None:
        self.file = path.open("wb")
        header = {
            "descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
            "fortran_order": False,
            "shape": shape,
        }
        np.lib.format.write_array_header_2_0(self.file, header)
        self.expected, self.written = shape[0], 0

    def write(self, rows: np.ndarray) -> None:
        self.file.write(np.ascontiguousarray(rows).tobytes())
        self.written += len(rows)

    def close(self) -> None:
        self.file.close()
        assert self.written == self.expected, (self.written, self.expected)
