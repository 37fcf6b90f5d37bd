"""Dataset import budgets: MAX_DATASET_BYTES, MAX_DATASET_IMAGES and MAX_IMAGE_PIXELS are
checked from headers, row counts and archive lists before anything is decoded or allocated;
the answer names the file, what it would cost, the limit and the setting, and leaves no row
and no file behind. Large images are scaled down as they are decoded, one at a time."""

from __future__ import annotations

import gzip
import io
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

import app.datasets.csvfile as csvfile
import app.datasets.folders as folders
import app.datasets.npz as npz
from app.config import Settings
from app.datasets.base import DatasetError, Options, Upload
from app.main import create_app
from tests.helpers.images import encode, png_header
from tests.helpers.uploads import csv_bytes, npz_bytes, post, zip_bytes

KB = 1024


@pytest.fixture
def client(tmp_path: Path, backend) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "data", workers=0, predictors=0,
                        max_dataset_bytes=64 * KB, max_dataset_images=500,
                        max_image_pixels=100_000)  # fmt: skip
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def refused(client: TestClient, files: list[tuple[str, bytes]], status: int = 413, **form) -> str:
    """The refusal's message, after checking that nothing was saved or left behind."""
    response = post(client, files, **form)
    assert response.status_code == status, response.text
    assert client.get("/api/datasets").json()["count"] == 1  # the built-in digits only
    data = client.app.state.settings.data_dir
    assert not (data / "tmp").exists() or not list((data / "tmp").rglob("*"))
    assert [p.name for p in (data / "datasets").iterdir()] == ["1"]
    detail = response.json()["detail"]
    return detail if isinstance(detail, str) else detail[0]["msg"]


def idx_pair(count: int, side: int = 28, data: bool = True) -> list[tuple[str, bytes]]:
    """An IDX pair whose headers say `count` images; with data=False only the headers."""
    head = b"".join(d.to_bytes(4, "big") for d in (2051, count, side, side))
    labels = b"".join(d.to_bytes(4, "big") for d in (2049, count))
    images = head + bytes(count * side * side if data else 0)
    return [("train-images-idx3-ubyte", images),
            ("train-labels-idx1-ubyte", labels + bytes(count if data else 0))]  # fmt: skip


# -- MAX_DATASET_BYTES and MAX_DATASET_IMAGES, format by format ----------------------------


def test_idx_over_the_byte_budget_is_413_from_the_header(client: TestClient) -> None:
    message = refused(client, idx_pair(100, data=False))  # the data is not even there
    assert '"train-images-idx3-ubyte" would store 100 samples of 28 x 28 uint8' in message
    assert "78,800 bytes (77.0 KiB) with the labels" in message
    assert "over the limit of 65,536 bytes (64.0 KiB)" in message
    assert "MAX_DATASET_BYTES" in message


def test_idx_over_the_sample_budget_is_413(client: TestClient) -> None:
    message = refused(client, idx_pair(501, side=1, data=False))
    assert "holds 501 samples, over the limit of 500" in message
    assert "MAX_DATASET_IMAGES" in message


def test_the_reported_gzip_idx_bomb_is_refused_at_the_default_budget(
    tmp_path: Path, backend
) -> None:
    """The issue's case: 0.76 MB of gzip that declared 1,000,000 blank 28x28 images became
    784 MB on disk. With the default MAX_DATASET_BYTES it is refused from the header."""
    images = tmp_path / "train-images-idx3-ubyte.gz"
    squeeze = zlib.compressobj(9, wbits=31)  # gzip framing
    with images.open("wb") as out:
        out.write(squeeze.compress(idx_pair(1_000_000, data=False)[0][1]))
        block = bytes(1 << 20)
        for _ in range(784_000_000 >> 20):
            out.write(squeeze.compress(block))
        out.write(squeeze.flush())
    assert images.stat().st_size < 1_000_000
    labels = gzip.compress(idx_pair(1_000_000, data=False)[1][1] + bytes(1_000_000))
    settings = Settings(data_dir=tmp_path / "data", workers=0, predictors=0)
    with TestClient(create_app(settings)) as default:
        upload = [("train-images-idx3-ubyte.gz", images.read_bytes()),
                  ("train-labels-idx1-ubyte.gz", labels)]  # fmt: skip
        message = refused(default, upload)
    assert "would store 1,000,000 samples of 28 x 28 uint8" in message
    assert "over the limit of 536,870,912 bytes (512.0 MiB)" in message


def test_csv_over_the_byte_budget_is_413_after_counting_rows(client: TestClient) -> None:
    rows = ["label," + ",".join(f"p{i}" for i in range(200))]
    rows += [f"{i % 2}," + ",".join(["0"] * 200) for i in range(400)]
    message = refused(client, [("wide.csv", csv_bytes(rows))])
    assert "wide.csv would store 400 samples of 200 uint8 = 81,600 bytes" in message
    assert "MAX_DATASET_BYTES" in message


