"""The disk-full answers on a real, small file system (a tmpfs the test mounts, so root only;
skipped elsewhere, saying so): the kernel's own ENOSPC, wherever it comes, is a 507 that keeps
nothing, the database (on the same full disk) stays intact, and the space comes back."""

from __future__ import annotations

import gzip
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.datasets import export
from app.main import create_app
from tests.helpers.faults import builtin_only, integrity, leftovers, small_filesystem
from tests.helpers.live_server import LiveServer
from tests.helpers.uploads import npz_bytes, png, post, zip_bytes

SMALL = npz_bytes(x_train=np.zeros((40, 4, 4), np.uint8), y_train=np.arange(40) % 2)


def free_bytes(folder: Path) -> int:
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize


def compressed_npz(nbytes: int) -> bytes:
    """An upload of a few KB whose arrays take `nbytes` once stored."""
    side = 32
    count = nbytes // (side * side) + 1
    x = np.zeros((count, side, side), np.uint8)
    x[:, 0, 0] = np.arange(count) % 200  # not all one value: a real, if dull, dataset
    buffer = io.BytesIO()
    np.savez_compressed(buffer, x_train=x, y_train=np.arange(count) % 2)
    return buffer.getvalue()


@pytest.fixture
def small(tmp_path: Path) -> Iterator[tuple[TestClient, Settings]]:
    """The app with DATA_DIR (its database included) on a 6 MiB file system."""
    with small_filesystem(tmp_path / "data", "6m") as data_dir:
        settings = Settings(data_dir=data_dir, workers=0, predictors=0)
        with TestClient(create_app(settings)) as client:
            yield client, settings


def assert_untouched_and_working(client: TestClient, settings: Settings) -> None:
    assert leftovers(settings.data_dir) == []
    listing = client.get("/api/datasets")
    assert listing.status_code == 200 and builtin_only(listing.json()["data"])
    assert integrity(settings.paths.database) == "ok"
    assert post(client, [("small.npz", SMALL)]).status_code == 201  # the space came back


def test_an_upload_bigger_than_the_free_space_is_507(small):
    client, settings = small
    too_big = npz_bytes(x_train=np.ones((free_bytes(settings.data_dir) // 16 + 1, 16), np.uint8))
    response = post(client, [("big.npz", too_big)])
    assert response.status_code == 507, response.text
    assert "the uploaded dataset (its files, arrays and database row)" in response.text
    assert_untouched_and_working(client, settings)


def test_arrays_bigger_than_the_free_space_are_507(small):
    """The upload fits; the arrays it unpacks to do not (NPZ writes with plain file I/O)."""
    client, settings = small
    response = post(client, [("packed.npz", compressed_npz(free_bytes(settings.data_dir)))])
    assert response.status_code == 507, response.text
    assert_untouched_and_working(client, settings)


def test_a_full_temporary_folder_is_507_for_uploads_and_exports(client, tmp_path, monkeypatch):
    with small_filesystem(tmp_path / "tmpdir", "64k") as tmpdir:
        monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
        big = ("files", ("big.npz", b"\1" * (2 << 20), "application/octet-stream"))
        response = client.post("/api/datasets", data={"name": "big"}, files=[big])
        assert response.status_code == 507, response.text
        assert "TMPDIR" in response.json()["detail"]

        monkeypatch.setattr(export, "IN_MEMORY", 1024)
        response = client.get("/api/datasets/1/export.npz")
        assert response.status_code == 507, response.text
        assert "TMPDIR" in response.json()["detail"]
        assert os.listdir(tmpdir) == []  # unnamed temporary files: gone once closed
        monkeypatch.undo()


def _idx(magic: int, dims: tuple[int, ...], data: bytes) -> bytes:
    return b"".join(d.to_bytes(4, "big") for d in (magic, *dims)) + data


def flat_zip(nbytes: int) -> list[tuple[str, bytes]]:
    """Two class folders of plain 64x64 PNGs: ~100 bytes each zipped, 4 KiB each decoded."""
    per_class = nbytes // (2 * 64 * 64) + 1
    image = png(np.full((64, 64), 90))
    entries = {f"c{c}/{i}.png": image for c in range(2) for i in range(per_class)}
    return [("flat.zip", zip_bytes(entries))]


def gzipped_idx(nbytes: int) -> list[tuple[str, bytes]]:
    count = nbytes // (28 * 28) + 1
    images = _idx(0x803, (count, 28, 28), bytes(count * 28 * 28))
    labels = _idx(0x801, (count,), bytes(i % 2 for i in range(count)))
    return [
        ("train-images-idx3-ubyte.gz", gzip.compress(images, 1)),
        ("train-labels-idx1-ubyte.gz", gzip.compress(labels, 1)),
    ]


@pytest.mark.parametrize("fmt", ["idx", "zip"])
def test_the_server_survives_arrays_bigger_than_the_free_space(tmp_path, fmt):
    """In a server process of its own: the failure this guards against kills the process."""
    with small_filesystem(tmp_path / "data", "6m") as data_dir:
        server = LiveServer(data_dir).start()
        try:
            room = free_bytes(data_dir)
            files = gzipped_idx(room) if fmt == "idx" else flat_zip(room)
            parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
            try:
                response = httpx.post(
                    f"{server.url}/api/datasets", data={"name": fmt}, files=parts, timeout=60
                )
            except httpx.TransportError:
                assert server.process is not None
                code = server.process.wait(timeout=10)  # -7: SIGBUS
                pytest.fail(f"the server died (exit {code}); its log:\n{server.log()[-2000:]}")
            assert response.status_code == 507, response.text
            assert httpx.get(f"{server.url}/api/datasets").status_code == 200
            assert leftovers(data_dir) == []
        finally:
            server.stop()
