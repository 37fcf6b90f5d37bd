"""MNIST-style IDX uploads, as downloaded from the MNIST and Fashion-MNIST sites.

The IDX magic number, never the name, says which file holds images and which labels; names
only tell the test pair from the train pair. Files may be gzip-compressed or raw. Pixels
stream into the memory-mapped output a chunk at a time, never a whole file in memory.
"""

from __future__ import annotations

import gzip
import io
import math
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.datasets.base import (
    DatasetError,
    Options,
    Parsed,
    Upload,
    check_budget,
    default_class_names,
    open_split,
    too_many_classes,
)

IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions: count, rows, cols
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension: count
CHUNK_BYTES = 4 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
TEST_MARKERS = ("t10k", "test")
EXPECTED_MAGIC = "0x00000803 (2051) for images or 0x00000801 (2049) for labels"
NEED_FILES = (
    "an IDX upload needs an images file and a labels file (train-images-idx3-ubyte.gz, "
    "train-labels-idx1-ubyte.gz), and optionally the test pair (t10k-...) as two more files"
)
NAME_TEST_PAIR = (
    'Put "t10k" or "test" in the names of the two test files only (t10k-images-idx3-ubyte.gz, '
    "t10k-labels-idx1-ubyte.gz), never in the training files' names."
)


@dataclass(frozen=True)
class IdxHeader:
    upload: Upload
    magic: int
    dims: tuple[int, ...]

    @property
    def name(self) -> str:
        return _name(self.upload)

    @property
    def header_bytes(self) -> int:
        return 4 + 4 * len(self.dims)

    @property
    def data_bytes(self) -> int:
        return math.prod(self.dims)

    def describe(self) -> str:
        if self.magic == LABELS_MAGIC:
            return f"{self.dims[0]} labels"
        return f"{self.dims[0]} images of {self.dims[1]}x{self.dims[2]}"


def parse_idx(files: list[Upload], options: Options, out: Path) -> Parsed:
    """Write split "train" (and "test" for a four-file upload) from IDX images + labels."""
    if len(files) not in (2, 4):
        names = ", ".join(_name(f) for f in files) or "none"
        raise DatasetError(f"Received {len(files)} file(s) ({names}); {NEED_FILES}.")
    pairs = _pair([_read_header(f) for f in files])
    _check_pairs(pairs)
    count = sum(images.dims[0] for images, _ in pairs.values())
    names = " and ".join(images.name for images, _ in pairs.values())
    check_budget(names, count, pairs["train"][0].dims[1:], np.uint8, options)
    for header in (h for pair in pairs.values() for h in pair):
        _check_size(header)  # before the headers' sizes are trusted to allocate the output
    splits, top = {}, 0
    for split, (images, labels) in pairs.items():
        splits[split] = images.dims[0]
        top = max(top, _write_split(out, split, images, labels, options.max_classes))
    class_names = default_class_names(top + 1, options.class_names, pairs["train"][1].name)
    return Parsed(splits, class_names)


def _name(upload: Upload) -> str:
    return f'"{upload.filename}"' if upload.filename else "the unnamed file"


def _is_gzip(upload: Upload) -> bool:
    with upload.path.open("rb") as raw:
        return raw.read(2) == GZIP_MAGIC


@contextmanager
def _open(upload: Upload) -> Iterator[io.BufferedIOBase]:
    """The file's uncompressed bytes; a broken gzip stream becomes a DatasetError."""
    if not _is_gzip(upload):
        with upload.path.open("rb") as raw:
            yield raw
        return
    try:
        with gzip.open(upload.path, "rb") as stream:
            yield stream
    except (OSError, EOFError, zlib.error) as error:
        raise DatasetError(
            f"{_name(upload)} is a gzip file that is corrupt or cut short ({error}). "
            "Download it again, or upload it uncompressed."
        ) from error


