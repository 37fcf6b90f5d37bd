"""Which parser an upload needs, told from the files' first bytes, never from their names."""

from __future__ import annotations

import gzip
import zipfile
import zlib

from app.datasets.base import DatasetError, Upload
from app.models.enums import DatasetFormat

_IDX_TYPES = range(0x08, 0x0F)  # IDX type codes: unsigned byte .. double
_LOOKS_LIKE = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"BM": "a BMP image",
    b"\x93NUMPY": "a single .npy array (save it with np.savez as x/y or x_train/y_train)",
}


def _head(upload: Upload, size: int = 512) -> bytes:
    with upload.path.open("rb") as f:
        head = f.read(size)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(upload.path) as g:
                return g.read(size)
        except (OSError, EOFError, zlib.error):
            return b""
    return head


def _is_idx(head: bytes) -> bool:
    return len(head) >= 4 and head[:2] == b"\0\0" and head[2] in _IDX_TYPES and 1 <= head[3] <= 4


def _is_csv(head: bytes) -> bool:
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # not just a character cut off by the 512-byte peek
            return False
        text = head[: error.start].decode("utf-8-sig")
    return "," in text.split("\n", 1)[0] and "\0" not in text


def _zip_kind(upload: Upload) -> str:
    try:
        with zipfile.ZipFile(upload.path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
    except zipfile.BadZipFile:
        return DatasetFormat.ZIP  # the folder parser reports the damage
    if names and all(n.endswith(".npy") for n in names):
        return DatasetFormat.NPZ
    return DatasetFormat.ZIP


def _unknown(upload: Upload) -> DatasetError:
    with upload.path.open("rb") as f:
        head = f.read(16)
    looks = next((what for magic, what in _LOOKS_LIKE.items() if head.startswith(magic)), None)
    found = f"it looks like {looks}" if looks else f"its first bytes are {head[:8]!r}"
    return DatasetError(
        f"Could not recognise {upload.filename!r}: {found}. Upload a zip of one folder per "
        f"class, MNIST-style IDX files (images + labels, .gz or raw), a CSV with a label "
        f"column, or an .npz with x_train/y_train (or x/y).",
        status=415,
    )


def detect_format(files: list[Upload]) -> str:
    """zip, idx, csv or npz; 415 when the content is none of them."""
    heads = [_head(f) for f in files]
    if all(_is_idx(h) for h in heads):
        return DatasetFormat.IDX
    if len(files) == 1:
        if heads[0].startswith(b"PK\x03\x04") or heads[0].startswith(b"PK\x05\x06"):
            return _zip_kind(files[0])
        if _is_csv(heads[0]):
            return DatasetFormat.CSV
    if len(files) > 1:
        # Only IDX comes as several files; its parser names the file that is not IDX.
        return DatasetFormat.IDX
    raise _unknown(files[0])