def test_csv_that_widens_to_float32_past_the_budget_is_413(client: TestClient) -> None:
    """As uint8 it fits (300 x 104 bytes); a value beyond 0..255 makes it float32 (300 x 404
    bytes), which does not: refused before the wider copy is made."""
    rows = ["label," + ",".join(f"p{i}" for i in range(100))]
    rows += [f"{i % 2}," + ",".join(["1"] * 100) for i in range(299)] + ["1," + "0.5," * 99 + "7"]
    message = refused(client, [("float.csv", csv_bytes(rows))])
    assert "float.csv (it holds values beyond 0..255 or fractions: stored as float32)" in message
    assert "would store 300 samples of 100 float32" in message and "MAX_DATASET_BYTES" in message


def test_npz_over_the_byte_budget_is_413_before_any_data_is_read(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(npz, "_blocks", lambda *a: pytest.fail("x was read"))
    x, y = np.zeros((100, 28, 28), np.float64), np.arange(100) % 2
    message = refused(client, [("big.npz", npz_bytes(x=x, y=y))])
    assert '"big.npz" would store 100 samples of 28 x 28 float32' in message  # float64 -> 32
    assert "MAX_DATASET_BYTES" in message


def test_npz_labels_larger_than_the_budget_are_413(tmp_path: Path) -> None:
    path = tmp_path / "labels.npz"
    np.savez(path, x=np.zeros((10, 1), np.uint8), y=np.eye(10)[np.arange(10) % 2])
    with pytest.raises(DatasetError) as caught:
        npz.parse_npz([Upload(path, "labels.npz")], Options(max_bytes=400), tmp_path)
    assert caught.value.status == 413
    assert '"y" in "labels.npz" holds 800 bytes of labels' in caught.value.message


def edited_npy_header(array: np.ndarray, shape: tuple[int, ...]) -> bytes:
    """An .npz whose x is `array`'s bytes under a header that claims `shape`."""
    npy = io.BytesIO()
    header = {"descr": np.lib.format.dtype_to_descr(array.dtype), "fortran_order": False}
    np.lib.format.write_array_header_1_0(npy, {**header, "shape": shape})
    npy.write(array.tobytes())
    return zip_bytes({"x.npy": npy.getvalue(), "y.npy": _npy(np.arange(len(array)) % 2)})


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "shape",
    [(2**40, 2**40), (2**62, 2**62, 2**62), (-4, 3), (4, -3), (-4, -3), (0, 3), (), (3,), (4, 4)],
    ids=str,
)
def test_npz_headers_with_absurd_shapes_are_422(client: TestClient, shape: tuple) -> None:
    upload = edited_npy_header(np.zeros((4, 3), np.uint8), shape)
    message = refused(client, [("edited.npz", upload)], status=422)
    assert '"x" in "edited.npz"' in message or '"x" has' in message


def test_fortran_ordered_arrays_import_with_the_same_values(tmp_path: Path) -> None:
    x = np.asfortranarray(np.arange(6 * 5 * 4, dtype=np.float64).reshape(6, 5, 4))
    y = np.asfortranarray(np.eye(3)[[0, 1, 2, 0, 1, 2]])
    path = tmp_path / "fortran.npz"
    np.savez(path, x=x, y=y)
    assert b"'fortran_order': True" in path.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    parsed = npz.parse_npz([Upload(path, "fortran.npz")], Options(), out)
    assert parsed.splits == {"train": 6}
    stored = np.load(out / "x_train.npy")
    assert stored.dtype == np.float32 and np.array_equal(stored, x.astype(np.float32))
    assert np.load(out / "y_train.npy").tolist() == [0, 1, 2, 0, 1, 2]


def test_npz_x_streams_in_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(npz, "BLOCK_BYTES", 100)  # 12 bytes a sample: 8 samples a block
    x = np.arange(50 * 3, dtype=np.int64).reshape(50, 3)
    path = tmp_path / "blocks.npz"
    np.savez_compressed(path, x=x, y=np.arange(50) % 2)
    seen: list[int] = []
    real = npz._features

    def spy(block: np.ndarray, where: str, stored: np.dtype, start: int) -> np.ndarray:
        seen.append(len(block))
        return real(block, where, stored, start)

    monkeypatch.setattr(npz, "_features", spy)
    out = tmp_path / "out"
    out.mkdir()
    npz.parse_npz([Upload(path, "blocks.npz")], Options(), out)
    assert seen == [4] * 12 + [2]  # 100 // (3 x 8 bytes of int64) = 4 samples a read
    assert np.array_equal(np.load(out / "x_train.npy"), x.astype(np.float32))


