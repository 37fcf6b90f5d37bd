"""CIFAR-10's python archive (cifar-10-python.tar.gz): five pickled training batches and one
test batch, each a dict {b"data": uint8 (n, 3072) array, b"labels": [int, ...], ...}.

Pickles run code when loaded, so even though the archive's SHA-256 is checked before this
reads it, no pickle here is loaded by `pickle.load`: `RestrictedUnpickler.find_class` hands
out only what these files name (numpy's array reconstructor, ndarray and dtype) and refuses
everything else. The archive is read as a stream (never extracted to disk); only the batch
members are read, each capped in size; the sample counts come from the catalog entry and are
checked against the budgets before the output arrays are allocated.
"""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy._core.multiarray import _reconstruct

from app.datasets.base import DatasetError, Options, Parsed, Upload, check_budget, open_split

FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
SHAPE = (32, 32, 3)  # channels last, as keras.datasets.cifar10 returns it
PIXELS = 3 * 32 * 32
MEMBER_LIMIT = 64 * 1024 * 1024  # one batch of 10,000 is ~31 MB pickled

# (module, name) -> the object; nothing is looked up by name.
ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,  # as pickled by numpy 1.x
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,  # numpy 2.x
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler that builds numpy arrays, lists, dicts, bytes and numbers, and nothing
    that would call other code."""

    def find_class(self, module: str, name: str) -> Any:
        found = ALLOWED.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(
                f"refused to load {module}.{name}: a CIFAR batch holds only numpy arrays"
            )
        return found


def load_batch(data: bytes, where: str) -> tuple[np.ndarray, np.ndarray]:
    """One batch's (data, labels), checked for shape, dtype and label range."""
    try:
        batch = RestrictedUnpickler(io.BytesIO(data), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as error:
        raise DatasetError(f"{where} is not a CIFAR batch: {error}.") from None
    if not isinstance(batch, dict):
        raise DatasetError(f"{where} is not a CIFAR batch (a {type(batch).__name__}).")
    x, labels = batch.get(b"data"), batch.get(b"labels")
    if not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != PIXELS:
        raise DatasetError(f"{where}: its data is not a uint8 array of {PIXELS} pixels per row.")
    y = np.asarray(labels if isinstance(labels, list) else [], dtype=np.int64)
    if len(y) != len(x) or (len(y) and (y.min() < 0 or y.max() > 9)):
        raise DatasetError(f"{where}: its labels are not one class 0..9 per image.")
    return x.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), y


def parse_cifar(files: list[Upload], options: Options, out: Path, batch_size: int) -> Parsed:
    """Write "train" (the five data batches, in order) and "test" from the archive."""
    archive = files[0]
    counts = {"train": len(TRAIN_BATCHES) * batch_size, "test": batch_size}
    check_budget(archive.filename, sum(counts.values()), SHAPE, np.uint8, options)
    outputs = {split: open_split(out, split, n, SHAPE, np.uint8) for split, n in counts.items()}
    slots = {name: ("train", i * batch_size) for i, name in enumerate(TRAIN_BATCHES)}
    slots[TEST_BATCH] = ("test", 0)
    seen: set[str] = set()
    with tarfile.open(archive.path, mode="r|gz") as tar:  # a stream: members in file order
        for member in tar:
            name = member.name.removeprefix(f"{FOLDER}/")
            if name not in slots or not member.isfile() or name in seen:
                continue
            where = f"{archive.filename}: {member.name}"
            if member.size > MEMBER_LIMIT:
                raise DatasetError(f"{where} is {member.size:,} bytes, too large for a batch.")
            stream = tar.extractfile(member)
            assert stream is not None  # a regular file
            x, y = load_batch(stream.read(), where)
            if len(x) != batch_size:
                raise DatasetError(f"{where} holds {len(x):,} images, not {batch_size:,}.")
            split, start = slots[name]
            images, labels = outputs[split]
            images[start : start + batch_size] = x
            labels[start : start + batch_size] = y
            seen.add(name)
    missing = sorted(set(slots) - seen)
    if missing:
        raise DatasetError(f"{archive.filename} lacks {', '.join(missing)}.")
    for images, labels in outputs.values():
        images.flush()
        labels.flush()
    return Parsed(splits=counts, class_names=list(options.class_names or []))
