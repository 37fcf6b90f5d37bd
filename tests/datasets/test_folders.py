"""parse_folders on the real Fashion-MNIST sprite cut into class folders, and on every kind of
zip it must refuse."""

from __future__ import annotations

import io
import zipfile
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.datasets import folders
from app.datasets.base import DatasetError, Options, Parsed, Upload, load_split
from app.datasets.folders import parse_folders
from tests.helpers.images import encode, png_header
from tests.helpers.sprite import make_zip, sorted_classes, tiles


@cache
def good() -> bytes:
    """A real 28 x 28 Fashion-MNIST tile as a PNG (read when a test first asks for it)."""
    return encode(tiles()[0][0])


def parse(zip_path: Path, out: Path, **options: object) -> tuple[Parsed, np.ndarray, np.ndarray]:
    out.mkdir(exist_ok=True)
    parsed = parse_folders([Upload(zip_path, "fashion.zip")], Options(**options), out)  # type: ignore[arg-type]
    split = load_split(out, "train")
    assert split is not None
    return parsed, np.asarray(split[0]), np.asarray(split[1])


def write_zip(path: Path, entries: dict[str | zipfile.ZipInfo, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry, data in entries.items():
            archive.writestr(entry, data)
    return path


def refusal(zip_path: Path, out: Path, **options: object) -> DatasetError:
    with pytest.raises(DatasetError) as caught:
        parse(zip_path, out, **options)
    return caught.value


@pytest.mark.parametrize("root", ["", "fashion/"], ids=["classes-at-top", "one-root-folder"])
def test_sprite_zip_gives_every_tile_under_sorted_class_names(tmp_path: Path, root: str) -> None:
    make_zip(tmp_path / "fashion.zip", root=root)
    parsed, x, y = parse(tmp_path / "fashion.zip", tmp_path / "out")
    names, expected_x, expected_y = sorted_classes()
    assert parsed.class_names == names
    assert names[:3] == ["Ankle boot", "Bag", "Coat"] and names[-1] == "Trouser"
    assert parsed.splits == {"train": 900} and parsed.skipped == []
    assert x.dtype == np.uint8 and x.shape == (900, 28, 28, 1)
    assert y.dtype == np.int32 and np.bincount(y).tolist() == [90] * 10
    assert np.array_equal(x[:, :, :, 0], expected_x)  # PNG is lossless: the very pixels
    assert np.array_equal(y, expected_y)
    assert parsed.notes["color_mode"] == "grayscale" and parsed.notes["image_size"] == [28, 28]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["x_train.npy", "y_train.npy"]


def test_junk_is_skipped_and_reported_with_reasons(tmp_path: Path) -> None:
    extra = {
        "__MACOSX/Bag/._000.png": b"\x00\x05\x16\x07 resource fork",
        "Bag/.DS_Store": b"\x00\x00\x00\x01Bud1",
        ".hidden/Bag/1.png": good(),
        "notes.txt": b"Fashion-MNIST, cut from the sprite",
        "Coat/broken.png": good()[: len(good()) // 2],
        "Coat/readme.txt": b"not a picture",
        "Empty/": b"",
    }
    make_zip(tmp_path / "fashion.zip", extra=extra)
    parsed, x, y = parse(tmp_path / "fashion.zip", tmp_path / "out")
    reasons = {item["entry"]: item["reason"] for item in parsed.skipped}
    assert set(reasons) == set(extra)
    assert "__MACOSX" in reasons["__MACOSX/Bag/._000.png"]
    assert "hidden" in reasons["Bag/.DS_Store"] and "hidden" in reasons[".hidden/Bag/1.png"]
    assert "not inside a class folder" in reasons["notes.txt"]
    assert reasons["Coat/broken.png"].startswith("truncated or corrupt image: 'Coat/broken.png'")
    assert reasons["Coat/readme.txt"].startswith("not an image: 'Coat/readme.txt'")
    assert "no image" in reasons["Empty/"]
    # Nothing of the junk reached the arrays: exactly the sprite, as without it.
    names, expected_x, expected_y = sorted_classes()
    assert parsed.class_names == names and parsed.splits == {"train": 900}
    assert np.array_equal(x[:, :, :, 0], expected_x) and np.array_equal(y, expected_y)
    assert not (tmp_path / "out" / "x_train.partial.npy").exists()


def test_image_size_resizes_every_image(tmp_path: Path) -> None:
    make_zip(tmp_path / "fashion.zip")
    parsed, x, _ = parse(tmp_path / "fashion.zip", tmp_path / "out", image_size=(14, 14))
    assert x.shape == (900, 14, 14, 1) and parsed.notes["image_size"] == [14, 14]
    assert parsed.notes["resized_images"] == 900
    first = sorted_classes()[1][0]
    expected = Image.fromarray(first).resize((14, 14), Image.Resampling.BILINEAR)
    assert np.array_equal(x[0, :, :, 0], np.asarray(expected))


def test_color_mode_rgb_repeats_the_grey_channel(tmp_path: Path) -> None:
    make_zip(tmp_path / "fashion.zip")
    parsed, x, _ = parse(tmp_path / "fashion.zip", tmp_path / "out", color_mode="rgb")
    assert x.shape == (900, 28, 28, 3) and parsed.notes["color_mode"] == "rgb"
    expected = sorted_classes()[1]
    assert all(np.array_equal(x[..., c], expected) for c in range(3))


def test_first_image_sets_size_and_colour_of_the_rest(tmp_path: Path) -> None:
    small_red = np.zeros((14, 10, 3), np.uint8)
    small_red[..., 0] = 255
    entries: dict[str | zipfile.ZipInfo, bytes] = {
        "b/red.png": encode(small_red),
        "a/0.png": good(),
    }
    parsed, x, y = parse(write_zip(tmp_path / "mixed.zip", entries), tmp_path / "out")
    assert parsed.class_names == ["a", "b"] and y.tolist() == [0, 1]
    assert x.shape == (2, 28, 28, 1) and parsed.notes["resized_images"] == 1
    assert np.all(x[1] == 76)  # red, as grey, stretched to 28 x 28


def test_mac_zip_of_one_folder(tmp_path: Path) -> None:
    # What macOS "Compress" makes of a folder: the folder, its metadata twin, a .DS_Store.
    entries: dict[str | zipfile.ZipInfo, bytes] = {
        "fashion/": b"",
        "fashion/a/0.png": good(),
        "fashion/b/0.png": good(),
        "fashion/.DS_Store": b"Bud1",
        "fashion/readme.txt": b"two classes",
        "__MACOSX/fashion/a/._0.png": b"\x00\x05\x16\x07",
    }
    parsed, _, y = parse(write_zip(tmp_path / "mac.zip", entries), tmp_path / "out")
    assert parsed.class_names == ["a", "b"] and y.tolist() == [0, 1]
    reasons = {item["entry"]: item["reason"] for item in parsed.skipped}
    assert "not inside a class folder" in reasons["fashion/readme.txt"]
    assert set(reasons) == {"fashion/.DS_Store", "fashion/readme.txt", "__MACOSX/fashion/a/._0.png"}


def test_images_below_a_class_folder_belong_to_it_however_deep(tmp_path: Path) -> None:
    entries: dict[str | zipfile.ZipInfo, bytes] = {
        "data/cats/0.png": good(),
        "data/cats/indoor/night/1.png": good(),
        "data/dogs\\2.png": good(),  # written on Windows
    }
    parsed, _, y = parse(write_zip(tmp_path / "deep.zip", entries), tmp_path / "out")
    assert parsed.class_names == ["cats", "dogs"] and y.tolist() == [0, 0, 1]


def test_a_class_folder_whose_images_all_fail_is_left_out(tmp_path: Path) -> None:
    entries: dict[str | zipfile.ZipInfo, bytes] = {
        "a/0.png": good(),
        "b/0.png": b"text",
        "c/0.png": good(),
    }
    parsed, _, y = parse(write_zip(tmp_path / "gap.zip", entries), tmp_path / "out")
    assert parsed.class_names == ["a", "c"] and y.tolist() == [0, 1]
    assert {"entry": "b/", "reason": folders._EMPTY_CLASS} in parsed.skipped


@pytest.mark.parametrize(
    "name",
    [
        "../evil.png",
        "cats/../../evil.png",
        "cats\\..\\..\\evil.png",
        "/etc/cats/evil.png",
        "\\cats\\evil.png",
        "C:/cats/evil.png",
        "c:evil.png",
    ],
)
def test_unsafe_names_refuse_the_whole_zip(tmp_path: Path, name: str) -> None:
    entries: dict[str | zipfile.ZipInfo, bytes] = {"a/0.png": good(), "b/0.png": good()}
    entries[zipfile.ZipInfo(name)] = good()
    error = refusal(write_zip(tmp_path / "evil.zip", entries), tmp_path / "out")
    assert error.status == 422 and error.message.startswith(f"unsafe entry {name!r}")


def test_symlink_entry_refuses_the_whole_zip(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("a/passwd.png")
    link.external_attr = 0o120777 << 16
    entries: dict[str | zipfile.ZipInfo, bytes] = {"b/0.png": good(), link: b"/etc/passwd"}
    error = refusal(write_zip(tmp_path / "link.zip", entries), tmp_path / "out")
    assert error.status == 422 and "unsafe entry 'a/passwd.png'" in error.message
    assert "symbolic link" in error.message


def test_too_many_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(folders, "MAX_ENTRIES", 5)
    entries: dict[str | zipfile.ZipInfo, bytes] = {f"c{i % 2}/{i}.png": good() for i in range(6)}
    error = refusal(write_zip(tmp_path / "many.zip", entries), tmp_path / "out")
    assert error.status == 422 and "has 6 entries, over the limit of 5" in error.message


def test_zip_bomb_member_is_refused_from_its_header(tmp_path: Path) -> None:
    zeros = bytes(20 * 1024**2)  # 20 MB of zeros deflate to about 20 kB
    entries: dict[str | zipfile.ZipInfo, bytes] = {"a/0.png": good(), "b/bomb.png": zeros}
    error = refusal(write_zip(tmp_path / "bomb.zip", entries), tmp_path / "out")
    assert error.status == 422 and "'b/bomb.png'" in error.message
    assert "20,971,520 bytes" in error.message and "zip bomb" in error.message
    assert f"{folders.MAX_RATIO}:1" in error.message


@pytest.mark.parametrize(
    ("limit", "words"),
    [
        ("MAX_TOTAL_BYTES", "uncompressed, over the limit of 1,000"),
        ("MAX_ENTRY_BYTES", "over the limit of 1,000 bytes per file"),
    ],
)
def test_declared_sizes_over_the_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: str, words: str
) -> None:
    monkeypatch.setattr(folders, limit, 1_000)
    big = encode(np.random.default_rng(0).integers(0, 256, (40, 40), dtype=np.uint8))
    entries: dict[str | zipfile.ZipInfo, bytes] = {"a/0.png": big, "b/0.png": good()}
    error = refusal(write_zip(tmp_path / "big.zip", entries), tmp_path / "out")
    assert error.status == 422 and words in error.message


def edit_header(path: Path, entry: str, central_at: int, value: bytes, local_at: int = 0) -> None:
    """Overwrite a field of `entry`'s central-directory record (and of its local header
    when `local_at` is given), as a hand-edited or hostile archive would have it."""
    data = bytearray(path.read_bytes())
    central = data.rfind(entry.encode()) - 46  # the central record ends in the name
    assert data[central : central + 4] == b"PK\x01\x02"
    data[central + central_at : central + central_at + len(value)] = value
    if local_at:
        local = int.from_bytes(data[central + 42 : central + 46], "little")
        assert data[local : local + 4] == b"PK\x03\x04"
        data[local + local_at : local + local_at + len(value)] = value
    path.write_bytes(bytes(data))


def stored_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for entry in ("a/0.png", "b/0.png", "b/1.png"):
            archive.writestr(entry, good())
    return path


def test_member_larger_than_its_declared_size_is_refused(tmp_path: Path) -> None:
    # The declared size edited down: zipfile stops there, and the checksum no longer fits.
    path = stored_zip(tmp_path / "lying.zip")
    edit_header(path, "b/0.png", 24, (len(good()) - 10).to_bytes(4, "little"), local_at=22)
    error = refusal(path, tmp_path / "out")
    assert error.status == 422 and "corrupt zip entry 'b/0.png'" in error.message


@pytest.mark.parametrize(
    ("central_at", "value", "reason"),
    [(8, b"\x01\x00", "encrypted"), (10, b"\x63\x00", "compressed with a method")],
    ids=["encrypted", "aes-method"],
)
def test_entries_that_cannot_be_read_are_skipped(
    tmp_path: Path, central_at: int, value: bytes, reason: str
) -> None:
    path = stored_zip(tmp_path / "locked.zip")
    edit_header(path, "b/1.png", central_at, value)
    parsed, _, y = parse(path, tmp_path / "out")
    assert y.tolist() == [0, 1]
    assert [item["entry"] for item in parsed.skipped] == ["b/1.png"]
    assert parsed.skipped[0]["reason"].startswith(reason)


def test_reading_never_goes_past_the_declared_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # zipfile itself stops at the declared size; if it ever did not, the parser still must.
    entries: dict[str | zipfile.ZipInfo, bytes] = {"a/0.png": good(), "b/0.png": good()}
    path = write_zip(tmp_path / "long.zip", entries)

    def endless(self: zipfile.ZipFile, info: zipfile.ZipInfo, *args: object) -> io.BytesIO:
        return io.BytesIO(bytes(info.file_size + 5))

    monkeypatch.setattr(zipfile.ZipFile, "open", endless)
    error = refusal(path, tmp_path / "out")
    assert error.status == 422
    assert f"'a/0.png' in 'fashion.zip' holds more than the {len(good()):,} bytes" in error.message


def test_fewer_than_two_class_folders(tmp_path: Path) -> None:
    entries: dict[str | zipfile.ZipInfo, bytes] = {"shirts/0.png": good(), "shirts/1.png": good()}
    error = refusal(write_zip(tmp_path / "one.zip", entries), tmp_path / "out")
    assert error.status == 422
    assert "found 1 class folder 'shirts'" in error.message and "at least 2" in error.message


def test_images_at_the_top_only_have_no_class(tmp_path: Path) -> None:
    entries: dict[str | zipfile.ZipInfo, bytes] = {"0.png": good(), "1.png": good()}
    error = refusal(write_zip(tmp_path / "flat.zip", entries), tmp_path / "out")
    assert "found 0 class folders" in error.message and "one folder per class" in error.message


def test_only_one_class_with_readable_images(tmp_path: Path) -> None:
    entries: dict[str | zipfile.ZipInfo, bytes] = {"a/0.png": good(), "b/0.png": b"text"}
    error = refusal(write_zip(tmp_path / "half.zip", entries), tmp_path / "out")
    assert "found 1 class folder 'a' with images that could be read" in error.message


def test_no_readable_image_at_all(tmp_path: Path) -> None:
    entries: dict[str | zipfile.ZipInfo, bytes] = {"a/0.png": b"text", "b/0.png": good()[:100]}
    error = refusal(write_zip(tmp_path / "bad.zip", entries), tmp_path / "out")
    assert error.status == 422 and error.message.startswith("no image in 'fashion.zip'")
    assert "'a/0.png': not an image" in error.message
    assert "'b/0.png': truncated or corrupt image" in error.message


def test_decoded_size_over_the_limit(tmp_path: Path) -> None:
    entries: dict[str | zipfile.ZipInfo, bytes] = {"a/0.png": good(), "b/0.png": good()}
    out = tmp_path / "out"
    error = refusal(write_zip(tmp_path / "wide.zip", entries), out, max_bytes=1_500)
    assert error.status == 413 and "MAX_DATASET_BYTES" in error.message
    assert "would store 2 samples of 28 x 28 x 1 uint8 = 1,576 bytes" in error.message
    assert "over the limit of 1,500 bytes" in error.message and list(out.iterdir()) == []


def test_a_decompression_bomb_image_refuses_the_whole_zip(tmp_path: Path) -> None:
    entries: dict[str | zipfile.ZipInfo, bytes] = {
        "a/0.png": good(),
        "b/0.png": good(),
        "b/1.png": png_header(7_000, 7_000),
    }
    out = tmp_path / "out"
    error = refusal(write_zip(tmp_path / "bomb.zip", entries), out)
    assert error.status == 422 and "decompression bomb: 'b/1.png'" in error.message
    assert list(out.iterdir()) == []  # the half-written arrays are gone


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "fashion.zip"
    path.write_bytes(good())
    error = refusal(path, tmp_path / "out")
    assert error.status == 415 and error.message.startswith("not a zip file: 'fashion.zip'")


def test_exactly_one_file(tmp_path: Path) -> None:
    make_zip(tmp_path / "a.zip")
    uploads = [Upload(tmp_path / "a.zip", "a.zip"), Upload(tmp_path / "a.zip", "b.zip")]
    with pytest.raises(DatasetError) as caught:
        parse_folders(uploads, Options(), tmp_path)
    assert "one .zip file" in caught.value.message and "received 2 files" in caught.value.message
