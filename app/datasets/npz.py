"""NumPy .npz uploads, laid out as keras.datasets returns them.

Keys x_train/y_train (plus optional x_test/y_test), or x/y. Object arrays are refused
unread: unpickling an upload would run its code. The zip's declared sizes are checked before
any array is read, so a zip bomb is refused unopened; then every member's .npy header (shape,
dtype, order) is read and checked against the size the zip declares for it, and the dataset's
stored size against MAX_DATASET_BYTES, before any data. x streams from the zip into its .npy a
block of samples at a time (a Fortran-ordered x is read whole: its samples are not
contiguous); the labels, small beside x, are read whole.
"""

from __future__ import annotations

import lzma
import math
import tokenize
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from app.datasets.base import (
    LABEL_DTYPE,
    DatasetError,
    Options,
    Parsed,
    Upload,
    check_budget,
    default_class_names,
    human_bytes,
    too_many_classes,
)
from app.datasets.npyio import BLOCK_BYTES, NpyWriter
from app.paths import split_files

MAX_UNCOMPRESSED = 4 * 1024**3  # all members together, as the zip declares them
MAX_RATIO = 200  # deflate on real data rarely passes 20x; a zip bomb reaches 1000x
RATIO_CHECKED_FROM = 10 * 1024 * 1024  # small members may compress well (an all-zero mask)
KEPT_DTYPES = {np.dtype(t) for t in ("int8", "uint8", "int16", "uint16", "float16", "float32")}
FLOAT32_EXACT = 2**24  # float32 holds every integer up to here, and not all beyond
LAYOUTS = (
    "x_train and y_train, plus optionally x_test and y_test (as keras.datasets returns them), "
    "or x and y. Save them with np.savez(path, x_train=x_train, y_train=y_train, ...)"
)
NPY_MAGIC = b"\x93NUMPY"
MAX_HEADER_BYTES = 10_000  # np.load's own limit on a .npy header


@dataclass(frozen=True)
class Member:
    """One array of the archive, as its .npy header describes it; nothing read beyond."""

    key: str
    where: str  # '"x_train" in "mnist.npz"', for messages
    info: zipfile.ZipInfo
    shape: tuple[int, ...]
    fortran: bool
    dtype: np.dtype
    header_bytes: int

    @property
    def data_bytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


def parse_npz(files: list[Upload], options: Options, out: Path) -> Parsed:
    """Write split "train" (and "test" when the archive has one) from an .npz upload."""
    if len(files) != 1:
        names = ", ".join(f'"{f.filename}"' for f in files) or "none"
        raise DatasetError(
            f"Received {len(files)} files ({names}); an NPZ upload is exactly one .npz file "
            f"holding {LAYOUTS}."
        )
    name = f'"{files[0].filename}"' if files[0].filename else "the uploaded file"
    _check_archive(files[0].path, name)
    with zipfile.ZipFile(files[0].path) as archive:
        infos = {_key(i.filename): i for i in archive.infolist() if not i.is_dir()}
        keys = _split_keys(list(infos), name)
        members = {k: _member(archive, infos[k], k, name) for _, pair in keys for k in pair}
        xs = {split: _x_member(members[x_key]) for split, (x_key, _) in keys}
        _check_sample_shapes(xs, name)
        for _, (x_key, y_key) in keys:
            samples, given = members[x_key].shape[0], _label_count(members[y_key])
            if samples != given:
                raise DatasetError(
                    f'"{x_key}" has {samples} samples but "{y_key}" has {given} labels in '
                    f"{name}; every sample needs exactly one label."
                )
        count = sum(m.shape[0] for m, _ in xs.values())
        sample_shape, stored = xs["train"][0].shape[1:], _common_dtype(xs)
        xs = {split: (member, stored) for split, (member, _) in xs.items()}
        check_budget(name, count, sample_shape, stored, options)
        ys = {s: _label_vector(_read_whole(archive, members[yk], options), members[yk].where)
              for s, (_, yk) in keys}  # fmt: skip
        labels, class_names = _class_indices(ys, dict(keys), options, name)
        counts = {}
        for split, (member, dtype) in xs.items():
            counts[split] = _copy_x(archive, member, dtype, out, split)
            np.save(split_files(out, split)[1], labels[split].astype(LABEL_DTYPE, copy=False))
    return Parsed(counts, class_names)


