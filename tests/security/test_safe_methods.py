"""No GET changes state (a link or an <img> on any site can make a browser send one, and the
origin check lets reads through): every GET route, called with ids that exist, leaves the
files under DATA_DIR and the rows in the database as they were."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from sqlmodel import SQLModel

import app.models  # noqa: F401 (every table in SQLModel.metadata)
from app.config import Settings
from app.main import create_app
from tests.helpers.stacks import mlp
from tests.helpers.web import queue_run

# Streams never end while a run is queued; they only read (tests/web, tests/runs cover them).
STREAMS = {"/runs/live", "/api/runs/{run_id}/events"}
# When someone was last seen is bookkeeping, not state a GET could be tricked into changing.
BOOKKEEPING = {"last_seen_at", "last_used_at"}


@pytest.fixture
def settings(tmp_path: Path, backend) -> Settings:
    return Settings(data_dir=tmp_path / "data", workers=0, predictors=0)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def snapshot(settings: Settings) -> dict:
    """Every file under DATA_DIR (but the database's own) with its size and time, and every
    table's rows."""
    root = settings.data_dir
    files = {
        path.relative_to(root).as_posix(): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.name.startswith(settings.paths.database.name)
    }
    engine = create_engine(settings.db_url)
    with engine.connect() as connection:
        rows = {
            table.name: sorted(
                map(
                    repr,
                    connection.execute(select(*[c for c in table.c if c.name not in BOOKKEEPING])),
                )
            )
            for table in SQLModel.metadata.sorted_tables
        }
    engine.dispose()
    return {"files": files, "rows": rows}


def get_routes(app: FastAPI, ids: dict[str, int]) -> list[str]:
    """Every GET route's path with real ids in it."""
    paths = []
    for route in iter_route_contexts(app.routes):
        if route.path and "GET" in (route.methods or ()) and route.path not in STREAMS:
            names = re.findall(r"\{(\w+)\}", route.path)
            missing = [name for name in names if name not in ids]
            assert not missing, f"{route.path}: give this test an id for {missing}"
            paths.append(route.path.format(**ids))
    return [*paths, "/static/app.css"]


def test_no_get_route_changes_files_or_rows(client: TestClient, settings: Settings) -> None:
    architecture = client.post("/api/architectures", json=mlp()).json()
    run = queue_run(client)  # no worker: it stays queued
    me = client.get("/api/me").json()["id"]  # AUTH=none's local user, an admin
    base = {"architecture": mlp(), "dataset_id": 1, "fit": {"epochs": 1}}
    sweep = client.post("/api/sweeps", json={"base": base, "grid": {"fit.batch_size": [8, 16]}})
    assert sweep.status_code == 202, sweep.text
    ids = {
        "architecture_id": architecture["id"],
        "dataset_id": 1,
        "run_id": run["id"],
        "sweep_id": sweep.json()["id"],
        "user_id": me,
    }
    paths = get_routes(client.app, ids)  # type: ignore[arg-type]
    assert "/api/datasets/1/export.npz" in paths and "/datasets/1" in paths
    before = snapshot(settings)

    answers = {path: client.get(path).status_code for path in paths}

    assert snapshot(settings) == before
    assert {path: status for path, status in answers.items() if status >= 500} == {}


def test_a_dataset_export_is_the_arrays_and_leaves_no_file(
    client: TestClient, settings: Settings
) -> None:
    response = client.get("/api/datasets/1/export.npz")
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(response.content))
    assert 'filename="dataset-1.npz"' in response.headers["content-disposition"]
    npz = np.load(io.BytesIO(response.content))
    folder = settings.paths.dataset(1)
    for name in ("x_train", "y_train", "x_test", "y_test"):
        assert np.array_equal(npz[name], np.load(folder / f"{name}.npy")), name
    assert list(npz["class_names"]) == [str(i) for i in range(10)]
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        f"{name}.npy" for name in ("x_train", "y_train", "x_test", "y_test")
    )