def test_zip_over_the_sample_budget_is_413_before_decoding(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(folders, "decode_image", lambda *a, **k: pytest.fail("decoded"))
    tiny = encode(np.zeros((2, 2), np.uint8))
    entries = {f"c{i % 2}/{i}.png": tiny for i in range(501)}
    message = refused(client, [("many.zip", zip_bytes(entries))])
    assert "'many.zip' holds 501 samples, over the limit of 500" in message


def test_zip_with_image_size_over_the_byte_budget_is_413_before_decoding(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(folders, "decode_image", lambda *a, **k: pytest.fail("decoded"))
    tiny = encode(np.zeros((2, 2), np.uint8))
    entries = {f"c{i % 2}/{i}.png": tiny for i in range(10)}
    form = {"image_size": "64,64", "color_mode": "rgb"}
    message = refused(client, [("big.zip", zip_bytes(entries))], **form)
    assert "'big.zip' would store 10 samples of 64 x 64 x 3 uint8" in message


def test_zip_whose_first_image_sets_a_size_past_the_budget_is_413(client: TestClient) -> None:
    flat = encode(np.full((200, 200), 9, np.uint8))  # 40,000 pixels each, 2 of them: 80 kB
    message = refused(client, [("flat.zip", zip_bytes({"a/0.png": flat, "b/0.png": flat}))])
    assert "would store 2 samples of 200 x 200 x 1 uint8" in message


def test_an_image_over_max_image_pixels_refuses_the_zip(client: TestClient) -> None:
    entries = {"a/0.png": encode(np.zeros((4, 4), np.uint8)), "b/0.png": png_header(400, 300)}
    message = refused(client, [("bomb.zip", zip_bytes(entries))], status=422)
    assert "'b/0.png' header says 400 x 300 = 120,000 pixels, over the cap of 100,000" in message
    assert "MAX_IMAGE_PIXELS" in message


def test_large_images_without_an_image_size_are_scaled_to_fit_1024(tmp_path: Path) -> None:
    """The issue's case was 8 flat 6300x6300 PNGs in a 1 MB zip that became 909 MB on disk:
    without an image_size the first image set the size of all, at full size. Now a side is at
    most 1024 (the most image_size may ask for), the shape kept, each image scaled as it is
    decoded."""
    wide = encode(np.full((1500, 3000, 3), (200, 10, 10), np.uint8))
    upload = tmp_path / "wide.zip"
    upload.write_bytes(zip_bytes({"a/0.png": wide, "b/0.png": wide, "b/1.png": wide}))
    out = tmp_path / "out"
    out.mkdir()
    parsed = folders.parse_folders([Upload(upload, "wide.zip")], Options(), out)
    stored = np.load(out / "x_train.npy", mmap_mode="r")
    assert stored.shape == (3, 512, 1024, 3)
    assert parsed.notes["image_size"] == [512, 1024] and parsed.notes["resized_images"] == 3
    assert stored[0, 100, 100].tolist() == [200, 10, 10]


# -- One very long CSV line ---------------------------------------------------------------


def test_a_csv_line_longer_than_the_limit_is_422_naming_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(csvfile, "LINE_LIMIT", 100_000)
    monkeypatch.setattr(csvfile, "BLOCK_BYTES", 4 * KB)
    path = tmp_path / "long.csv"
    path.write_bytes(b"label,a\n0,1\n1," + b"1" * 300_000 + b"\n0,2\n")
    with pytest.raises(DatasetError) as caught:
        csvfile.parse_csv([Upload(path, "long.csv")], Options(), tmp_path)
    assert caught.value.message.startswith("long.csv: line 3 is longer than")


def _time_blocks(path: Path) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        with path.open("rb") as f:
            for _ in csvfile._blocks(f, 0, path.stat().st_size, "x.csv"):
                pass
        best = min(best, time.perf_counter() - start)
    return best


def test_a_long_csv_line_is_read_in_linear_time(tmp_path: Path, monkeypatch) -> None:
    """Blocks of 4 KiB, so one 8 MB line spans 2,000 of them. Gathered piece by piece and
    joined once, it costs about what 8 MB of short lines cost; re-joining the growing tail for
    every block (what the reader did) cost ~100x that here. A ratio, not a time."""
    monkeypatch.setattr(csvfile, "BLOCK_BYTES", 4 * KB)
    size = 8 << 20
    one_line, many_lines = tmp_path / "one.csv", tmp_path / "many.csv"
    one_line.write_bytes(b"1" * size)
    many_lines.write_bytes((b"1" * 99 + b"\n") * (size // 100))
    ratio = _time_blocks(one_line) / _time_blocks(many_lines)
    assert ratio < 10, ratio