def _key(filename: str) -> str:
    """np.load's name for a member: its file name without ".npy"."""
    return filename.removesuffix(".npy")


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, name: str) -> Member:
    """A member's .npy header, checked against the size the zip declares for the member."""
    where = f'"{key}" in {name}'
    with _reading(where), archive.open(info) as f:
        if f.read(len(NPY_MAGIC)) != NPY_MAGIC:
            raise DatasetError(f"{where} is not a .npy array; save it with np.savez.")
        version = (f.read(1) or b"\0")[0], (f.read(1) or b"\0")[0]
        if version == (1, 0):
            header = np.lib.format.read_array_header_1_0(f, max_header_size=MAX_HEADER_BYTES)
        elif version == (2, 0):
            header = np.lib.format.read_array_header_2_0(f, max_header_size=MAX_HEADER_BYTES)
        else:
            raise DatasetError(
                f"{where} is a .npy file of format version {version[0]}.{version[1]}, which "
                f"this server does not read; save it with np.savez from NumPy 1.9 or later."
            )
        shape, fortran, dtype = header
        offset = f.tell()
    if dtype.itemsize == 0:
        raise DatasetError(
            f"{where} holds items of {dtype} (zero bytes each), not numbers or strings; save "
            "numeric arrays, or labels as integers or strings."
        )
    if dtype.hasobject:
        raise DatasetError(
            f"{where} is an object (pickled) array; these are refused for safety, since "
            "loading one can run code. Save plain numeric arrays instead, e.g. "
            "np.asarray(x, dtype='float32'), and labels as integers or strings."
        )
    member = Member(key, where, info, tuple(shape), bool(fortran), dtype, offset)
    held = info.file_size - offset
    if any(d < 0 for d in member.shape) or member.data_bytes != held:
        raise DatasetError(
            f"{where} is damaged: its header says shape {member.shape} of {dtype} = "
            f"{member.data_bytes:,} bytes (negative sizes are never valid), but the member "
            f"holds {held:,} bytes of data. Save it again with np.savez."
        )
    return member


def _x_member(member: Member) -> tuple[Member, np.dtype]:
    """x's member, and the dtype it is stored in (refusals from the header alone)."""
    where, shape, dtype = member.where, member.shape, member.dtype
    if math.prod(shape) == 0:
        raise DatasetError(f"{where} is empty (shape {shape}); it needs at least one sample.")
    if len(shape) < 2:
        raise DatasetError(
            f"{where} has shape {shape}, but one sample must be at least a vector: x needs "
            "shape (n, features...). Reshape it, e.g. x.reshape(len(x), -1)."
        )
    if dtype.kind == "b":
        return member, np.dtype(np.uint8)
    if dtype.kind not in "uif":
        raise DatasetError(
            f"{where} holds {dtype} values; x must be integers, floats or booleans, not "
            "strings, complex numbers or records. Convert it, e.g. x.astype('float32')."
        )
    native = dtype.newbyteorder("=")
    return member, native if native in KEPT_DTYPES else np.dtype(np.float32)


def _common_dtype(xs: dict[str, tuple[Member, np.dtype]]) -> np.dtype:
    """One dtype for every split's x (x_train uint8 with x_test int8 is stored as int16)."""
    common = np.result_type(*(dtype for _, dtype in xs.values()))
    return common if common in KEPT_DTYPES else np.dtype(np.float32)


def _label_count(member: Member) -> int:
    if math.prod(member.shape) == 0:
        raise DatasetError(
            f"{member.where} is empty (shape {member.shape}); it needs one label per sample."
        )
    return member.shape[0] if member.shape else 1


