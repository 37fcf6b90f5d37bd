"""Test images: any array or PIL image encoded as a file, PNG headers made to measure
(including ones that lie about their size), and the real MNIST test files."""

from __future__ import annotations

import gzip
import io
import struct
import zlib
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

from tests.helpers.paths import shared_file

MNIST_IMAGES = "t10k-images-idx3-ubyte.gz"
MNIST_LABELS = "t10k-labels-idx1-ubyte.gz"


def mnist_file(name: str) -> Path:
    """One of the real MNIST test files (a skip that says so when ../shared lacks it)."""
    return shared_file(f"data/mnist/{name}")


@cache
def mnist_images() -> np.ndarray:
    """All 10,000 real MNIST test images, (10000, 28, 28) uint8 (read-only: shared)."""
    raw = gzip.decompress(mnist_file(MNIST_IMAGES).read_bytes())
    return np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 28, 28)


def encode(pixels: np.ndarray | Image.Image, fmt: str = "PNG", **params: object) -> bytes:
    img = pixels if isinstance(pixels, Image.Image) else Image.fromarray(pixels)
    buffer = io.BytesIO()
    img.save(buffer, fmt, **params)
    return buffer.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares width x height 8-bit grey pixels and holds none: a decompression
    bomb's header for a few dozen bytes, without building the bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )
