"""Where everything lives on disk, in one place: DATA_DIR's layout.

    DATA_DIR/
      layerstack.db              the SQLite database (unless DATABASE_URL points elsewhere)
      datasets/<id>/             x_train.npy, y_train.npy[, x_test.npy, y_test.npy]
      runs/<id>/                 checkpoint.npz (each epoch), model.keras (at the end)
      tmp/<uuid>/                uploads being imported; emptied at start-up

Workers get the same root and build the same paths, so no other module joins path parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SPLITS = ("train", "test")


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

    def checkpoint(self, run_id: int) -> Path:
        return self.run(run_id) / "checkpoint.npz"

    def model(self, run_id: int) -> Path:
        """The trained model (.keras), written once when the run completes."""
        return self.run(run_id) / "model.keras"

    @property
    def tmp(self) -> Path:
        """Work folders live beside the datasets, so moving one into place is a rename."""
        return self.root / "tmp"