def _read_header(upload: Upload) -> IdxHeader:
    with _open(upload) as stream:
        first = stream.read(4)
        if not first:
            raise DatasetError(f"{_name(upload)} is empty (0 bytes); {NEED_FILES}.")
        magic = int.from_bytes(first.ljust(4, b"\0"), "big")
        if len(first) < 4 or first[:3] != b"\0\0\x08":
            raise DatasetError(_bad_magic(upload, first, magic))
        if magic not in (IMAGES_MAGIC, LABELS_MAGIC):
            raise DatasetError(
                f"{_name(upload)} is an IDX file of unsigned bytes with {first[3]} dimensions "
                f"(magic 0x{magic:08X} = {magic}); expected 3 dimensions for images (count, "
                f"rows, cols) or 1 for labels (count), that is magic {EXPECTED_MAGIC}."
            )
        raw_dims = stream.read(4 * first[3])
    if len(raw_dims) < 4 * first[3]:
        raise DatasetError(
            f"{_name(upload)} ends inside its header ({4 + len(raw_dims)} bytes; an IDX header "
            f"with {first[3]} dimensions is {4 + 4 * first[3]} bytes). Download it again."
        )
    dims = tuple(int.from_bytes(raw_dims[i : i + 4], "big") for i in range(0, len(raw_dims), 4))
    header = IdxHeader(upload, magic, dims)
    if 0 in dims:
        raise DatasetError(f"{header.name} holds no data: its header says {header.describe()}.")
    return header


def _bad_magic(upload: Upload, first: bytes, magic: int) -> str:
    found = f"0x{magic:08X} ({magic})" if len(first) == 4 else f"only {len(first)} byte(s)"
    return (
        f"{_name(upload)} is not an IDX images or labels file: it starts with {found}, but "
        f"the magic number must be {EXPECTED_MAGIC}.{_file_kind_hint(first)}"
    )


def _file_kind_hint(first: bytes) -> str:
    """A guess at what was uploaded instead, so the fix is obvious."""
    if first.startswith(b"\x89PN"):
        return " This looks like a PNG image; upload images as a zip of class folders instead."
    if first.startswith(b"PK"):
        return " This looks like a zip archive; unzip it and upload the IDX files inside."
    if first[1:] == b"\x08\0\0":
        return " It looks byte-swapped: IDX headers are big-endian; write them with '>i4'."
    if first[:2] == b"\0\0" and first[2:3] in (b"\x09", b"\x0b", b"\x0c", b"\x0d", b"\x0e"):
        return f" It is an IDX file of type 0x{first[2]:02X}; only unsigned bytes (0x08) work."
    if all(32 <= b < 127 or b in b"\t\r\n" for b in first):
        return " This looks like a text file (a CSV?); upload it as a CSV dataset instead."
    return ""


def _pair(headers: list[IdxHeader]) -> dict[str, tuple[IdxHeader, IdxHeader]]:
    images = [h for h in headers if h.magic == IMAGES_MAGIC]
    labels = [h for h in headers if h.magic == LABELS_MAGIC]
    if len(images) != len(labels):
        kinds = ", ".join(f"{h.name} ({'images' if h in images else 'labels'})" for h in headers)
        raise DatasetError(
            f"Received {len(images)} images file(s) and {len(labels)} labels file(s): {kinds}; "
            f"{NEED_FILES}. Each images file (magic 2051) needs its labels file (magic 2049)."
        )
    if len(images) == 1:
        return {"train": (images[0], labels[0])}
    train_images, test_images = _train_test(images)
    train_labels, test_labels = _train_test(labels)
    return {"train": (train_images, train_labels), "test": (test_images, test_labels)}


def _train_test(two: list[IdxHeader]) -> tuple[IdxHeader, IdxHeader]:
    test = [h for h in two if any(m in h.upload.filename.lower() for m in TEST_MARKERS)]
    if len(test) != 1:
        raise DatasetError(
            f"Cannot tell the test file from the training file among {two[0].name} and "
            f"{two[1].name}: {len(test)} of them name themselves test files. {NAME_TEST_PAIR}"
        )
    train = two[0] if test[0] is two[1] else two[1]
    return train, test[0]


