"""MAX_CLASSES: labels or class folders past the limit are refused with a 422 that names the
file, the value, the limit and the setting, before any class list is made and with nothing
left behind; at the limit they import. The same for labels that are not class indices at all
(negative, 1e18), in every format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.helpers.uploads import class_zip, csv_bytes, npz_bytes, post

CAP = 4  # MAX_CLASSES in these tests: small, so a dataset at the limit is quick to build
PER_CLASS = 3


@pytest.fixture
def capped(tmp_path: Path, backend) -> Iterator[tuple[TestClient, Settings]]:
    settings = Settings(data_dir=tmp_path / "data", workers=0, predictors=0, max_classes=CAP)
    with TestClient(create_app(settings)) as test_client:
        yield test_client, settings


def spread(labels: list) -> list:
    """Every label PER_CLASS times, so every class is in both splits."""
    return [label for label in labels for _ in range(PER_CLASS)]


def csv_upload(labels: list) -> list[tuple[str, bytes]]:
    return [("labels.csv", csv_bytes(["label,a,b", *(f"{v},1,2" for v in spread(labels))]))]


def npz_upload(labels: list) -> list[tuple[str, bytes]]:
    y = np.array(spread(labels))
    return [("data.npz", npz_bytes(x=np.zeros((len(y), 2), np.uint8), y=y))]


def idx_upload(labels: list[int]) -> list[tuple[str, bytes]]:
    y = bytes(spread(labels))
    images = b"".join(d.to_bytes(4, "big") for d in (2051, len(y), 2, 2)) + bytes(4 * len(y))
    labels_file = b"".join(d.to_bytes(4, "big") for d in (2049, len(y))) + y
    return [("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels_file)]


def zip_upload(classes: int) -> list[tuple[str, bytes]]:
    return [("classes.zip", class_zip(classes=classes, per_class=PER_CLASS))]


def refusal(client: TestClient, settings: Settings, files, **form: str) -> str:
    """The 422's message, after checking that no row and no file is left."""
    response = post(client, files, **form)
    assert response.status_code == 422, response.text
    assert client.get("/api/datasets").json()["count"] == 1  # the built-in digits only
    root = settings.data_dir
    assert not [p for p in (root / "tmp").rglob("*")] if (root / "tmp").exists() else True
    assert [p.name for p in (root / "datasets").iterdir()] == ["1"]
    return response.json()["detail"][0]["msg"]


def assert_names_the_limit(message: str, *words: str) -> None:
    for word in (*words, "MAX_CLASSES", f"{CAP:,} classes"):
        assert word in message, (word, message)


OVER = [
    ("csv-number", csv_upload([0, 1, 2, CAP]), ["labels.csv", "column label", f"'{CAP}'"]),
    ("csv-words", csv_upload(["a", "b", "c", "d", "e"]), ["labels.csv", "5 different labels"]),
    ("npz-number", npz_upload([0, 1, 2, CAP]), ['"y" in "data.npz"', f"label {CAP}"]),
    ("npz-strings", npz_upload(["a", "b", "c", "d", "e"]), ['"y" in "data.npz"', "5 different"]),
    ("idx", idx_upload([0, 1, 2, CAP]), ['"train-labels-idx1-ubyte"', f"label {CAP}"]),
    ("zip", zip_upload(CAP + 1), ["'classes.zip'", f"{CAP + 1} class folders"]),
]


@pytest.mark.parametrize(("files", "words"), [o[1:] for o in OVER], ids=[o[0] for o in OVER])
def test_over_the_limit_is_422_naming_it_and_leaves_nothing(capped, files, words):
    assert_names_the_limit(refusal(*capped, files), *words)


AT = [
    ("csv-number", csv_upload(list(range(CAP)))),
    ("csv-words", csv_upload(["a", "b", "c", "d"])),
    ("npz-number", npz_upload(list(range(CAP)))),
    ("npz-strings", npz_upload(["a", "b", "c", "d"])),
    ("idx", idx_upload(list(range(CAP)))),
    ("zip", zip_upload(CAP)),
]


@pytest.mark.parametrize("files", [a[1] for a in AT], ids=[a[0] for a in AT])
def test_at_the_limit_imports(capped, files):
    client, _ = capped
    response = post(client, files)
    assert response.status_code == 201, response.text
    assert len(response.json()["class_names"]) == CAP


def test_a_csv_stops_collecting_labels_long_before_memory_fills(capped):
    """Labels are gathered as text while the file is read: far too many stop the read."""
    files = [("many.csv", csv_bytes(["label,a", *(f"{i},1" for i in range(200_000))]))]
    message = refusal(*capped, files)
    assert_names_the_limit(message, "many.csv", "column label", "different labels")


def test_more_class_names_than_the_limit_are_refused(capped):
    names = ",".join("abcde")
    message = refusal(*capped, csv_upload([0, 1]), class_names=names)
    assert_names_the_limit(message, "class_names", "5 names")


def test_one_large_label_makes_no_million_classes(client, settings):
    """The issue's 21-byte file: 3,000,001 classes before, a 422 under the default limit."""
    files = [("big.csv", b"label,a\n0,1\n3000000,2\n")]
    message = refusal(client, settings, files)
    assert "'3000000'" in message and "1,000 classes" in message and "MAX_CLASSES" in message


NOT_INDICES = [
    ("csv-negative", csv_upload([0, -1]), ["line", "'-1'"]),
    ("csv-1e18", csv_upload([0, "1e18"]), ["line", "'1e18'", "MAX_CLASSES"]),
    ("csv-huge-integer", csv_upload([0, 10**30]), ["line", str(10**30), "MAX_CLASSES"]),
    ("npz-negative", npz_upload([0, -1]), ["label -1"]),
    ("npz-1e18-float", npz_upload([0.0, 1e18]), ["1e+18", "MAX_CLASSES"]),
    ("npz-1e18-int", npz_upload([0, 10**18]), [str(10**18), "MAX_CLASSES"]),
    ("npz-uint64-max", npz_upload([np.uint64(0), np.uint64(2**64 - 1)]), [str(2**64 - 1)]),
]


@pytest.mark.parametrize(
    ("files", "words"), [n[1:] for n in NOT_INDICES], ids=[n[0] for n in NOT_INDICES]
)
def test_labels_that_are_not_class_indices_are_422(client, settings, files, words):
    message = refusal(client, settings, files)
    for word in words:
        assert word in message, (word, message)
