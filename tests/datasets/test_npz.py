"""NPZ uploads: keras.datasets layouts, the label forms people save, and refused archives."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.datasets import npz
from app.datasets.base import DatasetError, Options, Parsed, Upload
from app.datasets.npz import parse_npz
from tests.helpers.images import MNIST_IMAGES, MNIST_LABELS, mnist_file


def mnist(count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first real MNIST test images and labels, as keras.datasets.mnist gives them."""
    with gzip.open(mnist_file(MNIST_IMAGES), "rb") as stream:
        x = np.frombuffer(stream.read(16 + count * 784), np.uint8, offset=16)
    with gzip.open(mnist_file(MNIST_LABELS), "rb") as stream:
        y = np.frombuffer(stream.read(8 + count), np.uint8, offset=8)
    return x.reshape(count, 28, 28), y


def saved(tmp_path: Path, compressed: bool = False, **arrays: Any) -> Upload:
    path = tmp_path / "upload.npz"
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    return Upload(path, "mnist.npz")


def parse(tmp_path: Path, upload: Upload, options: Options | None = None) -> tuple[Parsed, Path]:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    return parse_npz([upload], options or Options(), out), out


def read(out: Path, name: str) -> np.ndarray:
    return np.load(out / f"{name}.npy", mmap_mode="r")


def error_of(tmp_path: Path, upload: Upload, options: Options | None = None) -> str:
    with pytest.raises(DatasetError) as caught:
        parse(tmp_path, upload, options)
    assert caught.value.status == 422
    return caught.value.message


X = np.arange(12, dtype=np.uint8).reshape(4, 3)
Y = np.array([0, 1, 2, 1])


def test_keras_layout_with_a_test_split(tmp_path: Path) -> None:
    x, y = mnist(100)
    upload = saved(tmp_path, x_train=x[:80], y_train=y[:80], x_test=x[80:], y_test=y[80:])
    parsed, out = parse(tmp_path, upload)
    assert parsed.splits == {"train": 80, "test": 20}
    assert parsed.class_names == [str(i) for i in range(10)]
    assert read(out, "x_train").dtype == np.uint8 and read(out, "x_train").shape == (80, 28, 28)
    assert np.array_equal(read(out, "x_test"), x[80:])
    assert read(out, "y_train").dtype == np.int32
    assert read(out, "y_train")[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.array_equal(read(out, "y_test"), y[80:])


def test_x_y_layout_from_a_compressed_archive(tmp_path: Path) -> None:
    parsed, out = parse(tmp_path, saved(tmp_path, compressed=True, x=X, y=Y))
    assert parsed.splits == {"train": 4} and parsed.class_names == ["0", "1", "2"]
    assert np.array_equal(read(out, "x_train"), X)
    assert not (out / "x_test.npy").exists()


def test_one_hot_labels_become_indices(tmp_path: Path) -> None:
    one_hot = np.eye(3, dtype=np.float32)[Y]
    parsed, out = parse(tmp_path, saved(tmp_path, x=X, y=one_hot))
    assert read(out, "y_train").tolist() == Y.tolist() and parsed.class_names == ["0", "1", "2"]


def test_string_labels_name_the_classes_in_sorted_order(tmp_path: Path) -> None:
    words = np.array(["dog", "cat", "dog", "bird"])
    parsed, out = parse(tmp_path, saved(tmp_path, x=X, y=words))
    assert parsed.class_names == ["bird", "cat", "dog"]
    assert read(out, "y_train").tolist() == [2, 1, 2, 0]


def test_string_labels_follow_given_class_names(tmp_path: Path) -> None:
    words = np.array(["dog", "cat", "dog", "bird"])
    options = Options(class_names=["dog", "cat", "bird"])
    parsed, out = parse(tmp_path, saved(tmp_path, x=X, y=words), options)
    assert parsed.class_names == ["dog", "cat", "bird"]
    assert read(out, "y_train").tolist() == [0, 1, 0, 2]


def test_string_label_missing_from_given_class_names_is_refused(tmp_path: Path) -> None:
    upload = saved(tmp_path, x=X, y=np.array(["dog", "cat", "fox", "cat"]))
    message = error_of(tmp_path, upload, Options(class_names=["cat", "dog"]))
    assert "labels out of range" in message and "'fox' at index 2" in message


@pytest.mark.parametrize(
    "labels",
    [Y.reshape(4, 1), Y.astype(np.float64), Y.astype(np.uint8), Y.astype(np.int16)],
    ids=["column", "integral-floats", "uint8", "int16"],
)
def test_other_label_forms_are_accepted(tmp_path: Path, labels: np.ndarray) -> None:
    _, out = parse(tmp_path, saved(tmp_path, x=X, y=labels))
    assert read(out, "y_train").tolist() == Y.tolist()


def test_string_labels_across_splits_share_one_class_list(tmp_path: Path) -> None:
    train, test = np.array([b"cat", b"dog", b"cat", b"dog"]), np.array(["owl", "cat", "cat", "cat"])
    upload = saved(tmp_path, x_train=X, y_train=train, x_test=X, y_test=test)
    parsed, out = parse(tmp_path, upload)
    assert parsed.class_names == ["cat", "dog", "owl"]
    assert read(out, "y_train").tolist() == [0, 1, 0, 1]
    assert read(out, "y_test").tolist() == [2, 0, 0, 0]


def test_string_and_numeric_labels_do_not_mix(tmp_path: Path) -> None:
    upload = saved(tmp_path, x_train=X, y_train=Y, x_test=X, y_test=Y.astype(str))
    assert "mix string and numeric labels" in error_of(tmp_path, upload)


def test_damaged_member_is_refused(tmp_path: Path) -> None:
    upload = saved(tmp_path, x=np.zeros((100, 100), np.uint8), y=np.zeros(100, np.uint8))
    data = bytearray(upload.path.read_bytes())
    start = data.index(bytes(200))  # inside x's pixels; the zip's CRC no longer matches
    data[start : start + 10] = b"\x01" * 10
    upload.path.write_bytes(bytes(data))
    assert '"x" in "mnist.npz" is damaged' in error_of(tmp_path, upload)


def test_given_class_names_are_kept(tmp_path: Path) -> None:
    options = Options(class_names=["a", "b", "c", "d"])
    parsed, _ = parse(tmp_path, saved(tmp_path, x=X, y=Y), options)
    assert parsed.class_names == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    ("x", "dtype"),
    [
        (X.astype(np.float64) / 11, np.float32),
        (X.astype(np.int64), np.float32),
        (X.astype(np.int32), np.float32),
        (X > 5, np.uint8),
        (X.astype(np.int16), np.int16),
        (X.astype(np.float16), np.float16),
        (X.astype(">f4"), np.float32),
    ],
    ids=["float64", "int64", "int32", "bool", "int16", "float16", "big-endian"],
)
def test_x_dtypes_are_kept_or_cast(tmp_path: Path, x: np.ndarray, dtype: Any) -> None:
    _, out = parse(tmp_path, saved(tmp_path, x=x, y=Y))
    assert read(out, "x_train").dtype == np.dtype(dtype)
    assert np.allclose(read(out, "x_train"), x.astype(np.float64))


