"""decode_image on every accepted format, and on the files it must refuse."""

from __future__ import annotations

import io
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from app.datasets.base import DatasetError
from app.datasets.images import MAX_PIXELS, DecompressionBomb, decode_image
from tests.helpers.images import encode, png_header
from tests.helpers.sprite import tiles


@cache
def tile() -> np.ndarray:
    """A real 28 x 28 Fashion-MNIST image (read when a test first asks for it)."""
    return tiles()[0][0]


def test_grayscale_png_comes_back_exactly() -> None:
    pixels, info = decode_image(encode(tile()), "tile.png", None, None)
    assert pixels.dtype == np.uint8 and pixels.shape == (28, 28, 1)
    assert np.array_equal(pixels[:, :, 0], tile())
    assert info["format"] == "PNG" and info["original_mode"] == "L"
    assert info["color_mode"] == "grayscale" and info["resized_to"] is None


def test_grayscale_asked_as_rgb_repeats_the_channel() -> None:
    pixels, _ = decode_image(encode(tile()), "tile.png", None, "rgb")
    assert pixels.shape == (28, 28, 3)
    assert all(np.array_equal(pixels[:, :, c], tile()) for c in range(3))


def test_rgb_asked_as_grayscale_uses_luminance() -> None:
    red = np.zeros((2, 2, 3), np.uint8)
    red[..., 0] = 255
    pixels, _ = decode_image(encode(red), "red.png", None, "grayscale")
    assert pixels.shape == (2, 2, 1) and pixels[0, 0, 0] == 76  # 0.299 * 255


def test_16_bit_png_keeps_the_high_byte() -> None:
    wide = np.array([[0, 255, 256, 4660], [32768, 40000, 65280, 65535]], np.uint16)
    pixels, info = decode_image(encode(wide), "deep.png", None, None)
    assert info["original_mode"].startswith("I") and info["scaled_16bit"]
    # convert("L") would have clipped all but the first two to 255.
    assert pixels[:, :, 0].tolist() == [[0, 0, 1, 18], [128, 156, 255, 255]]


def test_palette_png_takes_its_colours_from_the_palette() -> None:
    img = Image.new("P", (3, 1))
    img.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255])
    img.putdata([0, 1, 2])
    pixels, info = decode_image(encode(img), "palette.png", None, None)
    assert info["original_mode"] == "P" and info["color_mode"] == "rgb"
    assert pixels[0].tolist() == [[255, 0, 0], [0, 255, 0], [0, 0, 255]]


def test_palette_transparency_is_flattened_onto_white() -> None:
    img = Image.new("P", (2, 1))
    img.putpalette([0, 0, 0, 10, 20, 30])
    img.putdata([0, 1])
    pixels, info = decode_image(encode(img, transparency=0), "hole.png", None, None)
    assert info["alpha_flattened"]
    assert pixels[0].tolist() == [[255, 255, 255], [10, 20, 30]]


def test_rgba_is_flattened_onto_white() -> None:
    rgba = np.array([[[0, 0, 0, 0], [10, 20, 30, 255], [0, 0, 0, 128]]], np.uint8)
    pixels, info = decode_image(encode(rgba), "alpha.png", None, None)
    assert info["alpha_flattened"] and info["color_mode"] == "rgb"
    assert pixels[0, 0].tolist() == [255, 255, 255]  # transparent black is white, not black
    assert pixels[0, 1].tolist() == [10, 20, 30]
    assert all(126 <= v <= 128 for v in pixels[0, 2])  # half black on white


def test_grayscale_alpha_stays_grayscale() -> None:
    la = Image.fromarray(np.array([[[0, 0], [90, 255]]], np.uint8), "LA")
    pixels, info = decode_image(encode(la), "la.png", None, None)
    assert info["color_mode"] == "grayscale" and pixels[0, :, 0].tolist() == [255, 90]


def test_one_bit_image_becomes_black_and_white() -> None:
    img = Image.new("1", (2, 1))
    img.putpixel((1, 0), 1)
    pixels, info = decode_image(encode(img), "bits.png", None, None)
    assert info["color_mode"] == "grayscale" and pixels[0, :, 0].tolist() == [0, 255]


def test_jpeg_exif_orientation_is_applied() -> None:
    # 64 wide x 32 tall, dark on the left; orientation 6 means "turn 90 degrees clockwise
    # to view", which puts the left side on top.
    wide = np.full((32, 64), 255, np.uint8)
    wide[:, :32] = 0
    exif = Image.Exif()
    exif[0x0112] = 6
    pixels, info = decode_image(encode(wide, "JPEG", exif=exif), "phone.jpg", None, None)
    assert info["exif_transposed"] and info["original_size"] == [32, 64]
    assert pixels.shape == (64, 32, 1)
    assert pixels[:32].mean() < 30 and pixels[32:].mean() > 225


def test_jpeg_without_orientation_is_not_turned() -> None:
    pixels, info = decode_image(encode(tile(), "JPEG"), "tile.jpg", None, None)
    assert not info["exif_transposed"] and pixels.shape == (28, 28, 1)


