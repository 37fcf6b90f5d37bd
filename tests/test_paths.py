"""DATA_DIR's layout (app/paths.py): each location where the module's docstring says, and the
app putting its files there."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.paths import DataPaths, split_files


def test_every_location_is_under_data_dir_where_the_docstring_says(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "data")
    where = [
        (paths.database, "layerstack.db"),
        (paths.datasets, "datasets"),
        (paths.dataset(3), "datasets/3"),
        (paths.runs, "runs"),
        (paths.run(7), "runs/7"),
        (paths.checkpoint(7, 3), "runs/7/checkpoint-3.npz"),
        (paths.legacy_checkpoint(7), "runs/7/checkpoint.npz"),
        (paths.model(7), "runs/7/model.keras"),
        (paths.tmp, "tmp"),
    ]
    assert [path.relative_to(tmp_path / "data").as_posix() for path, _ in where] == [
        expected for _, expected in where
    ]


def test_a_runs_checkpoints_are_found_by_epoch(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "data")
    assert paths.checkpoints(7) == {}  # no folder yet
    paths.run(7).mkdir(parents=True)
    for name in ("checkpoint-3.npz", "checkpoint-12.npz", ".checkpoint-13.npz.tmp"):
        (paths.run(7) / name).write_bytes(b"")
    for name in ("checkpoint.npz", "model.keras", "checkpoint-x.npz"):
        (paths.run(7) / name).write_bytes(b"")
    assert paths.checkpoints(7) == {3: paths.checkpoint(7, 3), 12: paths.checkpoint(7, 12)}


def test_a_splits_arrays_are_x_and_y_npy_files(tmp_path: Path) -> None:
    assert split_files(tmp_path, "train") == (tmp_path / "x_train.npy", tmp_path / "y_train.npy")
    assert split_files(tmp_path, "test") == (tmp_path / "x_test.npy", tmp_path / "y_test.npy")


def test_the_app_keeps_its_database_and_the_builtin_dataset_where_paths_says(
    client: TestClient, settings: Settings
) -> None:
    paths = settings.paths
    assert paths.root == settings.data_dir
    # The SQLite file; with DATABASE_URL on PostgreSQL no database file is made there.
    assert paths.database.is_file() == settings.db_url.startswith("sqlite")
    (digits,) = client.get("/api/datasets").json()["data"]
    for split in ("train", "test"):
        assert all(path.is_file() for path in split_files(paths.dataset(digits["id"]), split))


def test_start_up_empties_tmp(settings: Settings) -> None:
    left = settings.paths.tmp / "an-upload-cut-short" / "images.gz"
    left.parent.mkdir(parents=True)
    left.write_bytes(b"half an upload")
    with TestClient(create_app(settings)):
        assert not settings.paths.tmp.exists() or list(settings.paths.tmp.iterdir()) == []
