"""Tutorial datasets in the browser (issue 16): the Add button on the datasets page starts the
download, the card shows its stage and a progress bar while it polls, and the dataset appears
in the list (fetched again by htmx) with a link to it. The files are the real MNIST t10k
files from ../shared/data, served by a slowed-down local HTTP server (never the internet)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.helpers.catalog_files import Mirror, make_mirror, serving
from tests.helpers.live_server import LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture
def mirror(tmp_path: Path) -> Mirror:
    return make_mirror(tmp_path / "files")


@pytest.fixture
def server(tmp_path: Path, mirror: Mirror) -> Iterator[LiveServer]:
    with serving(mirror.folder, pause_s=0.1) as url:  # ~5 s: several 1 s polls see it download
        env = {"DATASETS_MIRROR": url, "DATASETS_EXTRA_CATALOG": str(mirror.catalog)}
        live = LiveServer(tmp_path / "data", backend="sqlite", **env)
        yield live.start()
        live.stop()


def test_add_button_shows_progress_then_the_dataset(page: Page, server: LiveServer, shot) -> None:
    page.goto(f"{server.url}/datasets")
    for title in ("MNIST", "Fashion-MNIST", "CIFAR-10"):
        expect(page.get_by_role("button", name=f"Add {title}", exact=True)).to_be_visible()
    page.get_by_test_id("catalog-add-digits_t10k").click()
    expect(page.get_by_test_id("catalog-progress-digits_t10k")).to_be_visible()
    expect(page.get_by_test_id("catalog-stage-digits_t10k")).to_contain_text("Downloading")
    shot("catalog-progress")
    opened = page.get_by_test_id("catalog-open-digits_t10k")
    expect(opened).to_be_visible(timeout=30_000)
    row = page.locator("#dataset-rows tr.new")
    expect(row).to_contain_text("Digits T10K")
    expect(row).to_contain_text("tutorial")
    expect(row).to_contain_text("10,000")
    shot("catalog-added")
    opened.click()
    expect(page.locator("h1")).to_contain_text("Digits T10K")


def test_no_network_is_said_under_the_button(page: Page, tmp_path: Path) -> None:
    live = LiveServer(tmp_path / "data", backend="sqlite", DATASETS_MIRROR="http://127.0.0.1:9/")
    live.start()
    try:
        page.goto(f"{live.url}/datasets")
        page.get_by_test_id("catalog-add-fashion_mnist").click()
        error = page.get_by_test_id("catalog-error-fashion_mnist")
        expect(error).to_contain_text("DATASETS_MIRROR")
        expect(page.get_by_test_id("catalog-add-fashion_mnist")).to_be_enabled()
    finally:
        live.stop()
