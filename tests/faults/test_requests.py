"""A request that finds the disk full (ENOSPC, EDQUOT, or the database's own "full") answers
507 saying what was not written and what to do, keeps nothing of it, and leaves the database
as it was; the server goes on answering.

The faults are injected at the write calls, so these run anywhere; test_small_filesystem.py
meets the same faults on a real, small file system where the tests may mount one."""

from __future__ import annotations

import shutil
import tempfile

import numpy as np
import pytest
import sqlmodel
from fastapi.testclient import TestClient

from app.datasets import export, store
from app.datasets.npyio import NpyWriter
from app.main import create_app
from tests.helpers.faults import (
    FullFile,
    builtin_only,
    database_full,
    integrity,
    leftovers,
    no_space,
    over_quota,
)
from tests.helpers.stacks import mlp
from tests.helpers.uploads import npz_bytes, post

NPZ = npz_bytes(
    x_train=np.arange(40 * 16, dtype=np.uint8).reshape(40, 4, 4),
    y_train=np.arange(40) % 2,
)


def assert_untouched(client: TestClient, settings) -> None:
    """No file, no row, an intact database, and a server that still imports."""
    assert leftovers(settings.data_dir) == []
    listing = client.get("/api/datasets")
    assert listing.status_code == 200 and builtin_only(listing.json()["data"])
    assert integrity(settings.paths.database) == "ok"


def test_an_import_that_cannot_copy_its_upload_is_507_and_keeps_nothing(
    client, settings, monkeypatch
):
    def copy_then_full(source, target, length=0):
        target.write(source.read(100))  # a part lands on disk, then the disk is full
        raise no_space()

    monkeypatch.setattr(shutil, "copyfileobj", copy_then_full)
    response = post(client, [("data.npz", NPZ)])
    assert response.status_code == 507, response.text
    detail = response.json()["detail"]
    assert detail.startswith("The server's disk is full: the uploaded dataset")
    assert "Free space in DATA_DIR or ask the admin" in detail
    assert_untouched(client, settings)

    monkeypatch.undo()  # space again: the same upload goes in
    assert post(client, [("data.npz", NPZ)]).status_code == 201


def test_an_import_whose_arrays_find_the_disk_full_is_507_and_keeps_nothing(
    client, settings, monkeypatch
):
    def write_then_full(self, rows):
        self.file.write(rows.tobytes()[:10])
        raise no_space()

    monkeypatch.setattr(NpyWriter, "write", write_then_full)
    response = post(client, [("data.npz", NPZ)])
    assert response.status_code == 507, response.text
    assert "disk is full" in response.json()["detail"]
    assert_untouched(client, settings)


def test_an_import_over_the_disk_quota_while_splitting_is_507(client, settings, monkeypatch):
    def split_then_over_quota(folder, fraction):
        (folder / "x_test.npy").write_bytes(b"\x93NUMPY")
        raise over_quota()

    monkeypatch.setattr(store, "carve_test_split", split_then_over_quota)
    response = post(client, [("data.npz", NPZ)])
    assert response.status_code == 507, response.text
    assert_untouched(client, settings)


@pytest.mark.both_databases
def test_an_import_whose_row_finds_the_database_full_is_507_and_keeps_nothing(
    client, settings, monkeypatch
):
    commit = sqlmodel.Session.commit

    def full_once(self):
        monkeypatch.setattr(sqlmodel.Session, "commit", commit)  # the next one works
        raise database_full()

    monkeypatch.setattr(sqlmodel.Session, "commit", full_once)
    response = post(client, [("data.npz", NPZ)])
    assert response.status_code == 507, response.text
    assert "the uploaded dataset (its files, arrays and database row)" in response.text
    assert_untouched(client, settings)


@pytest.mark.parametrize("path", ["/api/datasets", "/api/runs/1/predict"])
def test_an_upload_the_temporary_folder_cannot_hold_is_507(client, settings, monkeypatch, path):
    """Starlette spools a file part over 1 MiB to a temporary file (TMPDIR) before any handler
    runs; FastAPI makes a failure there a 400 "error parsing the body"."""
    monkeypatch.setattr(tempfile, "TemporaryFile", FullFile)
    big = ("files", ("big.npz", b"\0" * (2 << 20), "application/octet-stream"))
    response = client.post(path, data={"name": "big"}, files=[big])
    assert response.status_code == 507, response.text
    detail = response.json()["detail"]
    assert "the uploaded body could not be written" in detail
    assert "temporary folder (TMPDIR)" in detail
    assert_untouched(client, settings)


def test_an_export_the_temporary_folder_cannot_hold_is_507(client, monkeypatch):
    monkeypatch.setattr(export, "IN_MEMORY", 1024)  # the digits' .npz then rolls over to disk
    monkeypatch.setattr(tempfile, "TemporaryFile", FullFile)
    response = client.get("/api/datasets/1/export.npz")
    assert response.status_code == 507, response.text
    assert response.headers["content-type"] == "application/json"
    detail = response.json()["detail"]
    assert "the dataset's .npz export could not be written" in detail
    assert "temporary folder (TMPDIR)" in detail

    monkeypatch.undo()
    assert client.get("/api/datasets/1/export.npz").status_code == 200


@pytest.mark.both_databases
def test_a_run_whose_row_finds_the_database_full_is_507_and_not_queued(client, monkeypatch):
    """No service names this write: the safety net in app/errors.py answers it."""

    def full(self):
        raise database_full()

    monkeypatch.setattr(sqlmodel.Session, "commit", full)
    response = client.post("/api/runs", json={"architecture": mlp(), "dataset_id": 1})
    assert response.status_code == 507, response.text
    assert response.json()["detail"].startswith("The server's disk is full")

    monkeypatch.undo()
    assert client.get("/api/runs").json()["count"] == 0


def test_other_write_errors_stay_what_they_were(settings, monkeypatch):
    """The safety net catches a full disk only: a failing device is still a 500."""

    def broken(source, target, length=0):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(shutil, "copyfileobj", broken)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = post(client, [("data.npz", NPZ)])
        assert response.status_code == 500
        assert leftovers(settings.data_dir) == []


def test_every_api_route_declares_507_with_the_body_it_sends(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            declared = operation["responses"].get("507")
            assert declared is not None, (method, path)
            schema = declared["content"]["application/json"]["schema"]["$ref"]
            assert schema.endswith("/ErrorPublic"), (method, path)
