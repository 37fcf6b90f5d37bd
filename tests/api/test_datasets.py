"""Datasets over HTTP: the built-in digits, real uploads, and every bad upload refused with
nothing left behind (no row, no file)."""

from __future__ import annotations

import gzip
import io
import zipfile

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.config import Settings
from app.main import create_app
from tests.helpers.images import MNIST_IMAGES, MNIST_LABELS, mnist_file
from tests.helpers.sprite import make_zip, sorted_classes
from tests.helpers.uploads import class_zip, csv_bytes, npz_bytes, png, post, zip_bytes


def leftovers(settings: Settings) -> list[str]:
    """Files and folders an upload may leave: anything but the built-in dataset's."""
    root = settings.data_dir
    found = [p for p in (root / "tmp").rglob("*")] if (root / "tmp").exists() else []
    found += [p for p in (root / "datasets").iterdir() if p.name != "1"]
    return [str(p.relative_to(root)) for p in found]


def test_builtin_digits_are_ready_on_first_start(client):
    listing = client.get("/api/datasets").json()
    assert listing["count"] == 1
    digits = listing["data"][0]
    assert digits["builtin"] == "digits" and digits["input_shape"] == [8, 8]
    assert digits["num_train"] + digits["num_test"] == 1797
    assert digits["class_names"] == [str(i) for i in range(10)]
    assert (digits["value_min"], digits["value_max"]) == (0.0, 16.0)
    assert sum(digits["class_counts"]["test"]) == digits["num_test"]
    assert all(count > 0 for count in digits["class_counts"]["test"])


def test_builtin_digits_equal_scikit_learns(client, settings):
    from sklearn.datasets import load_digits

    digits = load_digits()
    folder = settings.data_dir / "datasets" / "1"
    x = np.concatenate([np.load(folder / "x_train.npy"), np.load(folder / "x_test.npy")])
    y = np.concatenate([np.load(folder / "y_train.npy"), np.load(folder / "y_test.npy")])
    order = np.lexsort(x.reshape(len(x), -1).T[::-1])
    theirs = np.lexsort(digits.images.reshape(len(x), -1).T[::-1])
    assert np.array_equal(x[order], digits.images[theirs].astype(np.uint8))
    assert np.array_equal(y[order], digits.target[theirs])


@pytest.mark.both_databases
def test_builtin_is_registered_once_across_restarts(settings):
    for _ in range(2):
        with TestClient(create_app(settings)) as client:
            assert client.get("/api/datasets").json()["count"] == 1


def test_real_mnist_idx_pair(client, settings):
    images, labels_gz = mnist_file(MNIST_IMAGES), mnist_file(MNIST_LABELS)
    response = post(client, [("t10k-images-idx3-ubyte.gz", images.read_bytes()),
                             ("t10k-labels-idx1-ubyte.gz", labels_gz.read_bytes())],
                    test_fraction="0.2")  # fmt: skip
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["format"] == "idx" and body["input_shape"] == [28, 28]
    assert (body["num_train"], body["num_test"]) == (8000, 2000)
    assert body["dtype"] == "uint8" and body["notes"]["background"] == "dark"
    folder = settings.data_dir / "datasets" / str(body["id"])
    x_train = np.load(folder / "x_train.npy", mmap_mode="r")
    assert isinstance(x_train, np.memmap)
    raw = np.frombuffer(gzip.decompress(images.read_bytes()), np.uint8, offset=16)
    labels = np.frombuffer(gzip.decompress(labels_gz.read_bytes()), np.uint8, offset=8)
    y_all = np.concatenate([np.load(folder / "y_train.npy"), np.load(folder / "y_test.npy")])
    assert sorted(y_all.tolist()) == sorted(labels.tolist())
    assert body["class_counts"]["train"][7] + body["class_counts"]["test"][7] == 1028
    assert np.array_equal(x_train[0], raw[:784].reshape(28, 28))  # image 0 (a 7) stays first
    assert client.get(f"/api/datasets/{body['id']}").json() == body


