"""Issue 16's walk, as a learner takes it on a fresh server: "Add Fashion-MNIST" on the
datasets page, the tutorial's MLP built against it and trained from the train page, a cell of
the confusion matrix opened, a shoe drawn on the predict page and every layer answering.

The catalog entry holds the 900 real Fashion-MNIST images of ../shared/data's sprite as
IDX files under Fashion-MNIST's own file and class names, served by a local HTTP server
with a test-only checksum table (the real entry's files are not here, and tests never reach
the internet)."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_builder import open_builder
from tests.browser.test_inside import stroke
from tests.helpers.catalog_files import entry, serving, sha256
from tests.helpers.live_server import LiveServer
from tests.helpers.sprite import tiles

pytestmark = pytest.mark.browser
FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot"]  # fmt: skip
TRAINING = 120_000  # ms


def idx(path: Path, array: np.ndarray) -> None:
    """An IDX file as MNIST's are: magic (0, 0, uint8, rank), big-endian sizes, the bytes."""
    head = bytes([0, 0, 8, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    path.write_bytes(gzip.compress(head + array.astype(np.uint8).tobytes()))


def fashion_mirror(root: Path) -> tuple[Path, Path]:
    folder = root / "mirror"
    folder.mkdir(parents=True)
    x, y = tiles()
    test = np.arange(len(x)) % 5 == 0  # 180 of the 900, 18 a class
    files = {
        "train-images-idx3-ubyte.gz": x[~test],
        "train-labels-idx1-ubyte.gz": y[~test],
        "t10k-images-idx3-ubyte.gz": x[test],
        "t10k-labels-idx1-ubyte.gz": y[test],
    }
    for name, array in files.items():
        idx(folder / name, array)
    listed = entry("fashion_sample", "idx", {n: sha256(folder / n) for n in files},
                   class_names=FASHION, title="Fashion-MNIST sample")  # fmt: skip
    catalog = root / "catalog.json"
    catalog.write_text(json.dumps([listed]))
    return folder, catalog


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    folder, catalog = fashion_mirror(tmp_path)
    with serving(folder) as url:
        live = LiveServer(tmp_path / "data", backend="sqlite", WORKERS="1", PREDICTORS="1",
                          DATASETS_MIRROR=url, DATASETS_EXTRA_CATALOG=str(catalog))  # fmt: skip
        yield live.start()
        live.stop()


def test_add_fashion_train_the_mlp_open_a_cell_draw_a_shoe(page: Page, server, shot) -> None:
    url = server.url
    page.goto(f"{url}/datasets")
    page.get_by_test_id("catalog-add-fashion_sample").click()
    expect(page.get_by_test_id("catalog-open-fashion_sample")).to_be_visible(timeout=60_000)
    shot("walk-1-dataset-added")
    dataset = next(d for d in httpx.get(f"{url}/api/datasets").json()["data"]
                   if d["catalog_name"] == "fashion_sample")  # fmt: skip
    assert dataset["class_names"] == FASHION and dataset["input_shape"] == [28, 28]

    # The tutorial's MLP, built against the dataset: the template takes its shape.
    open_builder(page, f"{url}/builder")
    page.get_by_test_id("dataset").select_option(str(dataset["id"]))
    page.get_by_test_id("template-mlp").click()
    expect(page.get_by_test_id("input-shape")).to_have_value("28,28")
    expect(page.locator("#builder .warning")).to_have_count(0)
    page.get_by_test_id("arch-name").fill("Tutorial MLP")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("dirty")).to_be_hidden()
    shot("walk-2-builder")
    architecture = int(page.url.split("architecture=")[1])

    page.goto(f"{url}/train?architecture={architecture}")
    expect(page.get_by_test_id("train-dataset")).to_have_value(str(dataset["id"]))
    page.get_by_test_id("train-epochs").fill("8")
    page.get_by_test_id("train-seed").fill("1")
    page.get_by_test_id("train-start").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"))
    run_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=TRAINING)
    run = httpx.get(f"{url}/api/runs/{run_id}").json()
    assert run["test_metrics"]["accuracy"] > 0.5  # ten classes: chance is 0.1

    # The cell where the model errs most: its test images, the most confident first.
    confusion = run["confusion"]
    t, p = max(((t, p) for t in range(10) for p in range(10) if t != p),
               key=lambda cell: confusion[cell[0]][cell[1]])  # fmt: skip
    page.locator(f'td[data-true="{t}"][data-predicted="{p}"] button').click()
    expect(page.get_by_test_id("examples-title")).to_contain_text(FASHION[t])
    expect(page.get_by_test_id("example")).to_have_count(min(confusion[t][p], 24))
    shot("walk-3-confusion-cell")

    # A shoe drawn on the predict page: every layer answers as the pen rests.
    page.goto(f"{url}/predict?run={run_id}")
    expect(page.get_by_test_id("predict-run")).to_have_value(str(run_id))
    with page.expect_response(lambda r: r.url.endswith("/activations")):
        stroke(page, 0.15, 0.55, 0.85, 0.75)  # a sole
    with page.expect_response(lambda r: r.url.endswith("/activations")):
        stroke(page, 0.2, 0.55, 0.3, 0.3)  # the heel's back
    layers = page.get_by_test_id("activation-layer")
    expect(layers).to_have_count(len(run["stack"]["layers"]))
    expect(layers.last).to_contain_text("(None, 10)")
    expect(layers.last).to_contain_text("the highest: ")
    shot("walk-4-draw-a-shoe")
