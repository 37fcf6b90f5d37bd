"""A file built for one download (an unnamed temporary file: a dataset's .npz, a run's
bundle) sent as an attachment, and closed, so gone, once it is sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from fastapi.responses import StreamingResponse

CHUNK = 1024 * 1024


def temporary_download(file: IO[bytes], filename: str, media_type: str) -> StreamingResponse:
    """`file` from its start, with its length; the caller has built it and no longer owns it."""
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Content-Length": str(file.seek(0, 2)),
    }
    file.seek(0)
    return StreamingResponse(_read(file), media_type=media_type, headers=headers)


def _read(file: IO[bytes]) -> Iterator[bytes]:
    with file:
        while data := file.read(CHUNK):
            yield data
