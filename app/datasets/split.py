"""A test split carved out of an upload that has none: stratified, seeded, streamed on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.datasets.npyio import NpyWriter, iter_blocks
from app.paths import split_files

SEED = 0


def pick_test_rows(y: np.ndarray, fraction: float) -> np.ndarray:
    """Sorted indices of the test samples: `fraction` of each class, at least one per class
    when the class has two or more samples, so every class is seen in both splits."""
    rng = np.random.default_rng(SEED)
    picked = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        take = round(len(members) * fraction)
        if len(members) >= 2:
            take = min(max(take, 1), len(members) - 1)
        picked.append(rng.permutation(members)[:take])
    return np.sort(np.concatenate(picked)) if picked else np.array([], dtype=np.int64)


def carve_test_split(folder: Path, fraction: float) -> None:
    """Rewrite x_train/y_train in `folder` as train + test splits, one block at a time."""
    x_path, y_path = split_files(folder, "train")
    y_all = np.load(y_path)
    is_test = np.zeros(len(y_all), dtype=bool)
    is_test[pick_test_rows(y_all, fraction)] = True
    staging = folder / "staging"
    staging.mkdir()
    sample = np.load(x_path, mmap_mode="r")
    shape, dtype = sample.shape, sample.dtype
    del sample
    writers: dict[str, NpyWriter] = {}
    try:
        for split, mask in (("train", ~is_test), ("test", is_test)):
            x_out, y_out = split_files(staging, split)
            writers[split] = NpyWriter(x_out, (int(mask.sum()), *shape[1:]), dtype)
            np.save(y_out, y_all[mask])
        for start, block in iter_blocks(x_path):
            picked = is_test[start : start + len(block)]
            writers["train"].write(block[~picked])
            writers["test"].write(block[picked])
    except BaseException:
        for writer in writers.values():
            writer.file.close()  # the caller removes the folder; no handle is left open
        raise
    for split, writer in writers.items():
        writer.close()
        for staged, final in zip(
            split_files(staging, split), split_files(folder, split), strict=True
        ):
            staged.replace(final)
    staging.rmdir()
