"""Where everything lives on disk, in one place: DATA_DIR's layout.

    DATA_DIR/
      layerstack.db              the SQLite database (unless DATABASE_URL points elsewhere)
      datasets/<id>/             x_train.npy, y_train.npy[, x_test.npy, y_test.npy]
      runs/<id>/                 checkpoint-<n>.npz (the state after epoch n: the run's
                                 epochs_done, and for a moment the next), model.keras (at
                                 the end); checkpoint.npz in runs from before per-epoch names
      tmp/<uuid>/                uploads being imported; emptied at start-up

Workers get the same root and build the same paths, so no other module joins path parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SPLITS = ("train", "test")
CHECKPOINT_NAME = re.compile(r"checkpoint-(\d+)\.npz")


def split_files(folder: Path, split: str) -> tuple[Path, Path]:
    """The (x, y) .npy files of one split inside a dataset's (or a work) folder."""
    return folder / f"x_{split}.npy", folder / f"y_{split}.npy"


@dataclass(frozen=True)
class DataPaths:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / "layerstack.db"

    @property
    def datasets(self) -> Path:
        return self.root / "datasets"

    def dataset(self, dataset_id: int) -> Path:
        return self.datasets / str(dataset_id)

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    def run(self, run_id: int) -> Path:
        return self.runs / str(run_id)

    def checkpoint(self, run_id: int, epoch: int) -> Path:
        """The state after `epoch` epochs (weights, optimizer, callbacks): each epoch's file
        is written before the epoch is committed, the older ones removed after."""
        return self.run(run_id) / f"checkpoint-{epoch}.npz"

    def checkpoints(self, run_id: int) -> dict[int, Path]:
        """The run's checkpoint files by epoch (none when its folder does not exist)."""
        folder = self.run(run_id)
        try:
            found = [CHECKPOINT_NAME.fullmatch(p.name) for p in folder.iterdir()]
        except FileNotFoundError:
            return {}
        return {int(m[1]): folder / m[0] for m in found if m}

    def legacy_checkpoint(self, run_id: int) -> Path:
        """The one checkpoint a run had before per-epoch names (its last epoch, or one past
        the last committed if a crash came between the two)."""
        return self.run(run_id) / "checkpoint.npz"

    def model(self, run_id: int) -> Path:
        """The trained model (.keras), written once when the run completes."""
        return self.run(run_id) / "model.keras"

    @property
    def tmp(self) -> Path:
        """Work folders live beside the datasets, so moving one into place is a rename."""
        return self.root / "tmp"
