"""Decode one untrusted image into a uint8 array, safely.

Uploads are hostile until proven otherwise: the pixel count is checked from the header
before a single pixel is decoded (a 100 kB PNG can declare 50,000 x 50,000 pixels), only the
five everyday formats ever see the bytes (PIL's EPS plugin, for one, runs Ghostscript), and
truncated files are refused rather than padded with grey. Used by the folder-zip parser and
by the prediction endpoint, so every image a model sees was converted the same way.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from app.datasets.base import DatasetError

MAX_PIXELS = 40_000_000  # about 7,000 x 5,700; a 12-megapixel photo fits three times over
ALLOWED_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")
# Phone cameras write multi-picture JPEGs, which PIL's JPEG plugin hands back as "MPO".
_ACCEPTED = {*ALLOWED_FORMATS, "MPO"}
COLOR_MODES = ("grayscale", "rgb")
_WIDE_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N"}  # 16 (or 32) bits per pixel
_GRAY_MODES = {"1", "L", "LA", "La", *_WIDE_MODES}
_ORIENTATION = 0x0112  # EXIF tag: how the camera was held
# warnings.catch_warnings swaps process-wide state; two threads inside it at once can leave
# the other's filters behind for good. Decoding is short, so one at a time is cheap.
_WARNINGS_LOCK = threading.Lock()


class DecompressionBomb(DatasetError):
    """An image that declares more pixels than MAX_PIXELS. Unlike a corrupt image, it is never
    merely skipped: an upload that carries one is refused whole (422)."""


def decode_image(
    data: bytes,
    name: str,
    size: tuple[int, int] | None = None,
    mode: str | None = None,
    matte: str = "white",
    *,
    max_pixels: int = MAX_PIXELS,
    fit: int | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """(H, W, C) uint8 pixels, C = 1 for "grayscale" and 3 for "rgb", and what was done.

    `size` is (height, width) to resize to (bilinear); None keeps the image's own size, or,
    with `fit`, scales it down to at most `fit` pixels a side, keeping its shape. `mode` None
    keeps grayscale images grayscale and makes everything else RGB. `max_pixels` is the most
    the header may declare (MAX_IMAGE_PIXELS), checked before any pixel is decoded.
    """
    _check_request(size, mode)
    with _WARNINGS_LOCK, warnings.catch_warnings(record=True) as caught:
        # PIL warns (rather than raises) between MAX_IMAGE_PIXELS and twice that; a warning
        # would let the decode go on, so it is made an error, here only. Other PIL warnings
        # (odd EXIF, odd palettes) are about the file, not our code: they go into the report.
        warnings.simplefilter("always")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        img, info, size = _open_and_load(data, name, size, max_pixels, fit)
        img = _to_mode(img, mode, info, matte)
        if size is not None and (img.height, img.width) != tuple(size):
            img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            info["resized_to"] = [size[0], size[1]]
    info["warnings"] = [str(w.message) for w in caught]
    pixels = np.asarray(img, dtype=np.uint8)
    if pixels.ndim == 2:
        pixels = pixels[:, :, np.newaxis]
    return pixels, info


def _check_request(size: tuple[int, int] | None, mode: str | None) -> None:
    if mode is not None and mode not in COLOR_MODES:
        raise DatasetError(
            f"color_mode must be 'grayscale' or 'rgb'; received {mode!r}.", field="color_mode"
        )
    if size is not None and (len(size) != 2 or min(size) < 1 or size[0] * size[1] > MAX_PIXELS):
        raise DatasetError(
            f"image_size must be (height, width), both at least 1 and at most {MAX_PIXELS:,} "
            f"pixels in all; received {size!r}.",
            field="image_size",
        )


def _open_and_load(
    data: bytes, name: str, size: tuple[int, int] | None, max_pixels: int, fit: int | None
) -> tuple[Image.Image, dict[str, Any], tuple[int, int] | None]:
    """The decoded image, what was found, and the size to resize it to (if any)."""
    with _decoding(name, max_pixels, _looks_like(data)):
        # `formats` keeps the bytes away from every other decoder PIL has.
        img = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    if img.format not in _ACCEPTED:
        raise DatasetError(f"not an image: {name!r} is {img.format}; {_WANTED}", status=415)
    width, height = img.size
    if width * height > max_pixels:  # Image.open read only the header: nothing decoded yet
        raise DecompressionBomb(
            f"decompression bomb: {name!r} header says {width} x {height} = "
            f"{width * height:,} pixels, over the cap of {max_pixels:,} (the MAX_IMAGE_PIXELS "
            "setting). Scale the image down before uploading it."
        )
    if size is None and fit is not None and max(width, height) > fit:
        scale = fit / max(width, height)
        size = (max(1, round(height * scale)), max(1, round(width * scale)))
    info: dict[str, Any] = {
        "format": img.format,
        "original_size": [height, width],
        "original_mode": img.mode,
        "exif_transposed": False,
        "scaled_16bit": False,
        "alpha_flattened": False,
        "resized_to": None,
    }
    if size is not None and img.format in ("JPEG", "MPO"):
        # JPEG can decode at 1/2, 1/4 or 1/8 scale: a 12-megapixel photo meant for 28x28
        # costs a few ms instead of ~100. The bilinear resize below still sets the size.
        # Rotated photos swap axes, so ask for the larger side both ways.
        side = max(size)
        img.draft(img.mode, (side * 2, side * 2))
    with _decoding(name, max_pixels):
        img.load()  # GIF and WebP: the first frame only
        if img.getexif().get(_ORIENTATION, 1) in range(2, 9):
            ImageOps.exif_transpose(img, in_place=True)
            info["exif_transposed"] = True
    return img, info, size


_WANTED = "upload PNG, JPEG, BMP, GIF or WebP files."
_MAGIC = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF", b"BM": "BMP"}


def _looks_like(data: bytes) -> str | None:
    """The format the first bytes promise, to tell a broken header from a non-image."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next((fmt for magic, fmt in _MAGIC.items() if data.startswith(magic)), None)