@contextmanager
def _reading(where: str) -> Iterator[None]:
    """zipfile's and the .npy reader's errors on damaged bytes, as answers to the user."""
    try:
        yield
    except DatasetError:
        raise
    except NotImplementedError:  # before RuntimeError, its base class
        raise DatasetError(
            f"{where} is stored with a zip compression method or feature this server cannot "
            "read; save it with np.savez or np.savez_compressed."
        ) from None
    except RuntimeError:  # zipfile's word for "encrypted"
        raise DatasetError(f"{where} is encrypted; save it again without a password.") from None
    except (
        zipfile.BadZipFile,
        zlib.error,
        lzma.LZMAError,
        EOFError,
        OSError,
        ValueError,
        SyntaxError,  # a .npy header whose text is not a Python literal
        tokenize.TokenError,
    ) as error:
        raise DatasetError(f"{where} is damaged ({error}). Save it again.") from None


def _read_exactly(f: IO[bytes], size: int, member: Member) -> bytes:
    data = f.read(size)
    if len(data) != size:
        raise DatasetError(f"{member.where} is damaged (it ends early). Save it again.")
    return data


def _read_whole(archive: zipfile.ZipFile, member: Member, options: Options) -> np.ndarray:
    """A (label) array read whole; labels are small beside x, but bounded all the same."""
    if member.data_bytes > options.max_bytes:
        raise DatasetError(
            f"{member.where} holds {human_bytes(member.data_bytes)} of labels, over the "
            f"limit of {human_bytes(options.max_bytes)} per dataset (the MAX_DATASET_BYTES "
            "setting). Save integer labels of shape (n,).",
            status=413,
        )
    with _reading(member.where), archive.open(member.info) as f:
        f.read(member.header_bytes)
        data = _read_exactly(f, member.data_bytes, member)
        f.read(1)  # past the end: zipfile checks the member's CRC
    return _shaped(data, member)


def _shaped(data: bytes, member: Member) -> np.ndarray:
    flat = np.frombuffer(data, dtype=member.dtype)
    if member.fortran:
        return flat.reshape(member.shape[::-1]).T
    return flat.reshape(member.shape)


