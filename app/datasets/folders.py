"""A zip of class folders, the `keras.utils.image_dataset_from_directory` convention.

`T-shirt/0.png`, `Trouser/0.png`, ... (or the same under one `fashion/` folder) give classes
"T-shirt", "Trouser", ... in sorted order, labels 0, 1, ...; as in Keras, a class takes every
image below its folder, however deep. Nothing is extracted to disk: entries are read into
memory one at a time, after every entry's name and declared sizes were checked, since the
archive's header is the attacker's to write. Decoded images go to a memory-mapped file.
"""

from __future__ import annotations

import lzma
import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.datasets.base import (
    LABEL_DTYPE,
    DatasetError,
    Options,
    Parsed,
    Upload,
    check_budget,
    too_many_classes,
)
from app.datasets.images import DecompressionBomb, decode_image
from app.paths import split_files
from app.storage import open_memmap

MAX_ENTRIES = 200_000
MAX_TOTAL_BYTES = 4 * 1024**3  # declared uncompressed size of all entries together
MAX_ENTRY_BYTES = 64 * 1024**2  # one file; far above any training image
MAX_RATIO = 200  # deflate reaches about 1000:1 on zeros, real images stay far below 200:1
RATIO_FLOOR_BYTES = 10 * 1024**2  # small files of flat colour compress well honestly
# Without an image_size, the first image sets the size of all, up to this many pixels a side
# (the most image_size may ask for); a larger one is scaled down to fit, keeping its shape.
MAX_SIDE = 1024
MAX_SKIPS_LISTED = 1_000  # a Mac zip adds one __MACOSX entry per file; count the rest
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass
class _Plan:
    folders: dict[str, list[zipfile.ZipInfo]] = field(default_factory=dict)  # class -> files
    skipped: list[dict[str, Any]] = field(default_factory=list)


def parse_folders(files: list[Upload], options: Options, out: Path) -> Parsed:
    """Decode every image of a class-folder zip into `x_train.npy` (n, h, w, C) uint8."""
    if len(files) != 1:
        names = ", ".join(repr(f.filename) for f in files) or "none"
        raise DatasetError(
            f"a folder upload is one .zip file holding one folder per class; received "
            f"{len(files)} files ({names}). Zip the class folders together and upload the zip."
        )
    upload = files[0]
    zip_name = repr(upload.filename or "the zip")
    try:
        archive = zipfile.ZipFile(upload.path)
    except (zipfile.BadZipFile, EOFError, ValueError) as error:
        raise DatasetError(
            f"not a zip file: {zip_name} could not be opened as a zip ({error}). Upload a .zip "
            "holding one folder of images per class.",
            status=415,
        ) from None
    with archive:
        infos = archive.infolist()
        _check_entries(infos, zip_name)
        plan = _plan(infos)
        if len(plan.folders) < 2:
            raise DatasetError(f"{_found(list(plan.folders))} in {zip_name}; {_NEED_TWO}")
        if len(plan.folders) > options.max_classes:  # before one image is decoded
            found = f"{len(plan.folders):,} class folders"
            raise too_many_classes(zip_name, found, options.max_classes)
        images = sum(len(v) for v in plan.folders.values())
        if options.image_size is not None:  # else checked at the first image, which sets it
            channels = 1 if options.color_mode == "grayscale" else 3
            check_budget(zip_name, images, (*options.image_size, channels), np.uint8, options)
        elif images > options.max_samples:
            check_budget(zip_name, images, (), np.uint8, options)
        return _decode_all(archive, plan, options, out, zip_name)


_NEED_TWO = (
    "need at least 2, one folder per class (for example cat/1.png and dog/1.png). "
    "Files directly at the top of the zip belong to no class."
)


def _found(folders: list[str]) -> str:
    listed = ", ".join(repr(f) for f in folders)
    return f"found {len(folders)} class folder{'' if len(folders) == 1 else 's'} {listed}".strip()