@contextmanager
def _decoding(name: str, max_pixels: int, promised: str | None = None) -> Iterator[None]:
    """PIL's errors, as answers to the user. Hostile bytes make PIL's parsers raise nearly
    any exception type, so everything not ours is read as a corrupt file, not a crash."""
    try:
        yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise DecompressionBomb(
            f"decompression bomb: {name!r}: {error} The cap here is {max_pixels:,} pixels "
            "(MAX_IMAGE_PIXELS); scale the image down before uploading it."
        ) from None
    except DatasetError:
        raise
    except UnidentifiedImageError:
        if promised is not None:
            raise DatasetError(
                f"truncated or corrupt image: {name!r} starts like a {promised} file, but its "
                "header could not be read. Open and save it again, or leave it out.",
                status=422,
            ) from None
        raise DatasetError(
            f"not an image: {name!r} is not a PNG, JPEG, BMP, GIF or WebP file that could be "
            f"read; {_WANTED}",
            status=415,
        ) from None
    except Exception as error:
        raise DatasetError(
            f"truncated or corrupt image: {name!r}: {error}. Open and save it again, or leave "
            "it out.",
            status=422,
        ) from None


def _to_mode(
    img: Image.Image, mode: str | None, info: dict[str, Any], matte: str = "white"
) -> Image.Image:
    """An "L" or "RGB" image: 16 bits scaled, palettes expanded, alpha flattened onto
    `matte` (white, as a browser shows it; black for light-on-dark datasets like MNIST)."""
    source = img.mode
    if source in _WIDE_MODES:
        # convert("L") clips 16-bit values at 255, which turns most of a 16-bit image white;
        # keeping the high byte keeps the picture.
        wide = np.asarray(img).astype(np.int64)
        img = Image.fromarray(np.clip(wide >> 8, 0, 255).astype(np.uint8))
        info["scaled_16bit"] = True
    elif source == "1":
        img = img.convert("L")
    elif source in ("P", "L", "RGB") and "transparency" in img.info:
        img = img.convert("LA" if source == "L" else "RGBA")  # a transparent colour -> alpha
    elif source in ("PA", "RGBa"):
        img = img.convert("RGBA")
    elif source == "La":
        img = img.convert("LA")
    elif source not in ("L", "LA", "RGB", "RGBA"):
        img = img.convert("RGB")  # P without transparency, CMYK and YCbCr JPEGs
    if img.mode in ("LA", "RGBA"):
        # Transparent pixels hold arbitrary colours (often black); on white they read as
        # the picture looks in a browser.
        base = img.mode[:-1]
        flat = Image.new(base, img.size, matte)
        flat.paste(img.convert(base), mask=img.getchannel("A"))
        img = flat
        info["alpha_flattened"] = matte
    wanted = mode or ("grayscale" if source in _GRAY_MODES else "rgb")
    info["color_mode"] = wanted
    target = "L" if wanted == "grayscale" else "RGB"
    return img if img.mode == target else img.convert(target)
