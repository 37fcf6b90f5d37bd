"""Checkpoints at each epoch end: every model weight and optimizer variable, as raw arrays.

Cheaper than a .keras file (no config, no zip), so saving one per epoch costs well under a
millisecond for the tutorial's models; the .keras file is written once, at the end.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np


def save(model: Any, path: Path, epoch: int) -> None:
    arrays = {f"w{i}": w for i, w in enumerate(model.get_weights())}
    arrays.update({f"o{i}": np.asarray(v) for i, v in enumerate(model.optimizer.variables)})
    tmp = path.with_suffix(".tmp.npz")
    try:
        np.savez(tmp, epoch=np.array(epoch), **arrays)
        # Only a complete file takes the name: a crash or a full disk mid-write leaves the
        # previous checkpoint as it was.
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # and gives back the space the partial file took
        raise


def load(model: Any, path: Path) -> int:
    """Restore weights and optimizer state; the number of completed epochs it holds."""
    with np.load(path) as data:
        weights = [data[f"w{i}"] for i in range(len(model.get_weights()))]
        model.set_weights(weights)
        optimizer = model.optimizer
        optimizer.build(model.trainable_variables)
        for i, variable in enumerate(optimizer.variables):
            variable.assign(data[f"o{i}"])
        return int(data["epoch"])