def test_zip_of_class_folders_with_a_skip_report(client):
    entries = {"__MACOSX/._a.png": b"junk", "a/.DS_Store": b"junk", "a/notes.txt": b"hello"}
    rng = np.random.default_rng(0)
    for label in ("cat", "dog"):
        for i in range(5):
            entries[f"{label}/{i}.png"] = png(rng.integers(0, 255, (10, 12)))
    response = post(client, [("pets.zip", zip_bytes(entries))], image_size="8,8")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["format"] == "zip" and body["class_names"] == ["cat", "dog"]
    assert body["input_shape"] == [8, 8, 1]
    assert body["num_train"] + body["num_test"] == 10
    assert {s["entry"] for s in body["skipped"]} >= {"__MACOSX/._a.png", "a/notes.txt"}


def test_csv_and_npz_uploads(client):
    rows = ["label,a,b,c,d"] + [f"{i % 3},{i},{i + 1},{i + 2},{i + 3}" for i in range(30)]
    body = post(client, [("t.csv", csv_bytes(rows))], image_size="2,2").json()
    assert body["format"] == "csv" and body["input_shape"] == [2, 2]
    assert body["class_names"] == ["0", "1", "2"]
    x = np.arange(40 * 6, dtype=np.uint8).reshape(40, 6)
    y = np.arange(40) % 2
    npz = npz_bytes(x_train=x[:30], y_train=y[:30], x_test=x[30:], y_test=y[30:])
    body = post(client, [("d.npz", npz)], class_names="even,odd").json()
    assert body["format"] == "npz" and (body["num_train"], body["num_test"]) == (30, 10)
    assert body["class_names"] == ["even", "odd"]


def test_samples_are_pngs_spread_over_classes(client):
    shown = client.get("/api/datasets/1/samples", params={"n": 12}).json()["samples"]
    assert len(shown) == 12
    assert {s["label"] for s in shown[:10]} == set(range(10))
    data = shown[0]["image"].removeprefix("data:image/png;base64,")
    import base64

    assert Image.open(io.BytesIO(base64.b64decode(data))).size == (8, 8)


def test_delete_removes_row_and_files(client, settings):
    body = post(client, [("c.zip", class_zip())]).json()
    folder = settings.data_dir / "datasets" / str(body["id"])
    assert folder.exists()
    assert client.delete(f"/api/datasets/{body['id']}").status_code == 204
    assert not folder.exists() and client.get(f"/api/datasets/{body['id']}").status_code == 404


def test_unknown_dataset_is_404(client):
    assert client.get("/api/datasets/99").status_code == 404
    assert client.get("/api/datasets/99/samples").status_code == 404
    assert client.delete("/api/datasets/99").status_code == 404


IDX_HEADER = b"\0\0\x08\x03" + (2).to_bytes(4, "big") + (2).to_bytes(4, "big") * 2
LINK = zipfile.ZipInfo("a/link.png")
LINK.external_attr = 0o120777 << 16


def _link_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(LINK, "/etc/passwd")
        for c in ("a", "b"):
            archive.writestr(f"{c}/0.png", png(np.zeros((4, 4))))
    return buffer.getvalue()


def _bomb_zip() -> bytes:
    return zip_bytes({"a/0.png": png(np.zeros((4, 4))), "b/huge.png": b"\0" * 30_000_000})


def _bomb_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, "PNG")
    return buffer.getvalue()