def _check_pairs(pairs: dict[str, tuple[IdxHeader, IdxHeader]]) -> None:
    hint = f" {NAME_TEST_PAIR}" if len(pairs) > 1 else ""  # a misnamed file pairs wrongly
    for images, labels in pairs.values():
        if images.dims[0] != labels.dims[0]:
            raise DatasetError(
                f"{images.name} has {images.dims[0]} images but {labels.name} has "
                f"{labels.dims[0]} labels; every image needs exactly one label. Upload the "
                f"labels file that belongs to these images.{hint}"
            )
    train, test = pairs["train"][0], pairs.get("test", pairs["train"])[0]
    if train.dims[1:] != test.dims[1:]:
        raise DatasetError(
            f"{train.name} holds {train.describe()} but {test.name} holds {test.describe()}; "
            "train and test images must have the same size. Upload files of one data set."
        )


def _check_size(header: IdxHeader) -> None:
    found = _data_size(header)
    if found != header.data_bytes:
        raise DatasetError(_size_error(header, found))


def _data_size(header: IdxHeader) -> int:
    """Bytes after the header, without decompressing when the gzip trailer already agrees."""
    path = header.upload.path
    if not _is_gzip(header.upload):
        return path.stat().st_size - header.header_bytes
    with path.open("rb") as raw:
        raw.seek(-4, 2)
        size_mod_4g = int.from_bytes(raw.read(4), "little")  # gzip stores the size mod 2**32
    if size_mod_4g == (header.header_bytes + header.data_bytes) % 2**32:
        return header.data_bytes  # checked again while streaming
    found, enough = 0, header.data_bytes + CHUNK_BYTES  # a gzip bomb is not counted to its end
    with _open(header.upload) as stream:
        stream.read(header.header_bytes)
        while found < enough and (block := stream.read(min(CHUNK_BYTES, enough - found))):
            found += len(block)
    return found


def _size_error(header: IdxHeader, found: int) -> str:
    expected = f"its header says {header.describe()} = {header.data_bytes:,} bytes"
    if found < header.data_bytes:
        return (
            f"{header.name} is cut short: {expected}, but the file has only {found:,}. "
            "Download it again."
        )
    extra = found - header.data_bytes  # counted up to one chunk, no further
    amount = f"{extra:,}" if extra < CHUNK_BYTES else f"at least {extra:,}"
    return (
        f"{header.name} has {amount} extra bytes after its data: {expected}. Upload the "
        "file exactly as downloaded, not joined to another file."
    )


def _chunks(header: IdxHeader) -> Iterator[tuple[int, np.ndarray]]:
    """(offset, bytes) of the data after the header, CHUNK_BYTES at a time."""
    with _open(header.upload) as stream:
        stream.read(header.header_bytes)
        done = 0
        while done < header.data_bytes:
            block = stream.read(min(CHUNK_BYTES, header.data_bytes - done))
            if not block:
                raise DatasetError(_size_error(header, done))
            yield done, np.frombuffer(block, dtype=np.uint8)
            done += len(block)
        if extra := len(stream.read(CHUNK_BYTES)):
            raise DatasetError(_size_error(header, done + extra))


def _write_split(
    out: Path, split: str, images: IdxHeader, labels: IdxHeader, max_classes: int
) -> int:
    """Stream one pair into x_<split>.npy and y_<split>.npy; returns the largest label.
    Labels first: one above MAX_CLASSES fails the upload before any image is copied."""
    count, rows, cols = images.dims
    x, y = open_split(out, split, count, (rows, cols), np.uint8)
    top = 0
    for start, block in _chunks(labels):
        y[start : start + len(block)] = block
        top = max(top, int(block.max()))
        if top >= max_classes:
            first = int(np.argmax(block >= max_classes))
            where = f"{labels.name}, label {start + first}"
            raise too_many_classes(where, f"label {block[first]} is too large", max_classes)
    flat = x.reshape(-1)  # a view of the memmap, so writes land in the file
    for start, block in _chunks(images):
        flat[start : start + len(block)] = block
    x.flush()
    y.flush()
    return top
