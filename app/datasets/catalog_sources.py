"""The tutorial catalog: which datasets can be added with one click, the files Keras's own
`load_data()` downloads for each, where from, and the SHA-256 every file must have.

Addresses and hashes are those of keras/src/datasets/{mnist,fashion_mnist,cifar10}.py:
- mnist.npz and cifar-10-python.tar.gz: the `file_hash` Keras passes to `get_file` (SHA-256).
- Fashion-MNIST: Keras 3.15 (the version installed here) downloads the four files with no
  hash; Keras's current source (keras-team/keras, keras/src/datasets/fashion_mnist.py,
  FILE_HASHES) lists the SHA-256 values below, and independent loaders' checksum tables
  give the same values (several beside the MD5 values Zalando publishes in its README).
  Nothing is computed at run time: a file is used only if it hashes to the value written
  here.

A mirror (the DATASETS_MIRROR setting) holds the same file names, so one table serves both.
Tests add entries of their own (`extra_entries`, the DATASETS_EXTRA_CATALOG setting); an extra
entry can never replace one of these.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.models.enums import DatasetFormat

KERAS_BUCKET = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
TORONTO = "https://www.cs.toronto.edu/~kriz/"
# The python pickles inside cifar-10-python.tar.gz, read by app/datasets/catalog_cifar.py.
CIFAR: Literal["cifar"] = "cifar"
Kind = DatasetFormat | Literal["cifar"]  # how the files are read
SHA256 = re.compile(r"^[0-9a-f]{64}$")
NAME = re.compile(r"^[a-z0-9_]{1,50}$")


@dataclass(frozen=True)
class CatalogFile:
    name: str  # the file name, at the origin and in a mirror
    sha256: str  # what the file must hash to before anything reads it
    max_bytes: int  # a download that grows past this is stopped (a server sending forever)


@dataclass(frozen=True)
class CatalogEntry:
    name: str  # what POST /api/datasets/catalog takes: "mnist"
    title: str  # the dataset's name once added: "MNIST"
    description: str
    kind: Kind  # how the files are read
    origin: str  # the canonical folder (URL ending in /) the files are downloaded from
    files: tuple[CatalogFile, ...]
    class_names: tuple[str, ...]
    # CIFAR-style archives: samples per batch file (the budgets are checked from these
    # counts before anything is allocated; each batch must hold exactly this many).
    batch_size: int = 10_000

    @property
    def approx_bytes(self) -> int:
        return sum(f.max_bytes for f in self.files)


DIGITS = tuple(str(i) for i in range(10))
FASHION = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
CIFAR10 = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
MIB = 1024 * 1024

CATALOG: dict[str, CatalogEntry] = {
    "mnist": CatalogEntry(
        name="mnist",
        title="MNIST",
        description="70,000 handwritten digits, 28x28 grayscale (60,000 train / 10,000 test).",
        kind=DatasetFormat.NPZ,
        origin=KERAS_BUCKET,
        files=(
            CatalogFile(
                "mnist.npz",
                "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
                12 * MIB,
            ),
        ),
        class_names=DIGITS,
    ),
    "fashion_mnist": CatalogEntry(
        name="fashion_mnist",
        title="Fashion-MNIST",
        description="70,000 clothing images in 10 classes, 28x28 grayscale "
        "(60,000 train / 10,000 test).",
        kind=DatasetFormat.IDX,
        origin=KERAS_BUCKET,
        files=(
            CatalogFile(
                "train-labels-idx1-ubyte.gz",
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                1 * MIB,
            ),
            CatalogFile(
                "train-images-idx3-ubyte.gz",
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                30 * MIB,
            ),
            CatalogFile(
                "t10k-labels-idx1-ubyte.gz",
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                1 * MIB,
            ),
            CatalogFile(
                "t10k-images-idx3-ubyte.gz",
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                6 * MIB,
            ),
        ),
        class_names=FASHION,
    ),
    "cifar10": CatalogEntry(
        name="cifar10",
        title="CIFAR-10",
        description="60,000 colour photos in 10 classes, 32x32 RGB (50,000 train / 10,000 test).",
        kind=CIFAR,
        origin=TORONTO,
        files=(
            CatalogFile(
                "cifar-10-python.tar.gz",
                "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                180 * MIB,
            ),
        ),
        class_names=CIFAR10,
    ),
}


def entries(extra: Path | None = None) -> dict[str, CatalogEntry]:
    """The catalog, plus the entries of an extra JSON file (tests: DATASETS_EXTRA_CATALOG)."""
    found = dict(CATALOG)
    for name, entry in (extra_entries(extra) if extra else {}).items():
        found.setdefault(name, entry)  # never in place of a real entry
    return found


def extra_entries(path: Path) -> dict[str, CatalogEntry]:
    """Entries from a JSON list of {name, title, description, kind, files: [{name, sha256,
    max_bytes}], class_names, batch_size?}; the origin is always the mirror."""
    found = {}
    for item in json.loads(path.read_text()):
        files = tuple(
            CatalogFile(f["name"], f["sha256"], int(f["max_bytes"])) for f in item["files"]
        )
        if not NAME.match(item["name"]) or not all(SHA256.match(f.sha256) for f in files):
            raise ValueError(f"{path}: entry {item.get('name')!r} has a bad name or SHA-256")
        entry = CatalogEntry(
            name=item["name"],
            title=item["title"],
            description=item.get("description", ""),
            kind=CIFAR if item["kind"] == CIFAR else DatasetFormat(item["kind"]),
            origin="",  # no canonical address: only DATASETS_MIRROR serves it
            files=files,
            class_names=tuple(item["class_names"]),
            batch_size=int(item.get("batch_size", 10_000)),
        )
        found[entry.name] = entry
    return found