# (id, files, form, status, words in the message)
BAD = [
    ("dotdot-entry", [("z.zip", zip_bytes({"../evil/0.png": b"x", "a/0.png": b"x"}))], {},
     422, ["../evil/0.png"]),
    ("absolute-entry", [("z.zip", zip_bytes({"/etc/cron.d/x.png": b"x", "a/0.png": b"x"}))], {},
     422, ["/etc/cron.d/x.png"]),
    ("symlink-entry", [("z.zip", _link_zip())], {}, 422, ["a/link.png"]),
    ("zip-bomb", [("z.zip", _bomb_zip())], {}, 422, ["b/huge.png"]),
    ("one-class", [("z.zip", class_zip(classes=1))], {}, 422, ["at least 2"]),
    ("no-image-decodes", [("z.zip", zip_bytes({"a/0.png": b"nope", "b/0.png": b"nope"}))], {},
     422, ["0.png"]),
    ("decompression-bomb-image",
     [("z.zip", zip_bytes({"a/0.png": _bomb_png(), "b/0.png": png(np.zeros((4, 4)))}))], {},
     422, ["decompression bomb", "a/0.png"]),
    ("idx-wrong-magic", [("i.gz", b"\0\0\x08\x05" + IDX_HEADER[4:] + bytes(8)),
                         ("l", b"\0\0\x08\x01" + (2).to_bytes(4, "big") + bytes(2))], {},
     422, ["i.gz"]),
    ("idx-truncated", [("img", IDX_HEADER + bytes(5)),
                       ("lab", b"\0\0\x08\x01" + (2).to_bytes(4, "big") + bytes(2))], {},
     422, ["img", "8"]),
    ("idx-count-mismatch", [("img", IDX_HEADER + bytes(8)),
                            ("lab", b"\0\0\x08\x01" + (3).to_bytes(4, "big") + bytes(3))], {},
     422, ["2", "3"]),
    ("csv-non-numeric", [("t.csv", csv_bytes(["label,a", "0,1", "1,abc"]))], {},
     422, ["line 3", "abc"]),
    ("csv-ragged", [("t.csv", csv_bytes(["label,a,b", "0,1,2", "1,2"]))], {}, 422, ["line 3"]),
    ("csv-missing-label", [("t.csv", csv_bytes(["y,a", "0,1", "1,2"]))], {}, 422, ["label"]),
    ("csv-label-out-of-range", [("t.csv", csv_bytes(["label,a", "0,1", "5,2"]))],
     {"class_names": "a,b"}, 422, ["5"]),
    ("npz-object-array", [("d.npz", b"")], {}, 422, ["x"]),
    ("npz-missing-keys", [("d.npz", npz_bytes(images=np.zeros((2, 2))))], {}, 422, ["images"]),
    ("npz-length-mismatch", [("d.npz", npz_bytes(x=np.zeros((3, 2)), y=np.zeros(2)))], {},
     422, ["3", "2"]),
    ("not-a-dataset", [("cat.png", png(np.zeros((4, 4))))], {}, 415, ["PNG"]),
    ("bad-format-option", [("z.zip", class_zip())], {"format": "parquet"}, 422, ["parquet"]),
    ("bad-image-size", [("z.zip", class_zip())], {"image_size": "0,28"}, 422, ["image_size"]),
]  # fmt: skip


def _object_npz() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, x=np.array([{"a": 1}, None], dtype=object), y=np.zeros(2))
    return buffer.getvalue()


BAD[[b[0] for b in BAD].index("npz-object-array")] = (
    "npz-object-array", [("d.npz", _object_npz())], {}, 422, ["x", "pickle"],
)  # fmt: skip


@pytest.mark.parametrize("files,form,status,words", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_upload_is_refused_and_leaves_nothing(client, settings, files, form, status, words):
    response = post(client, files, **form)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    message = detail if isinstance(detail, str) else detail[0]["msg"]
    for word in words:
        assert word in message, (word, message)
    assert client.get("/api/datasets").json()["count"] == 1
    assert leftovers(settings) == []
    assert client.get("/api/datasets/1").status_code == 200


def test_upload_over_the_cap_is_413_before_it_is_read(tmp_path, backend):
    settings = Settings(data_dir=tmp_path / "data", max_upload_bytes=100_000)
    with TestClient(create_app(settings)) as client:
        response = post(client, [("big.zip", b"\0" * 200_000)])
        assert response.status_code == 413
        assert "MAX_UPLOAD_BYTES" in response.json()["detail"]
        assert client.get("/api/datasets").json()["count"] == 1
        assert leftovers(settings) == []


def test_missing_name_or_files_is_422(client):
    assert client.post("/api/datasets", data={"name": "x"}).status_code == 422
    response = client.post("/api/datasets", files=[("files", ("a.zip", class_zip()))])
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "name"]


def test_real_fashion_sprite_zip_over_http(client, settings, tmp_path):
    path = tmp_path / "fashion.zip"
    make_zip(path)
    response = post(client, [("fashion.zip", path.read_bytes())], test_fraction="0")
    assert response.status_code == 201, response.text
    body = response.json()
    names, x, y = sorted_classes()
    assert body["class_names"] == names and body["num_train"] == 900 and body["num_test"] == 0
    assert body["class_counts"]["train"] == [90] * 10
    assert body["input_shape"] == [28, 28, 1] and body["skipped"] == []
    folder = settings.data_dir / "datasets" / str(body["id"])
    assert np.array_equal(np.load(folder / "x_train.npy")[..., 0], x)
    assert np.array_equal(np.load(folder / "y_train.npy"), y)
