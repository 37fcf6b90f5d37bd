"""CIFAR-10's pickled batches (app.datasets.catalog_cifar): the restricted Unpickler builds
numpy arrays and refuses anything else, whatever the archive's checksum said."""

from __future__ import annotations

import io
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from app.datasets.base import DatasetError, Options, Upload
from app.datasets.catalog_cifar import RestrictedUnpickler, load_batch, parse_cifar
from tests.helpers.catalog_files import CIFAR_BATCH, cifar_batch, tiny_cifar


class RunsCode:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.mkdir, (str(self.marker),))


@pytest.mark.parametrize("protocol", [2, 3, 5])
def test_a_pickle_that_would_run_code_is_refused(tmp_path: Path, protocol: int) -> None:
    marker = tmp_path / "ran"
    evil = pickle.dumps({b"data": RunsCode(marker), b"labels": [0]}, protocol=protocol)
    with pytest.raises(DatasetError, match="refused to load"):
        load_batch(evil, "test_batch")
    assert not marker.exists()


@pytest.mark.parametrize(
    "global_", [b"cos\nsystem\n", b"cbuiltins\neval\n", b"cnumpy\nload\n", b"cnumpy.lib\nformat\n"]
)
def test_only_numpy_array_reconstruction_is_allowed(global_: bytes) -> None:
    with pytest.raises(pickle.UnpicklingError, match="refused to load"):
        RestrictedUnpickler(io.BytesIO(global_ + b".")).load()


def test_a_real_batch_layout_loads_channels_last() -> None:
    x, y = load_batch(cifar_batch(3, seed=5), "data_batch_1")
    raw = pickle.loads(cifar_batch(3, seed=5))
    assert x.shape == (3, 32, 32, 3) and x.dtype == np.uint8
    assert np.array_equal(x[1, :, :, 0], raw[b"data"][1, :1024].reshape(32, 32))  # red plane
    assert y.tolist() == raw[b"labels"]


@pytest.mark.parametrize(
    ("batch", "words"),
    [
        ({b"data": np.zeros((2, 3072), np.float32), b"labels": [0, 1]}, "uint8 array"),
        ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}, "one class 0..9"),
        ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]}, "one class 0..9"),
        ([1, 2], "not a CIFAR batch"),
    ],
)
def test_batches_of_the_wrong_shape_are_refused(batch: object, words: str) -> None:
    with pytest.raises(DatasetError, match=words):
        load_batch(pickle.dumps(batch, protocol=3), "test_batch")


def test_the_archive_is_read_into_train_and_test(tmp_path: Path) -> None:
    tiny_cifar(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    upload = Upload(tmp_path / "tiny-cifar.tar.gz", "tiny-cifar.tar.gz")
    parsed = parse_cifar([upload], Options(class_names=list("abcdefghij")), out, CIFAR_BATCH)
    assert parsed.splits == {"train": 5 * CIFAR_BATCH, "test": CIFAR_BATCH}
    assert np.load(out / "x_train.npy").shape == (5 * CIFAR_BATCH, 32, 32, 3)


def test_the_budget_is_checked_from_the_batch_sizes_before_reading(tmp_path: Path) -> None:
    tiny_cifar(tmp_path)
    upload = Upload(tmp_path / "tiny-cifar.tar.gz", "cifar-10-python.tar.gz")
    with pytest.raises(DatasetError, match="MAX_DATASET_BYTES") as caught:
        parse_cifar([upload], Options(max_bytes=10_000), tmp_path, CIFAR_BATCH)
    assert caught.value.status == 413 and not list(tmp_path.glob("*.npy"))


class Py2Pickler(pickle._Pickler):  # type: ignore[name-defined]
    """Writes bytes as Python 2 strings (BINSTRING), as cPickle wrote the real batches."""

    dispatch = dict(pickle._Pickler.dispatch)  # type: ignore[attr-defined]

    def save_str2(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_str2


def test_a_python_2_batch_as_the_real_archive_holds_loads() -> None:
    """Protocol 2, str as BINSTRING, numpy 1.x's module name (numpy.core.multiarray)."""
    data = np.arange(2 * 3072, dtype=np.uint8).reshape(2, 3072) % 251
    out = io.BytesIO()
    Py2Pickler(out, protocol=2).dump({b"data": data, b"labels": [3, 7], b"batch_label": b"b1"})
    pickled = out.getvalue().replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert b"numpy.core.multiarray\n_reconstruct" in pickled and b"_codecs" not in pickled
    x, y = load_batch(pickled, "data_batch_1")
    assert y.tolist() == [3, 7]
    assert np.array_equal(x.transpose(0, 3, 1, 2).reshape(2, 3072), data)