@pytest.mark.parametrize(
    ("x", "words"),
    [
        (np.full((4, 3), 1e300), "beyond float32's range"),
        (np.full((4, 3), 2**24 + 1, dtype=np.int64), "what float32 stores exactly"),
    ],
)
def test_x_values_float32_cannot_hold_are_refused(
    tmp_path: Path, x: np.ndarray, words: str
) -> None:
    message = error_of(tmp_path, saved(tmp_path, x=x, y=Y))
    assert '"x" in "mnist.npz"' in message and words in message


def test_object_array_is_refused_for_safety(tmp_path: Path) -> None:
    labels = np.array([0, 1, "two", None], dtype=object)
    message = error_of(tmp_path, saved(tmp_path, x=X, y=labels))
    assert '"y" in "mnist.npz" is an object (pickled) array' in message
    assert "refused for safety" in message and "plain numeric arrays" in message


def test_missing_keys_are_listed(tmp_path: Path) -> None:
    message = error_of(tmp_path, saved(tmp_path, images=X, labels=Y))
    assert "holds the keys images, labels" in message
    assert "x_train and y_train" in message and "or x and y" in message


@pytest.mark.parametrize(
    ("arrays", "words"),
    [
        ({"x_train": X, "y_train": Y, "x_test": X}, '"x_test" but no "y_test"'),
        ({"x_train": X, "y_train": Y, "y_test": Y}, '"y_test" but no "x_test"'),
        ({"x_train": X}, '"x_train" but no "y_train"'),
        ({"y": Y}, '"y" but no "x"'),
    ],
)
def test_half_a_split_is_refused(tmp_path: Path, arrays: dict[str, Any], words: str) -> None:
    assert words in error_of(tmp_path, saved(tmp_path, **arrays))


def test_lengths_must_match(tmp_path: Path) -> None:
    message = error_of(tmp_path, saved(tmp_path, x_train=X, y_train=Y[:3]))
    assert '"x_train" has 4 samples but "y_train" has 3 labels' in message