def _check_entries(infos: list[zipfile.ZipInfo], zip_name: str) -> None:
    """Refuse the archive on its headers alone: unsafe names, links, bombs."""
    if len(infos) > MAX_ENTRIES:
        raise DatasetError(
            f"{zip_name} has {len(infos):,} entries, over the limit of {MAX_ENTRIES:,}. "
            "Upload fewer images, or split them over several datasets."
        )
    total = 0
    for info in infos:
        name = info.filename
        why = None
        if name.startswith(("/", "\\")) or _DRIVE.match(name):
            why = "an absolute path"
        elif ".." in re.split(r"[/\\]", name):
            why = "a '..' component that points outside the folder"
        elif stat.S_ISLNK(info.external_attr >> 16):  # Unix mode bits, as zip -y stores them
            why = "a symbolic link"
        if why:
            raise DatasetError(
                f"unsafe entry {name!r} in {zip_name}: it is {why}. Zip the class folders "
                "themselves (for example `zip -r data.zip fashion/`), without links."
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
            raise DatasetError(
                f"entry {name!r} in {zip_name} declares {info.file_size:,} bytes from "
                f"{info.compress_size:,} compressed ({ratio:,.0f}:1), over the {MAX_RATIO}:1 "
                f"allowed for files over {RATIO_FLOOR_BYTES:,} bytes; it looks like a zip bomb."
            )
        if info.file_size > MAX_ENTRY_BYTES:
            raise DatasetError(
                f"entry {name!r} in {zip_name} declares {info.file_size:,} bytes, over the "
                f"limit of {MAX_ENTRY_BYTES:,} bytes per file. Leave it out, or scale it down."
            )
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise DatasetError(
            f"{zip_name} declares {total:,} bytes uncompressed, over the limit of "
            f"{MAX_TOTAL_BYTES:,}. Upload fewer or smaller images."
        )


def _plan(infos: list[zipfile.ZipInfo]) -> _Plan:
    """Which files belong to which class folder, and which entries are left out and why."""
    plan = _Plan()
    files: list[tuple[list[str], zipfile.ZipInfo]] = []
    folders: list[list[str]] = []
    for info in infos:
        parts = [p for p in re.split(r"[/\\]", info.filename) if p]
        hidden = any(p.startswith(".") for p in parts)
        if not parts or (info.is_dir() and (hidden or parts[0] == "__MACOSX")):
            continue
        if parts[0] == "__MACOSX":
            plan.skipped.append(_skip(info, "macOS metadata (__MACOSX), not an image"))
        elif hidden:
            plan.skipped.append(_skip(info, "hidden file or folder"))
        elif info.is_dir():
            folders.append(parts)  # an empty class folder is still worth reporting
        else:
            files.append((parts, info))
    # One folder around everything (`fashion/T-shirt/0.png`) is a wrapper, not a class;
    # decided on files only, so a stray empty folder does not change the meaning.
    tops = {parts[0] for parts, _ in files}
    depth = 1 if len(tops) == 1 and any(len(parts) > 2 for parts, _ in files) else 0
    root = files[0][0][:depth] if files else []
    for parts in folders:
        if parts[:depth] == root and len(parts) > depth:
            plan.folders.setdefault(parts[depth], [])
    for parts, info in files:
        if len(parts) == depth + 1:
            plan.skipped.append(_skip(info, "not inside a class folder; move it into one"))
        else:
            plan.folders.setdefault(parts[depth], []).append(info)
    plan.folders = {k: sorted(v, key=lambda i: i.filename) for k, v in sorted(plan.folders.items())}
    return plan


def _skip(info: zipfile.ZipInfo, reason: str) -> dict[str, Any]:
    return {"entry": info.filename, "reason": reason}


def _load(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    size: tuple[int, int] | None,
    mode: str | None,
    zip_name: str,
    max_pixels: int,
) -> tuple[np.ndarray, dict[str, Any]] | str:
    """One entry's pixels, or why it is skipped. Its header was checked, but headers lie:
    never read more than it declared. A bomb is not skipped but fails the upload: an image
    that claims 40 million pixels is an attack, not a mistake."""
    try:
        with archive.open(info) as member:
            data = member.read(info.file_size + 1)  # file_size <= MAX_ENTRY_BYTES, checked
    except NotImplementedError:  # before RuntimeError, its base class
        return f"compressed with a method this server cannot read ({info.compress_type})"
    except RuntimeError:  # zipfile's word for "encrypted"
        return "encrypted; zip it again without a password"
    except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError) as error:
        # OSError: offsets that point before the file, a bzip2 label on other data.
        raise DatasetError(
            f"corrupt zip entry {info.filename!r} in {zip_name}: {error}. The archive is "
            "damaged (or its sizes were edited); create the zip again."
        ) from None
    if len(data) > info.file_size:  # zipfile stops at the declared size; belt and braces
        raise DatasetError(
            f"entry {info.filename!r} in {zip_name} holds more than the {info.file_size:,} "
            f"bytes its header declares (limit {MAX_ENTRY_BYTES:,}). Create the zip again."
        )
    try:
        return decode_image(data, info.filename, size, mode, max_pixels=max_pixels, fit=MAX_SIDE)
    except DecompressionBomb:
        raise
    except DatasetError as error:  # not an image, or a broken one
        return error.message


