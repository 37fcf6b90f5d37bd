"""NumPy .npz uploads, laid out as keras.datasets returns them.

Keys x_train/y_train (plus optional x_test/y_test), or x/y. Arrays load with
allow_pickle=False, always: unpickling an upload would run its code. The zip's declared sizes
are checked before any array is read, so a zip bomb is refused unopened. An .npz member cannot
be streamed, so arrays load whole; MAX_UNCOMPRESSED bounds how much that can be.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from app.datasets.base import (
    DatasetError,
    Options,
    Parsed,
    Upload,
    default_class_names,
    save_split,
    too_many_classes,
)

MAX_UNCOMPRESSED = 4 * 1024**3  # all members together, as the zip declares them
MAX_RATIO = 200  # deflate on real data rarely passes 20x; a zip bomb reaches 1000x
RATIO_CHECKED_FROM = 10 * 1024 * 1024  # small members may compress well (an all-zero mask)
KEPT_DTYPES = {np.dtype(t) for t in ("int8", "uint8", "int16", "uint16", "float16", "float32")}
FLOAT32_EXACT = 2**24  # float32 holds every integer up to here, and not all beyond
LAYOUTS = (
    "x_train and y_train, plus optionally x_test and y_test (as keras.datasets returns them), "
    "or x and y. Save them with np.savez(path, x_train=x_train, y_train=y_train, ...)"
)
Split = tuple[np.ndarray, np.ndarray]


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
    with np.load(files[0].path, allow_pickle=False) as archive:
        keys = _split_keys(list(archive.files), name)
        loaded = {s: (_read(archive, xk, name), _read(archive, yk, name)) for s, (xk, yk) in keys}
    splits: dict[str, Split] = {}
    for split, (x_key, y_key) in keys:
        x = _features(loaded[split][0], f'"{x_key}" in {name}')
        y = _label_vector(loaded[split][1], f'"{y_key}" in {name}')
        if len(x) != len(y):
            raise DatasetError(
                f'"{x_key}" has {len(x)} samples but "{y_key}" has {len(y)} labels in {name}; '
                "every sample needs exactly one label."
            )
        splits[split] = (x, y)
    _check_sample_shapes(splits, name)
    labels, class_names = _class_indices(splits, dict(keys), options, name)
    counts = {split: save_split(out, split, x, labels[split]) for split, (x, _) in splits.items()}
    return Parsed(counts, class_names)


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


def _read(archive: np.lib.npyio.NpzFile, key: str, name: str) -> np.ndarray:
    try:
        array = archive[key]
    except ValueError as error:
        if "allow_pickle" not in str(error):
            raise DatasetError(f'"{key}" in {name} cannot be read: {error}.') from error
        raise DatasetError(
            f'"{key}" in {name} is an object (pickled) array; these are refused for safety, '
            "since loading one can run code. Save plain numeric arrays instead, e.g. "
            "np.asarray(x, dtype='float32'), and labels as integers or strings."
        ) from error
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        raise DatasetError(f'"{key}" in {name} is damaged ({error}). Save it again.') from error
    if not isinstance(array, np.ndarray):
        raise DatasetError(f'"{key}" in {name} is not a .npy array; save it with np.savez.')
    return array


def _features(x: np.ndarray, where: str) -> np.ndarray:
    """x in a dtype Keras trains on without surprises: small types kept, wide ones float32."""
    if x.size == 0:
        raise DatasetError(f"{where} is empty (shape {x.shape}); it needs at least one sample.")
    if x.ndim < 2:
        raise DatasetError(
            f"{where} has shape {x.shape}, but one sample must be at least a vector: x needs "
            "shape (n, features...). Reshape it, e.g. x.reshape(len(x), -1)."
        )
    if x.dtype.kind == "b":
        return x.astype(np.uint8)
    if x.dtype.kind not in "uif":
        raise DatasetError(
            f"{where} holds {x.dtype} values; x must be integers, floats or booleans, not "
            "strings, complex numbers or records. Convert it, e.g. x.astype('float32')."
        )
    native = x.dtype.newbyteorder("=")
    if native in KEPT_DTYPES:
        return x.astype(native, copy=False)
    low: float
    high: float
    if x.dtype.kind == "f":  # inf and nan survive the cast; only finite values can overflow
        fits = float(np.finfo(np.float32).max)
        low = float(x.min(initial=np.inf, where=np.isfinite(x)))
        high = float(x.max(initial=-np.inf, where=np.isfinite(x)))
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


def _check_sample_shapes(splits: dict[str, Split], name: str) -> None:
    if "test" in splits and splits["train"][0].shape[1:] != splits["test"][0].shape[1:]:
        train, test = splits["train"][0].shape[1:], splits["test"][0].shape[1:]
        raise DatasetError(
            f'"x_train" samples have shape {train} but "x_test" samples have shape {test} in '
            f"{name}; both splits must hold samples of the same shape."
        )


def _class_indices(
    splits: dict[str, Split], keys: dict[str, tuple[str, str]], options: Options, name: str
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Labels as indices 0..K-1 and the K class names, for every split together."""
    given = options.class_names
    strings = {split for split, (_, y) in splits.items() if y.dtype.kind == "U"}
    if strings and len(strings) != len(splits):
        raise DatasetError(
            f'"y_train" and "y_test" in {name} mix string and numeric labels; use one kind.'
        )
    cap = options.max_classes
    if strings:
        names = given or _distinct_strings(splits, keys, name, cap)
        indices = {s: _index_strings(y, names, keys[s][1], name) for s, (_, y) in splits.items()}
        return indices, list(names)
    limit = min(len(given), cap) if given else cap
    for split, (_, y) in splits.items():
        bad = np.flatnonzero((y < 0) | (y >= limit))  # before any list of names is made
        if not bad.size:
            continue
        value, index, key = y[bad[0]].item(), int(bad[0]), keys[split][1]
        if value < 0 or (given and value >= len(given)):
            raise DatasetError(_out_of_range(value, index, key, name, given))
        where = f'"{key}" in {name}, index {index}'
        raise too_many_classes(where, f"label {value!r} is too large", cap)
    top = max(int(y.max()) for _, y in splits.values())
    labels = {split: y for split, (_, y) in splits.items()}
    return labels, default_class_names(top + 1, given, name)


def _distinct_strings(
    splits: dict[str, Split], keys: dict[str, tuple[str, str]], name: str, cap: int
) -> list[str]:
    """The string labels of all splits, sorted: the class names, MAX_CLASSES at most."""
    found: set[str] = set()
    for split, (_, y) in splits.items():
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
