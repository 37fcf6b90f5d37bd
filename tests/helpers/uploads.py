"""Dataset uploads made in memory (PNGs, zips of class folders, .npz, CSV) and posted as a
browser form would post them."""

from __future__ import annotations

import io
import zipfile

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array.astype(np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def class_zip(classes: int = 2, per_class: int = 3, size: int = 6) -> bytes:
    rng = np.random.default_rng(1)
    return zip_bytes({
        f"c{c}/{i}.png": png(rng.integers(0, 255, (size, size))) for c in range(classes)
        for i in range(per_class)
    })  # fmt: skip


def npz_bytes(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def csv_bytes(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def post(client: TestClient, files: list[tuple[str, bytes]], **form: str):
    """POST /api/datasets with `files` as the form's file parts (name "upload" by default)."""
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    return client.post("/api/datasets", data={"name": "upload", **form}, files=parts)
