"""IDX uploads: the real MNIST test files as downloaded, and broken copies of them."""

from __future__ import annotations

import gzip
import hashlib
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from app.datasets.base import DatasetError, Options, Upload
from app.datasets.idx import parse_idx
from tests.helpers.images import mnist_file

IMAGES_GZ = "t10k-images-idx3-ubyte.gz"
LABELS_GZ = "t10k-labels-idx1-ubyte.gz"
IMAGES_MD5 = "2646ac647ad5339dbf082846283269ea"  # from shared/data/README.md
FIRST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


@cache
def raw(name: str) -> bytes:
    """A real file, decompressed by hand (the reference the parser is checked against)."""
    with gzip.open(mnist_file(name), "rb") as stream:
        return stream.read()


def real(name: str) -> Upload:
    return Upload(mnist_file(name), name)


def write(folder: Path, name: str, data: bytes, compress: bool = False) -> Upload:
    path = folder / "uploads" / f"{len(list(folder.glob('uploads/*')))}.bin"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(gzip.compress(data, compresslevel=1) if compress else data)
    return Upload(path, name)


def idx(magic: int, dims: tuple[int, ...], data: bytes) -> bytes:
    header = b"".join(d.to_bytes(4, "big") for d in (magic, *dims))
    return header + data


def parse(tmp_path: Path, files: list[Upload], options: Options | None = None):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    return parse_idx(files, options or Options(), out), out


def error_of(tmp_path: Path, files: list[Upload]) -> str:
    with pytest.raises(DatasetError) as caught:
        parse(tmp_path, files)
    assert caught.value.status == 422
    return caught.value.message


def real_pair() -> list[Upload]:
    return [real(IMAGES_GZ), real(LABELS_GZ)]


def test_real_gzipped_mnist_reads_exactly_as_downloaded(tmp_path: Path) -> None:
    parsed, out = parse(tmp_path, real_pair())
    x = np.load(out / "x_train.npy", mmap_mode="r")
    y = np.load(out / "y_train.npy", mmap_mode="r")
    assert parsed.splits == {"train": 10000}
    assert parsed.class_names == [str(i) for i in range(10)]
    assert x.shape == (10000, 28, 28) and x.dtype == np.uint8
    assert y.dtype == np.int32 and y[:10].tolist() == FIRST_LABELS
    by_hand = np.frombuffer(raw(IMAGES_GZ), dtype=np.uint8, offset=16).reshape(10000, 28, 28)
    assert np.array_equal(x, by_hand)
    header = raw(IMAGES_GZ)[:16]
    assert hashlib.md5(header + x.tobytes()).hexdigest() == IMAGES_MD5
    assert np.array_equal(y, np.frombuffer(raw(LABELS_GZ), dtype=np.uint8, offset=8))
    assert sorted(p.name for p in out.iterdir()) == ["x_train.npy", "y_train.npy"]


def test_uncompressed_files_in_either_order_give_the_same_arrays(tmp_path: Path) -> None:
    files = [
        write(tmp_path, "t10k-labels-idx1-ubyte", raw(LABELS_GZ)),
        write(tmp_path, "t10k-images-idx3-ubyte", raw(IMAGES_GZ)),
    ]
    parsed, out = parse(tmp_path, files)
    assert parsed.splits == {"train": 10000}
    x = np.load(out / "x_train.npy", mmap_mode="r")
    assert hashlib.md5(raw(IMAGES_GZ)[:16] + x.tobytes()).hexdigest() == IMAGES_MD5
    assert np.load(out / "y_train.npy")[:10].tolist() == FIRST_LABELS


def test_given_class_names_are_kept(tmp_path: Path) -> None:
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    parsed, _ = parse(tmp_path, real_pair(), Options(class_names=names))
    assert parsed.class_names == names


def test_too_few_class_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as caught:
        parse(tmp_path, real_pair(), Options(class_names=["a", "b"]))
    assert caught.value.field == "class_names"
    assert LABELS_GZ in caught.value.message and "labels up to 9" in caught.value.message


def small_train_pair(tmp_path: Path, count: int = 100, labels: int | None = None) -> list[Upload]:
    pixels = raw(IMAGES_GZ)[16 : 16 + count * 784]
    marks = raw(LABELS_GZ)[8 : 8 + (count if labels is None else labels)]
    return [
        write(tmp_path, "train-images-idx3-ubyte.gz", idx(2051, (count, 28, 28), pixels), True),
        write(tmp_path, "train-labels-idx1-ubyte", idx(2049, (len(marks),), marks)),
    ]


