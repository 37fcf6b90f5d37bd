"""The tutorial catalog's table (app.datasets.catalog_sources): the files and hashes Keras's
load_data() uses, the class names, and extra entries that can never replace a real one."""

from __future__ import annotations

import json
from pathlib import Path

from app.datasets.catalog_sources import CATALOG, FASHION, entries


def test_the_three_tutorial_datasets_and_their_files() -> None:
    files = {name: [f.name for f in entry.files] for name, entry in CATALOG.items()}
    assert files == {
        "mnist": ["mnist.npz"],
        "fashion_mnist": [
            "train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
        ],
        "cifar10": ["cifar-10-python.tar.gz"],
    }  # fmt: skip
    assert CATALOG["cifar10"].origin == "https://www.cs.toronto.edu/~kriz/"
    assert CATALOG["mnist"].origin == "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    # keras/src/datasets/mnist.py's and cifar10.py's file_hash
    assert CATALOG["mnist"].files[0].sha256.startswith("731c5ac6")
    assert CATALOG["cifar10"].files[0].sha256.startswith("6d958be0")


def test_class_names_are_the_datasets_own() -> None:
    assert FASHION[0] == "T-shirt/top" and FASHION[-1] == "Ankle boot" and len(FASHION) == 10
    assert CATALOG["cifar10"].class_names[0] == "airplane"
    assert CATALOG["cifar10"].class_names[-1] == "truck"
    assert CATALOG["mnist"].class_names == tuple("0123456789")


def test_an_extra_entry_never_replaces_a_real_one(tmp_path: Path) -> None:
    fake = {
        "name": "mnist", "title": "Fake", "kind": "npz", "class_names": ["a", "b"],
        "files": [{"name": "mnist.npz", "sha256": "0" * 64, "max_bytes": 10}],
    }  # fmt: skip
    path = tmp_path / "extra.json"
    path.write_text(json.dumps([fake, {**fake, "name": "other"}]))
    found = entries(path)
    assert found["mnist"] is CATALOG["mnist"] and found["other"].title == "Fake"
    assert found["other"].origin == ""  # served from DATASETS_MIRROR only