def test_cmyk_jpeg_becomes_rgb() -> None:
    img = Image.new("CMYK", (4, 4), (0, 255, 255, 0))  # red in ink
    pixels, info = decode_image(encode(img, "JPEG"), "print.jpg", None, None)
    assert info["original_mode"] == "CMYK" and pixels.shape == (4, 4, 3)
    assert pixels[..., 0].min() > 200 and pixels[..., 1:].max() < 60


def test_gif_gives_its_first_frame() -> None:
    first, second = Image.new("L", (4, 4), 50), Image.new("L", (4, 4), 200)
    data = encode(first, "GIF", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(data)).n_frames == 2
    pixels, info = decode_image(data, "anim.gif", None, "grayscale")
    assert info["format"] == "GIF" and np.all(pixels == 50)


@pytest.mark.parametrize(("fmt", "params"), [("BMP", {}), ("WEBP", {"lossless": True})])
def test_bmp_and_lossless_webp_come_back_exactly(fmt: str, params: dict) -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    pixels, info = decode_image(encode(rgb, fmt, **params), "x", None, None)
    assert info["format"] == fmt and np.array_equal(pixels, rgb)


def test_resize_is_bilinear_to_height_by_width() -> None:
    pixels, info = decode_image(encode(tile()), "tile.png", (14, 7), None)
    assert pixels.shape == (14, 7, 1) and info["resized_to"] == [14, 7]
    expected = Image.fromarray(tile()).resize((7, 14), Image.Resampling.BILINEAR)
    assert np.array_equal(pixels[:, :, 0], np.asarray(expected))


@pytest.mark.parametrize(
    "data",
    [
        b"just some text, renamed to .png",
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n",
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>',
        # a real image, in a format not accepted (made here: parametrize runs at import)
        encode(np.arange(784, dtype=np.uint8).reshape(28, 28), "TIFF"),
        b"",
    ],
    ids=["text", "pdf", "eps", "svg", "tiff", "empty"],
)
def test_non_images_and_other_formats_are_415(data: bytes) -> None:
    with pytest.raises(DatasetError) as caught:
        decode_image(data, "photo.png", None, None)
    assert caught.value.status == 415
    assert "not an image: 'photo.png'" in caught.value.message
    assert "PNG, JPEG, BMP, GIF or WebP" in caught.value.message


@pytest.mark.parametrize("keep", [0.5, 0.02], ids=["half", "header-only"])
def test_truncated_png_is_422(keep: float) -> None:
    data = encode(np.random.default_rng(1).integers(0, 256, (50, 50), dtype=np.uint8))
    with pytest.raises(DatasetError) as caught:
        decode_image(data[: int(len(data) * keep)], "cut.png", None, None)
    assert caught.value.status == 422
    assert "truncated or corrupt image: 'cut.png'" in caught.value.message


def test_bomb_header_is_refused_before_decoding() -> None:
    with pytest.raises(DecompressionBomb) as caught:
        decode_image(png_header(7_000, 7_000), "bomb.png", None, None)
    assert caught.value.status == 422
    assert "header says 7000 x 7000 = 49,000,000 pixels" in caught.value.message
    assert f"{MAX_PIXELS:,}" in caught.value.message


@pytest.mark.parametrize("side", [10_000, 20_000], ids=["pil-warning", "pil-error"])
def test_pil_bomb_warning_and_error_become_422(side: int) -> None:
    # Past PIL's own limits, Image.open itself warns (or raises) before our check can run;
    # the warning must not escape (pytest makes it an error) nor let decoding go on.
    with pytest.raises(DecompressionBomb) as caught:
        decode_image(png_header(side, side), "bomb.png", None, None)
    assert caught.value.status == 422 and "decompression bomb" in caught.value.message


@pytest.mark.parametrize(
    ("size", "mode", "field"),
    [
        ((0, 5), None, "image_size"),
        ((10_000, 10_000), None, "image_size"),
        (None, "cmyk", "color_mode"),
    ],
)
def test_bad_requests_name_their_field(
    size: tuple[int, int] | None, mode: str | None, field: str
) -> None:
    with pytest.raises(DatasetError) as caught:
        decode_image(encode(tile()), "tile.png", size, mode)
    assert caught.value.field == field and "received" in caught.value.message


@cache
def sample(fmt: str) -> bytes:
    return encode(tile(), fmt)


@settings(max_examples=300, deadline=None)
@given(
    fmt=st.sampled_from(["PNG", "JPEG", "GIF", "BMP", "WEBP"]),
    cut=st.integers(min_value=0, max_value=2_000),
    flips=st.lists(st.tuples(st.integers(0, 2_000), st.integers(0, 255)), max_size=4),
)
def test_damaged_files_fail_only_with_dataset_errors(
    fmt: str, cut: int, flips: list[tuple[int, int]]
) -> None:
    data = bytearray(sample(fmt)[: max(cut, 1)])
    for at, value in flips:
        data[at % len(data)] = value
    try:
        pixels, _ = decode_image(bytes(data), "damaged", None, None)
    except DatasetError as error:
        assert error.status in (415, 422)
    else:
        assert pixels.dtype == np.uint8 and pixels.ndim == 3
