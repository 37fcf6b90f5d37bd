"""Uploaded images are decoded off the event loop, in a small thread pool with a bounded
queue: one request full of large images must never freeze every other request (a 6300x6300
PNG takes about half a second to decode). When the queue is full the answer is 503 with
Retry-After, at once, rather than a pile-up."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from PIL import Image, UnidentifiedImageError

from app.datasets.images import ALLOWED_FORMATS
from app.errors import Unavailable

T = TypeVar("T")
RETRY_AFTER_S = 1


class DecodePool:
    def __init__(self, threads: int, queue: int) -> None:
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="decode")
        self.queue = queue
        self.busy = 0  # tasks running or waiting; only ever changed on the event loop

    async def run(self, work: Callable[..., T], *args: object) -> T:
        if self.busy >= self.queue:
            raise Unavailable(
                f"The server is decoding {self.busy} images already (DECODE_QUEUE="
                f"{self.queue}); try again in a moment.",
                {"Retry-After": str(RETRY_AFTER_S)},
            )
        self.busy += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self.executor, work, *args)
        finally:
            self.busy -= 1

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def declared_pixels(data: bytes) -> int:
    """Pixels an image's header declares (nothing is decoded); 0 when it is not an image we
    read, which the decoder then reports in words."""
    try:
        with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as img:
            return int(img.size[0] * img.size[1])
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return 0