def test_negative_label_is_out_of_range(tmp_path: Path) -> None:
    message = error_of(tmp_path, saved(tmp_path, x=X, y=np.array([0, 1, -1, 2])))
    assert 'labels out of range: "y" in "mnist.npz" has label -1 at index 2' in message


def test_label_beyond_given_class_names_is_out_of_range(tmp_path: Path) -> None:
    message = error_of(tmp_path, saved(tmp_path, x=X, y=Y), Options(class_names=["a", "b"]))
    assert "labels out of range" in message and "label 2 at index 2" in message
    assert "only 2 class names" in message


@pytest.mark.parametrize(
    ("arrays", "words"),
    [
        ({"x": X[:0], "y": Y[:0]}, '"x" in "mnist.npz" is empty'),
        ({"x": X, "y": Y[:0]}, '"y" in "mnist.npz" is empty'),
        ({"x": np.arange(4), "y": Y}, "one sample must be at least a vector"),
        ({"x": np.array([["a"] * 3] * 4), "y": Y}, "holds <U1 values"),
        ({"x": X.astype(np.complex64), "y": Y}, "holds complex64 values"),
        ({"x": X, "y": np.zeros((4, 2, 2))}, "y must be 1-D integer labels"),
        ({"x": X, "y": np.array([0, 1, 0.5, 1])}, "holds 0.5 at index 2"),
        ({"x": X, "y": np.eye(3)[[0, 1, 2, 0]] * [1, 1, 0]}, "row 2 is [0.0, 0.0, 0.0]"),
        ({"x": X, "y": np.array([[1, 1], [1, 0], [0, 1], [0, 1]])}, "row 0 is [1, 1], not a"),
    ],
    ids=[
        *("empty-x", "empty-y", "1-d-x", "string-x", "complex-x", "3-d-y", "half-y"),
        *("zero-hot", "two-hot"),
    ],
)
def test_bad_arrays_are_refused(tmp_path: Path, arrays: dict[str, Any], words: str) -> None:
    assert words in error_of(tmp_path, saved(tmp_path, **arrays))


def test_train_and_test_sample_shapes_must_match(tmp_path: Path) -> None:
    upload = saved(tmp_path, x_train=X, y_train=Y, x_test=X.reshape(4, 3, 1), y_test=Y)
    message = error_of(tmp_path, upload)
    assert '"x_train" samples have shape (3,) but "x_test" samples have shape (3, 1)' in message


def test_zip_bomb_is_refused_without_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload = saved(tmp_path, compressed=True, x=np.zeros((50, 1024, 1024), np.uint8), y=Y)
    monkeypatch.setattr(np, "load", lambda *args, **kwargs: pytest.fail("np.load was called"))
    message = error_of(tmp_path, upload)
    assert 'possible zip bomb: member "x.npy"' in message
    assert "52,428,928 bytes" in message and "the limit is 200x" in message


def test_archive_declaring_too_much_data_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload = saved(tmp_path, x=X, y=Y)
    monkeypatch.setattr(npz, "MAX_UNCOMPRESSED", 100)
    monkeypatch.setattr(np, "load", lambda *args, **kwargs: pytest.fail("np.load was called"))
    message = error_of(tmp_path, upload)
    assert '"mnist.npz" would expand to ' in message and "more than the 100-byte limit" in message


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "is empty (0 bytes)"),
        (b"hello", "is not an .npz file (a zip of .npy arrays): it starts with b'hello'"),
        (b"PK\x03\x04" + bytes(40), "is a damaged zip"),
        (None, "single .npy"),
    ],
)
def test_files_that_are_not_npz_are_refused(
    tmp_path: Path, content: bytes | None, words: str
) -> None:
    path = tmp_path / "upload.npz"
    if content is None:
        np.save(path.with_suffix(".npy"), X)
        path = path.with_suffix(".npy")
    else:
        path.write_bytes(content)
    assert words in error_of(tmp_path, Upload(path, "data.npz"))


def test_member_that_is_not_an_array_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "upload.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x", b"not an array")
        archive.writestr("y.npy", b"")
    assert '"x" in "data.npz" is not a .npy array' in error_of(tmp_path, Upload(path, "data.npz"))


@pytest.mark.parametrize("count", [0, 2])
def test_exactly_one_file_is_needed(tmp_path: Path, count: int) -> None:
    upload = saved(tmp_path, x=X, y=Y)
    with pytest.raises(DatasetError) as caught:
        parse_npz([upload] * count, Options(), tmp_path)
    assert f"Received {count} files" in caught.value.message
    assert "exactly one .npz file" in caught.value.message
