"""Fetching a catalog file: from its canonical address, a DATASETS_MIRROR URL prefix, or a
mirror folder, into a work file, hashing while it streams. A file is used only once its
SHA-256 equals the catalog's value.

No network never hangs: connecting gives up after CONNECT_TIMEOUT_S and a transfer that stalls
for READ_TIMEOUT_S is abandoned; both answer 503 naming DATASETS_MIRROR. A file that arrives
truncated or altered is a 502: the server acted for the client as a gateway to the data's
source, and the source (or the mirror) sent a bad file; the request itself was fine (not 422).
"""

from __future__ import annotations

import hashlib
import http.client
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from app.datasets.catalog_sources import CatalogEntry, CatalogFile
from app.errors import ServiceError, Unavailable

# A few seconds: a reachable server answers a connect in well under one; a classroom without
# network should hear so at once, not after the OS's two-minute TCP timeout.
CONNECT_TIMEOUT_S = 5.0
# The longest silence tolerated within a transfer (a slow but live link keeps sending).
READ_TIMEOUT_S = 20.0
CHUNK = 1024 * 1024
USER_AGENT = "Layerstack (tutorial datasets)"
MIRROR_HINT = (
    "Set DATASETS_MIRROR to a folder (or an http(s) URL prefix) that holds the same file "
    "names, for offline or classroom use."
)


class BadDownload(ServiceError):
    """The source sent a file that is not the one the catalog names (truncated, altered, an
    error page): 502, nothing of it kept. `status_code`: the source's HTTP status, if any."""

    status = 502

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class Stopped(Exception):
    """The server is stopping: the download ends, its work files are removed."""


@dataclass(frozen=True)
class Source:
    """Where a catalog's files come from: `base` is a URL prefix or a folder."""

    base: str
    is_folder: bool

    def where(self, file: CatalogFile) -> str:
        if self.is_folder:
            return str(Path(self.base) / file.name)
        return self.base + quote(file.name)


def source_for(entry: CatalogEntry, mirror: str | None) -> Source:
    """The mirror when one is set (URL prefix or folder), else the entry's canonical origin."""
    if mirror:
        if mirror.startswith(("http://", "https://")):
            return Source(mirror if mirror.endswith("/") else mirror + "/", False)
        return Source(mirror, True)
    if not entry.origin:
        raise Unavailable(f"{entry.title} is served only from a mirror. {MIRROR_HINT}")
    return Source(entry.origin, False)


class _Connection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()  # within `timeout`: CONNECT_TIMEOUT_S
        self.sock.settimeout(READ_TIMEOUT_S)


class _TlsConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()  # TCP and the TLS handshake, within CONNECT_TIMEOUT_S
        self.sock.settimeout(READ_TIMEOUT_S)


class _Http(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_Connection, req)


class _Https(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_TlsConnection, req)


_opener = urllib.request.build_opener(_Http, _Https)  # proxies from the environment still apply


def _unreachable(where: str, error: BaseException) -> Unavailable:
    reason = getattr(error, "reason", None) or error
    return Unavailable(
        f"Could not download {where}: {reason}. The server has no network access to it, or it "
        f"is down. {MIRROR_HINT}",
        {"Retry-After": "30"},
    )


def _open(url: str, method: str = "GET") -> http.client.HTTPResponse:
    request = urllib.request.Request(url, method=method, headers={"User-Agent": USER_AGENT})
    try:
        response: http.client.HTTPResponse = _opener.open(request, timeout=CONNECT_TIMEOUT_S)
    except urllib.error.HTTPError as error:
        error.close()
        raise BadDownload(
            f"{url} answered {error.code} {error.reason}; the file is not there. {MIRROR_HINT}",
            error.code,
        ) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        raise _unreachable(url, error) from None
    return response


def total_bytes(source: Source, files: tuple[CatalogFile, ...]) -> int | None:
    """Before any download: every file is there (a HEAD for each, a stat in a folder), and
    their total size where the server says it. Unreachable: 503 at once."""
    total: int | None = 0
    for file in files:
        where = source.where(file)
        if source.is_folder:
            path = Path(where)
            if not path.is_file():
                raise Unavailable(
                    f"DATASETS_MIRROR={source.base} has no file {file.name}. Copy the "
                    f"catalog's files into that folder under their own names, or unset "
                    f"DATASETS_MIRROR to download them from their canonical addresses."
                )
            size: int | None = path.stat().st_size
        else:
            size = _head_size(where)
        total = None if total is None or size is None else total + size
    return total


@dataclass(frozen=True)
class Downloaded:
    file: CatalogFile
    path: Path
    where: str  # the URL or mirror path it came from, for messages
    sha256: str  # what it hashed to while it streamed
    size: int


def _head_size(url: str) -> int | None:
    """The file's size from a HEAD request; None when the server does not say (or does not
    answer HEAD: the download then finds out)."""
    try:
        response = _open(url, "HEAD")
    except BadDownload as error:
        if error.status_code in (405, 501):  # HEAD not allowed or not implemented
            return None
        raise
    with response:
        length = response.headers.get("Content-Length")
        return int(length) if length and length.isdigit() else None


def fetch(
    source: Source,
    file: CatalogFile,
    into: Path,
    progress: Callable[[int], None],
    stopping: Callable[[], bool],
) -> Downloaded:
    """Download one file to `into/<name>`, hashing it as it streams; `progress(n)` hears of
    each chunk's bytes. Not yet checked: see `check_sha256`. On any failure the file goes."""
    target, where = into / file.name, source.where(file)
    digest, size = hashlib.sha256(), 0
    try:
        with _reader(source, file) as stream, target.open("wb") as out:
            while chunk := _read(stream, where, size):
                if stopping():
                    raise Stopped
                size += len(chunk)
                if size > file.max_bytes:
                    raise BadDownload(
                        f"{where} is larger than {file.max_bytes:,} bytes, far more than "
                        f"{file.name} is: it is not that file. Nothing was kept."
                    )
                digest.update(chunk)
                out.write(chunk)
                progress(len(chunk))
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return Downloaded(file, target, where, digest.hexdigest(), size)


def _read(stream: BinaryIO, where: str, size: int) -> bytes:
    try:
        return stream.read(CHUNK)
    except http.client.IncompleteRead as error:
        raise BadDownload(
            f"{where} ended after {size + len(error.partial):,} bytes, before its end: the "
            f"transfer was cut. Nothing was kept; try again."
        ) from None
    except OSError as error:  # a stall past READ_TIMEOUT_S, a reset connection
        raise _unreachable(where, error) from None


def check_sha256(got: Downloaded) -> None:
    """Before anything reads it: the file is the one the catalog names, byte for byte."""
    if got.sha256 != got.file.sha256:
        got.path.unlink(missing_ok=True)
        raise BadDownload(
            f"{got.where} ({got.size:,} bytes) has SHA-256 {got.sha256}, but {got.file.name} "
            f"must have {got.file.sha256}: the file is truncated or altered, so it was not "
            f"used and nothing was kept. Try again; if a mirror serves it, replace its copy."
        )


def _reader(source: Source, file: CatalogFile) -> BinaryIO:
    if source.is_folder:
        return Path(source.where(file)).open("rb")
    return _open(source.where(file))
