"""Fetching catalog files (app.datasets.catalog_download): from a URL or a folder, hashed as
they stream, capped in size, and a server that does not answer HEAD still works."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.datasets import catalog_download as download
from app.datasets.catalog_sources import CatalogFile
from app.errors import Unavailable
from tests.helpers.catalog_files import T10K_LABELS_SHA256, serving, t10k_files

LABELS = "t10k-labels-idx1-ubyte.gz"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    files = tmp_path / "files"
    files.mkdir()
    t10k_files(files)
    return files


def never() -> bool:
    return False


def labels(max_bytes: int = 1 << 20, sha256: str = T10K_LABELS_SHA256) -> CatalogFile:
    return CatalogFile(LABELS, sha256, max_bytes)


def test_a_folder_mirror_file_is_copied_and_checked(folder: Path, tmp_path: Path) -> None:
    seen: list[int] = []
    got = download.fetch(download.Source(str(folder), True), labels(), tmp_path, seen.append, never)
    download.check_sha256(got)
    assert got.path.read_bytes() == (folder / LABELS).read_bytes() and sum(seen) == got.size


def test_a_file_larger_than_its_cap_is_stopped_and_removed(folder: Path, tmp_path: Path) -> None:
    with serving(folder) as url, pytest.raises(download.BadDownload, match="larger than 1,000"):
        download.fetch(download.Source(url, False), labels(1000), tmp_path, lambda n: None, never)
    assert not (tmp_path / LABELS).exists()


def test_a_wrong_checksum_removes_the_file(folder: Path, tmp_path: Path) -> None:
    source = download.Source(str(folder), True)
    got = download.fetch(source, labels(sha256="0" * 64), tmp_path, lambda n: None, never)
    with pytest.raises(download.BadDownload, match="truncated or altered"):
        download.check_sha256(got)
    assert not got.path.exists()


def test_a_server_without_head_still_serves(folder: Path, tmp_path: Path) -> None:
    with serving(folder, no_head=True) as url:
        source = download.Source(url, False)
        assert download.total_bytes(source, (labels(),)) is None
        got = download.fetch(source, labels(), tmp_path, lambda n: None, never)
        download.check_sha256(got)


def test_a_missing_file_on_a_server_is_a_502_naming_it(folder: Path) -> None:
    with serving(folder) as url, pytest.raises(download.BadDownload, match="answered 404"):
        download.total_bytes(download.Source(url, False), (CatalogFile("nope.gz", "0" * 64, 1),))


def test_a_missing_file_in_a_mirror_folder_is_a_503(folder: Path) -> None:
    with pytest.raises(Unavailable, match=r"has no file nope\.gz"):
        download.total_bytes(
            download.Source(str(folder), True), (CatalogFile("nope.gz", "0" * 64, 1),)
        )
