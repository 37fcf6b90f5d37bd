"""Upload progress: a file wrapper that counts the bytes httpx reads from it."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

Progress = Callable[[int, int], None]  # (bytes sent, bytes in all)


class ProgressReader:
    """Counts bytes read through any of the files it wrapped, across all of them."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total, self.sent, self.progress = total, 0, progress

    def wrap(self, file: IO[bytes]) -> _Counted:
        return _Counted(file, self)

    def count(self, n: int) -> None:
        self.sent += n
        if self.progress is not None:
            self.progress(self.sent, self.total)


class _Counted:
    def __init__(self, file: IO[bytes], reader: ProgressReader) -> None:
        self.file, self.reader = file, reader

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.reader.count(len(data))
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        return self.file.tell()

    @property
    def name(self) -> str:
        return getattr(self.file, "name", "")
