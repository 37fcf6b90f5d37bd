"""Formats are told from content, never from file names."""

import gzip
import io
import zipfile

import numpy as np
import pytest

from app.datasets.base import DatasetError, Upload
from app.datasets.detect import detect_format
from tests.helpers.images import MNIST_IMAGES, MNIST_LABELS, mnist_file


def upload(tmp_path, name: str, data: bytes) -> Upload:
    path = tmp_path / f"f{len(list(tmp_path.iterdir()))}"
    path.write_bytes(data)
    return Upload(path, name)


def test_real_mnist_gz_pair_is_idx_whatever_the_names(tmp_path):
    files = [
        upload(tmp_path, "a.csv", mnist_file(MNIST_IMAGES).read_bytes()),
        upload(tmp_path, "b.zip", mnist_file(MNIST_LABELS).read_bytes()),
    ]
    assert detect_format(files) == "idx"
    raw = gzip.decompress(mnist_file(MNIST_LABELS).read_bytes())
    assert detect_format([upload(tmp_path, "x", raw), upload(tmp_path, "y", raw)]) == "idx"


def test_zip_npz_and_csv(tmp_path):
    buffer = io.BytesIO()
    np.savez(buffer, x=np.zeros((2, 2)), y=np.zeros(2))
    assert detect_format([upload(tmp_path, "data.zip", buffer.getvalue())]) == "npz"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("cat/1.png", b"x")
    assert detect_format([upload(tmp_path, "data.npz", buffer.getvalue())]) == "zip"
    text = b"label,p1\n1,2\n"
    assert detect_format([upload(tmp_path, "data.bin", text)]) == "csv"
    assert detect_format([upload(tmp_path, "data.bin", "\ufefflabel,é\n1,2\n".encode())]) == "csv"


@pytest.mark.parametrize(
    "data,words",
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(20), "looks like a PNG image"),
        (b"%PDF-1.7\n", "looks like a PDF document"),
        (b"\x00\x01\x02\x03", "first bytes"),
        (b"just some words\n", "first bytes"),
    ],
)
def test_unknown_content_is_415_naming_the_file(tmp_path, data, words):
    with pytest.raises(DatasetError) as error:
        detect_format([upload(tmp_path, "mystery.csv", data)])
    assert error.value.status == 415
    assert "'mystery.csv'" in error.value.message and words in error.value.message


def test_several_files_go_to_the_idx_parser_which_names_the_odd_one(tmp_path):
    files = [
        upload(tmp_path, "img.gz", mnist_file(MNIST_IMAGES).read_bytes()),
        upload(tmp_path, "notes.txt", b"hello, world\n"),
    ]
    assert detect_format(files) == "idx"
