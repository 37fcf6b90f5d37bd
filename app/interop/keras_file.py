"""A .keras file is a zip; its architecture is config.json. Read that one entry, with caps,
and nothing else (no weights, no code, never Keras's loader)."""

from __future__ import annotations

import io
import zipfile

from app.interop.keras_json import KerasJsonError

MAX_CONFIG_BYTES = 1_000_000
MAX_ENTRIES = 64  # a .keras file holds a handful: config.json, metadata.json, weights


def read_keras_config(data: bytes, name: str) -> str:
    """config.json's text, or KerasJsonError naming the file and what is wrong."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise KerasJsonError(f"{name!r} is not a .keras file (not a zip archive).") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ENTRIES:
            raise KerasJsonError(
                f"{name!r} has {len(entries)} entries; a .keras file has a few. Refused."
            )
        info = next((e for e in entries if e.filename == "config.json"), None)
        if info is None:
            found = ", ".join(e.filename for e in entries[:5]) or "nothing"
            raise KerasJsonError(
                f"{name!r} has no config.json (found {found}); is it a Keras 3 "
                f".keras file? Legacy .h5 files are not read."
            )
        if info.file_size > MAX_CONFIG_BYTES:
            raise KerasJsonError(
                f"{name!r}: config.json is {info.file_size:,} bytes, over the "
                f"cap of {MAX_CONFIG_BYTES:,}."
            )
        with archive.open(info) as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)  # never trust the declared size
        if len(raw) > MAX_CONFIG_BYTES:
            raise KerasJsonError(f"{name!r}: config.json is larger than it declares. Refused.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise KerasJsonError(f"{name!r}: config.json is not UTF-8 text.") from None