def _blocks(archive: zipfile.ZipFile, member: Member) -> Iterator[np.ndarray]:
    """x's samples in order, a block at a time, read as they are needed."""
    count, sample = member.shape[0], member.shape[1:]
    per_row = math.prod(sample) * member.dtype.itemsize
    rows = max(1, BLOCK_BYTES // max(1, per_row))
    with _reading(member.where), archive.open(member.info) as f:
        f.read(member.header_bytes)
        if member.fortran:  # column-major: a sample's values are spread over the whole file
            whole = _shaped(_read_exactly(f, member.data_bytes, member), member)
            for start in range(0, count, rows):
                yield whole[start : start + rows]
        else:
            for start in range(0, count, rows):
                n = min(rows, count - start)
                data = _read_exactly(f, n * per_row, member)
                yield np.frombuffer(data, dtype=member.dtype).reshape(n, *sample)
        f.read(1)  # past the end: zipfile checks the member's CRC


def _copy_x(
    archive: zipfile.ZipFile, member: Member, dtype: np.dtype, out: Path, split: str
) -> int:
    """Stream x into x_<split>.npy in the stored dtype; returns the number of samples."""
    writer = NpyWriter(split_files(out, split)[0], member.shape, dtype)
    try:
        start = 0
        for block in _blocks(archive, member):
            writer.write(_features(block, member.where, dtype, start))
            start += len(block)
    finally:
        writer.file.close()
    return member.shape[0]


def _check_archive(path: Path, name: str) -> None:
    """Refuse what is not an .npz, and zip bombs, before anything is decompressed."""
    with path.open("rb") as raw:
        start = raw.read(6)
    if not start:
        raise DatasetError(f"{name} is empty (0 bytes); upload an .npz file holding {LAYOUTS}.")
    if start == b"\x93NUMPY":
        raise DatasetError(f"{name} is a single .npy array, not an .npz; save {LAYOUTS}.")
    if not start.startswith(b"PK"):  # np.load would try to unpickle anything else
        raise DatasetError(
            f"{name} is not an .npz file (a zip of .npy arrays): it starts with {start!r}. "
            f"Save {LAYOUTS}."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as error:
        raise DatasetError(f"{name} is a damaged zip ({error}); save it again.") from error
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED:
        raise DatasetError(
            f"{name} would expand to {total:,} bytes, more than the {MAX_UNCOMPRESSED:,}-byte "
            "limit. Upload fewer or smaller arrays (uint8 pixels take a quarter of float32)."
        )
    for m in members:
        if m.file_size > RATIO_CHECKED_FROM and m.file_size > MAX_RATIO * m.compress_size:
            raise DatasetError(
                f'{name} is refused as a possible zip bomb: member "{m.filename}" would expand '
                f"from {m.compress_size:,} to {m.file_size:,} bytes "
                f"({m.file_size / max(m.compress_size, 1):,.0f}x; the limit is {MAX_RATIO}x "
                "above 10 MB). Upload real data, or save it with np.savez (uncompressed)."
            )


def _split_keys(found: list[str], name: str) -> list[tuple[str, tuple[str, str]]]:
    """[(split, (x_key, y_key))] for the layout the archive uses."""
    listed = ", ".join(found) or "none"
    if "x_train" in found or "y_train" in found:
        layout = [("train", ("x_train", "y_train")), ("test", ("x_test", "y_test"))]
    elif "x" in found or "y" in found:
        layout = [("train", ("x", "y"))]
    else:
        raise DatasetError(f"{name} holds the keys {listed}; expected {LAYOUTS}.")
    keys = []
    for split, (x_key, y_key) in layout:
        if x_key in found and y_key in found:
            keys.append((split, (x_key, y_key)))
        elif x_key in found or y_key in found:
            have, lacking = (x_key, y_key) if x_key in found else (y_key, x_key)
            raise DatasetError(
                f'{name} has "{have}" but no "{lacking}" (keys found: {listed}); a split needs '
                f'both. Add "{lacking}", or drop "{have}". Expected {LAYOUTS}.'
            )
    return keys


def _features(x: np.ndarray, where: str, stored: np.dtype, start: int = 0) -> np.ndarray:
    """A block of x (samples `start`...) in its stored dtype: small types kept, wide ones
    float32 when every value fits; NaN and infinity refused (checked block by block, before
    the block is written)."""
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        at = tuple(np.argwhere(~np.isfinite(x))[0])
        raise DatasetError(
            f"{where} holds {x[at]} in sample {start + int(at[0])}; features must be finite "
            "numbers. Replace or drop those samples (e.g. np.nan_to_num) before saving."
        )
    if x.dtype.kind == "b" or x.dtype.newbyteorder("=") in KEPT_DTYPES:
        return x.astype(stored, copy=False)
    low: float
    high: float
    if x.dtype.kind == "f":  # all finite, checked above
        fits = float(np.finfo(np.float32).max)
        low, high = float(x.min()), float(x.max())
        limit = f"float32's range (about ±{fits:.1e})"
    else:
        fits, low, high = FLOAT32_EXACT, int(x.min()), int(x.max())
        limit = f"what float32 stores exactly (±{FLOAT32_EXACT:,})"
    if max(-low, high) > fits:
        raise DatasetError(
            f"{where} holds {x.dtype} values from {low} to {high}, beyond {limit}. Scale "
            "them down (e.g. divide by the largest value) before saving."
        )
    return x.astype(np.float32)


def _label_vector(y: np.ndarray, where: str) -> np.ndarray:
    """y as 1-D numbers or strings: (n, 1) squeezed, one-hot (n, K) turned into indices."""
    if y.size == 0:
        raise DatasetError(f"{where} is empty (shape {y.shape}); it needs one label per sample.")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    elif y.ndim == 2 and y.dtype.kind in "buif":
        y = _from_one_hot(y, where)
    if y.ndim != 1 or y.dtype.kind not in "buifSU":
        raise DatasetError(
            f"{where} has shape {y.shape} and dtype {y.dtype}; y must be 1-D integer labels "
            "of shape (n,), strings, or one-hot rows of shape (n, classes)."
        )
    if y.dtype.kind == "S":
        return np.strings.decode(y, "utf-8", errors="replace")
    if y.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(y) | (y != np.floor(y)))
        if bad.size:
            raise DatasetError(
                f"{where} holds {y[bad[0]]} at index {bad[0]}; float labels must be whole "
                "numbers (class indices 0, 1, 2, ...). Save integer labels instead."
            )
    return y  # numbers stay as they are until their range is checked


def _from_one_hot(y: np.ndarray, where: str) -> np.ndarray:
    rows_ok = ((y == 0) | (y == 1)).all(axis=1) & (y.sum(axis=1) == 1)
    bad = np.flatnonzero(~rows_ok)
    if bad.size:
        row = y[bad[0]].tolist()
        shown = f"{row[:12]}{' ...' if len(row) > 12 else ''}"
        raise DatasetError(
            f"{where} has shape {y.shape}, so it is read as one-hot labels, but row {bad[0]} "
            f"is {shown}, not a single 1 among 0s. Save one-hot rows with exactly one 1, or "
            "integer labels of shape (n,)."
        )
    return y.argmax(axis=1)


def _check_sample_shapes(xs: dict[str, tuple[Member, np.dtype]], name: str) -> None:
    if "test" in xs and xs["train"][0].shape[1:] != xs["test"][0].shape[1:]:
        train, test = xs["train"][0].shape[1:], xs["test"][0].shape[1:]
        raise DatasetError(
            f'"x_train" samples have shape {train} but "x_test" samples have shape {test} in '
            f"{name}; both splits must hold samples of the same shape."
        )


def _class_indices(
    ys: dict[str, np.ndarray], keys: dict[str, tuple[str, str]], options: Options, name: str
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Labels as indices 0..K-1 and the K class names, for every split together."""
    given = options.class_names
    strings = {split for split, y in ys.items() if y.dtype.kind == "U"}
    if strings and len(strings) != len(ys):
        raise DatasetError(
            f'"y_train" and "y_test" in {name} mix string and numeric labels; use one kind.'
        )
    cap = options.max_classes
    if strings:
        names = given or _distinct_strings(ys, keys, name, cap)
        indices = {s: _index_strings(y, names, keys[s][1], name) for s, y in ys.items()}
        return indices, list(names)
    limit = min(len(given), cap) if given else cap
    for split, y in ys.items():
        bad = np.flatnonzero((y < 0) | (y >= limit))  # before any list of names is made
        if not bad.size:
            continue
        value, index, key = y[bad[0]].item(), int(bad[0]), keys[split][1]
        if value < 0 or (given and value >= len(given)):
            raise DatasetError(_out_of_range(value, index, key, name, given))
        where = f'"{key}" in {name}, index {index}'
        raise too_many_classes(where, f"label {value!r} is too large", cap)
    top = max(int(y.max()) for y in ys.values())
    return ys, default_class_names(top + 1, given, name)


def _distinct_strings(
    ys: dict[str, np.ndarray], keys: dict[str, tuple[str, str]], name: str, cap: int
) -> list[str]:
    """The string labels of all splits, sorted: the class names, MAX_CLASSES at most."""
    found: set[str] = set()
    for split, y in ys.items():
        found.update(str(v) for v in np.unique(y))
        if len(found) > cap:
            where = f'"{keys[split][1]}" in {name}'
            raise too_many_classes(where, f"{len(found):,} different labels", cap)
    return sorted(found)


def _index_strings(y: np.ndarray, names: list[str], key: str, name: str) -> np.ndarray:
    table = np.array(names)
    order = np.argsort(table)
    found = order[np.searchsorted(table, y, sorter=order).clip(max=len(table) - 1)]
    bad = np.flatnonzero(table[found] != y)
    if bad.size:
        raise DatasetError(_out_of_range(str(y[bad[0]]), int(bad[0]), key, name, names))
    return found


def _out_of_range(value: object, index: int, key: str, name: str, given: list[str] | None) -> str:
    found = f'labels out of range: "{key}" in {name} has label {value!r} at index {index}'
    if isinstance(value, str):
        return f"{found}, which is not one of the class names given ({', '.join(given or [])})."
    if given:
        return (
            f"{found}, but only {len(given)} class names were given ({', '.join(given)}), so "
            f"labels must be 0..{len(given) - 1}."
        )
    return f"{found}; labels must be class indices 0, 1, 2, ..."