def test_four_files_give_a_train_and_a_test_split(tmp_path: Path) -> None:
    train_images, train_labels = small_train_pair(tmp_path)
    files = [real(LABELS_GZ), train_images, real(IMAGES_GZ), train_labels]
    parsed, out = parse(tmp_path, files)
    assert parsed.splits == {"train": 100, "test": 10000}
    assert parsed.class_names == [str(i) for i in range(10)]
    x_test = np.load(out / "x_test.npy", mmap_mode="r")
    assert hashlib.md5(raw(IMAGES_GZ)[:16] + x_test.tobytes()).hexdigest() == IMAGES_MD5
    x_train = np.load(out / "x_train.npy", mmap_mode="r")
    assert np.array_equal(x_train, x_test[:100])
    assert np.load(out / "y_train.npy")[:10].tolist() == FIRST_LABELS


def test_four_files_without_test_names_are_refused(tmp_path: Path) -> None:
    train_images, train_labels = small_train_pair(tmp_path)
    others = [
        write(tmp_path, "b-images", raw(IMAGES_GZ)),
        write(tmp_path, "b-labels", raw(LABELS_GZ)),
    ]
    message = error_of(tmp_path, [train_images, train_labels, *others])
    assert "Cannot tell the test file" in message and '"t10k" or "test"' in message


def test_four_files_whose_counts_do_not_pair_up_are_refused(tmp_path: Path) -> None:
    files = [*small_train_pair(tmp_path, labels=99), *real_pair()]
    message = error_of(tmp_path, files)
    assert '"train-images-idx3-ubyte.gz" has 100 images' in message
    assert '"train-labels-idx1-ubyte" has 99 labels' in message and '"t10k" or "test"' in message


def test_train_and_test_images_of_different_sizes_are_refused(tmp_path: Path) -> None:
    pixels = bytes(10 * 20 * 20)
    files = [
        write(tmp_path, "train-images", idx(2051, (10, 20, 20), pixels)),
        write(tmp_path, "train-labels", idx(2049, (10,), bytes(10))),
        *real_pair(),
    ]
    message = error_of(tmp_path, files)
    assert "10 images of 20x20" in message and "10000 images of 28x28" in message


@pytest.mark.parametrize("count", [1, 3, 5])
def test_wrong_number_of_files_is_refused(tmp_path: Path, count: int) -> None:
    files = (real_pair() * 3)[:count]
    message = error_of(tmp_path, files)
    assert f"Received {count} file(s)" in message
    assert "an images file and a labels file" in message


def test_two_image_files_and_no_labels_are_refused(tmp_path: Path) -> None:
    files = [real(IMAGES_GZ), write(tmp_path, "copy.gz", raw(IMAGES_GZ))]
    message = error_of(tmp_path, files)
    assert "2 images file(s) and 0 labels file(s)" in message and "magic 2049" in message


def test_two_label_files_and_no_images_are_refused(tmp_path: Path) -> None:
    message = error_of(tmp_path, [real(LABELS_GZ), real(LABELS_GZ)])
    assert "0 images file(s) and 2 labels file(s)" in message


def test_flipped_magic_number_is_shown_in_hex_and_decimal(tmp_path: Path) -> None:
    broken = b"\x12" + raw(IMAGES_GZ)[1:]
    message = error_of(tmp_path, [write(tmp_path, "images.gz", broken, True), real(LABELS_GZ)])
    assert '"images.gz" is not an IDX' in message
    assert f"0x12000803 ({0x12000803})" in message
    assert "0x00000803 (2051)" in message and "0x00000801 (2049)" in message


@pytest.mark.parametrize(
    ("content", "hint"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "PNG image"),
        (b"PK\x03\x04" + bytes(100), "zip archive"),
        (b"label,pixel0,pixel1\n7,0,0\n", "text file"),
        (b"\x03\x08\x00\x00" + bytes(100), "byte-swapped"),
    ],
)
def test_wrong_kind_of_file_is_named(tmp_path: Path, content: bytes, hint: str) -> None:
    message = error_of(tmp_path, [write(tmp_path, "upload.bin", content), real(LABELS_GZ)])
    assert "is not an IDX images or labels file" in message and hint in message


def test_wrong_number_of_dimensions_is_refused(tmp_path: Path) -> None:
    flat = write(tmp_path, "flat-images", idx(0x802, (10000, 784), raw(IMAGES_GZ)[16:]))
    message = error_of(tmp_path, [flat, real(LABELS_GZ)])
    assert '"flat-images" is an IDX file of unsigned bytes with 2 dimensions' in message
    assert "expected 3 dimensions for images" in message


@pytest.mark.parametrize("compress", [False, True])
def test_truncated_image_data_is_measured(tmp_path: Path, compress: bool) -> None:
    cut = raw(IMAGES_GZ)[: 16 + 1_234_567]
    message = error_of(tmp_path, [write(tmp_path, "cut.gz", cut, compress), real(LABELS_GZ)])
    assert '"cut.gz" is cut short' in message
    assert "header says 10000 images of 28x28 = 7,840,000 bytes, but the file has only " in message
    assert "1,234,567" in message