def _decode_all(
    archive: zipfile.ZipFile, plan: _Plan, options: Options, out: Path, zip_name: str
) -> Parsed:
    size, mode = options.image_size, options.color_mode
    capacity = sum(len(v) for v in plan.folders.values())
    samples: _Samples | None = None
    counts = [0] * len(plan.folders)
    resized = 0
    try:
        for label, entries in enumerate(plan.folders.values()):
            for info in entries:
                decoded = _load(archive, info, size, mode, zip_name, options.max_image_pixels)
                if isinstance(decoded, str):
                    plan.skipped.append(_skip(info, decoded))
                    continue
                pixels, report = decoded
                if samples is None:  # the first image sets the size and colour of all
                    size, mode = (pixels.shape[0], pixels.shape[1]), report["color_mode"]
                    check_budget(zip_name, capacity, pixels.shape, np.uint8, options)
                    samples = _Samples(out, capacity, pixels.shape)
                samples.add(pixels, label)
                counts[label] += 1
                resized += report["resized_to"] is not None
        if samples is None:
            reasons = "; ".join(f"{s['entry']!r}: {s['reason']}" for s in plan.skipped[:3])
            raise DatasetError(f"no image in {zip_name} could be read ({reasons}).")
        names = _classes(plan, counts, zip_name)
        n = samples.save(out, [names.index(k) if k in names else -1 for k in plan.folders])
    finally:
        if samples is not None:
            samples.discard()
    notes = {"color_mode": mode, "image_size": list(size or ()), "resized_images": resized}
    if len(plan.skipped) > MAX_SKIPS_LISTED:
        notes["skipped_not_listed"] = len(plan.skipped) - MAX_SKIPS_LISTED
    listed = plan.skipped[:MAX_SKIPS_LISTED]
    return Parsed(splits={"train": n}, class_names=names, skipped=listed, notes=notes)


def _classes(plan: _Plan, counts: list[int], zip_name: str) -> list[str]:
    """The class folders with at least one image; the empty ones go into the report."""
    names = [name for name, count in zip(plan.folders, counts, strict=True) if count]
    for name, count in zip(plan.folders, counts, strict=True):
        if not count:
            plan.skipped.append({"entry": name + "/", "reason": _EMPTY_CLASS})
    if len(names) < 2:
        raise DatasetError(
            f"{_found(names)} with images that could be read in {zip_name}; {_NEED_TWO}"
        )
    return names


_EMPTY_CLASS = "class folder with no image that could be read; left out of the classes"


class _Samples:
    """Decoded images, written to disk as they come, so a large zip never sits in memory."""

    def __init__(self, out: Path, capacity: int, shape: tuple[int, ...]) -> None:
        self.partial = out / "x_train.partial.npy"
        self.x = open_memmap(self.partial, np.uint8, (capacity, *shape))  # disk reserved
        self.labels: list[int] = []

    def add(self, pixels: np.ndarray, label: int) -> None:
        self.x[len(self.labels)] = pixels
        self.labels.append(label)

    def save(self, out: Path, relabel: list[int]) -> int:
        """x_train/y_train with labels renumbered over the classes that kept images."""
        n = len(self.labels)
        x_path, y_path = split_files(out, "train")
        self.x.flush()
        if n == len(self.x):  # every file decoded: the partial file is the result
            del self.x
            os.replace(self.partial, x_path)
        else:  # map to map: the rows stream through the page cache, not through memory
            x_out = open_memmap(x_path, np.uint8, (n, *self.x.shape[1:]))
            x_out[:] = self.x[:n]
            x_out.flush()
        np.save(y_path, np.asarray([relabel[label] for label in self.labels], LABEL_DTYPE))
        return n

    def discard(self) -> None:
        if hasattr(self, "x"):
            del self.x  # close the map before the file goes
        self.partial.unlink(missing_ok=True)