def test_header_cut_short_is_refused(tmp_path: Path) -> None:
    cut = write(tmp_path, "images", raw(IMAGES_GZ)[:10])
    message = error_of(tmp_path, [cut, real(LABELS_GZ)])
    assert '"images" ends inside its header (10 bytes' in message


@pytest.mark.parametrize("compress", [False, True])
def test_extra_bytes_after_the_data_are_refused(tmp_path: Path, compress: bool) -> None:
    longer = write(tmp_path, "labels", raw(LABELS_GZ) + b"junk", compress)
    message = error_of(tmp_path, [real(IMAGES_GZ), longer])
    assert '"labels" has 4 extra bytes after its data' in message
    assert "10000 labels = 10,000 bytes" in message


def test_truncated_gzip_stream_is_refused(tmp_path: Path) -> None:
    data = mnist_file(IMAGES_GZ).read_bytes()
    cut = write(tmp_path, IMAGES_GZ, data[: len(data) // 2])
    message = error_of(tmp_path, [cut, real(LABELS_GZ)])
    assert f'"{IMAGES_GZ}" is a gzip file that is corrupt or cut short' in message


def test_corrupt_gzip_stream_is_refused(tmp_path: Path) -> None:
    data = bytearray(mnist_file(IMAGES_GZ).read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    corrupt = write(tmp_path, IMAGES_GZ, bytes(data))  # the gzip trailer is left intact
    message = error_of(tmp_path, [corrupt, real(LABELS_GZ)])
    assert "is a gzip file that is corrupt or cut short" in message


def test_images_and_labels_count_mismatch_is_refused(tmp_path: Path) -> None:
    fewer = write(tmp_path, "labels.gz", idx(2049, (9999,), raw(LABELS_GZ)[8:-1]), True)
    message = error_of(tmp_path, [real(IMAGES_GZ), fewer])
    assert "10000 images but " in message and "9999 labels" in message


@pytest.mark.parametrize("compress", [False, True])
def test_empty_file_is_refused(tmp_path: Path, compress: bool) -> None:
    message = error_of(tmp_path, [real(IMAGES_GZ), write(tmp_path, "labels", b"", compress)])
    assert '"labels" is empty (0 bytes)' in message


def test_header_with_zero_images_is_refused(tmp_path: Path) -> None:
    nothing = write(tmp_path, "images", idx(2051, (0, 28, 28), b""))
    message = error_of(tmp_path, [nothing, write(tmp_path, "labels", idx(2049, (0,), b""))])
    assert "holds no data" in message and "0 images of 28x28" in message


def member(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=1)


def trailer_size(upload: Upload) -> int:
    """The size a gzip file's last 4 bytes give: what the quick check compares."""
    return int.from_bytes(upload.path.read_bytes()[-4:], "little")


@pytest.mark.parametrize("crafted", ["cut short", "4 extra bytes"])
def test_streaming_checks_sizes_again(tmp_path: Path, crafted: str) -> None:
    # The quick check reads a gzip file's last 4 bytes, and they can agree with the header
    # while the data does not: the trailer holds the size only mod 2**32, and of a file of
    # several members (valid gzip, as `cat a.gz b.gz` makes) only the last member's size.
    # Such files pass it; the stream must still refuse data that does not match the header.
    options = Options()
    if crafted == "cut short":  # 2**32 bytes of pixels by the header, none in the file
        images = write(tmp_path, "images", idx(2051, (65536, 256, 256), b""), True)
        assert trailer_size(images) == (16 + 2**32) % 2**32
        labels = write(tmp_path, "labels", idx(2049, (65536,), bytes(65536)), True)
        options = Options(max_bytes=2**33)  # the output is reserved in full (4 GiB) first
        said = '"images" is cut short: its header says 65536 images of 256x256 = '
        said += "4,294,967,296 bytes, but the file has only 0"
    else:  # the last member holds a whole file's length, 4 bytes of it past the data
        whole = raw(LABELS_GZ)
        labels = write(tmp_path, "labels", member(whole[:4]) + member(whole[4:] + b"junk"))
        assert trailer_size(labels) == len(whole)
        images, said = real(IMAGES_GZ), '"labels" has 4 extra bytes after its data'
    try:
        with pytest.raises(DatasetError) as caught:
            parse(tmp_path, [images, labels], options)
        assert said in caught.value.message
    finally:
        for output in (tmp_path / "out").glob("*.npy"):
            output.unlink()  # no 4 GiB kept in the last sessions' temporary folders


def test_gzip_with_far_too_much_data_is_counted_only_one_chunk_past(tmp_path: Path) -> None:
    # A gzip bomb is not decompressed to its end just to say how many bytes are extra.
    labels = raw(LABELS_GZ) + bytes(20_000_000)
    message = error_of(tmp_path, [real(IMAGES_GZ), write(tmp_path, "labels", labels, True)])
    assert '"labels" has at least 4,194,304 extra bytes' in message
