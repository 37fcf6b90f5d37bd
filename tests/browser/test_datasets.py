"""Datasets in the browser: a zip of class folders uploaded through the form (with its
progress bar) shows up in the list; its page shows class bars and sample images; refusals
from the server are shown in words."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

CLASSES = ("ring", "bar", "dot")
PER_CLASS = 10


def shape(kind: str, rng: np.random.Generator) -> np.ndarray:
    """A 12x12 grey image of one of three easy shapes, with a little noise."""
    yy, xx = np.mgrid[:12, :12]
    r2 = (yy - 6) ** 2 + (xx - 6) ** 2
    mask = {"ring": (r2 > 9) & (r2 < 25), "bar": abs(xx - 6) < 2, "dot": r2 < 6}[kind]
    return np.clip(mask * 230 + rng.integers(0, 25, (12, 12)), 0, 255).astype(np.uint8)


@pytest.fixture
def shapes_zip(tmp_path: Path) -> Path:
    """One folder per class, as image_dataset_from_directory wants, plus a file to skip."""
    rng = np.random.default_rng(0)
    path = tmp_path / "shapes.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for kind in CLASSES:
            for i in range(PER_CLASS):
                png = io.BytesIO()
                Image.fromarray(shape(kind, rng)).save(png, "PNG")
                archive.writestr(f"{kind}/{i}.png", png.getvalue())
        archive.writestr("ring/readme.txt", "not an image")
    return path


def test_upload_a_zip_and_open_it(page: Page, shapes_zip: Path, shot) -> None:
    page.goto("/datasets")
    page.get_by_test_id("upload-name").fill("shapes (browser test)")
    page.get_by_test_id("upload-files").set_input_files(shapes_zip)
    page.get_by_test_id("upload-submit").click()

    progress = page.get_by_test_id("upload-progress")
    expect(progress).to_be_visible()
    expect(progress).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_test_id("upload-success")).to_contain_text("3 classes")
    expect(page.get_by_test_id("upload-skipped")).to_contain_text("ring/readme.txt")
    link = page.get_by_test_id("dataset-list").get_by_role("link", name="shapes (browser test)")
    expect(link).to_be_visible()
    shot("datasets")

    link.click()
    expect(page.get_by_test_id("dataset-name")).to_have_text("shapes (browser test)")
    expect(page.get_by_test_id("class-bar")).to_have_count(len(CLASSES))
    expect(page.get_by_test_id("class-bars")).to_contain_text("ring")
    samples = page.get_by_test_id("sample-grid").locator("img")
    expect(samples).to_have_count(24)  # 80% of 30 images are in the train split
    assert all(
        src.startswith("data:image/png;base64,")
        for src in samples.evaluate_all("imgs => imgs.map((i) => i.src)")
    )
    expect(page.get_by_test_id("dataset-facts")).to_contain_text("(12, 12, 1)")
    shot("dataset-detail")


def test_upload_refusals_are_shown_in_words(page: Page, shapes_zip: Path) -> None:
    page.goto("/datasets")
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-form")).to_contain_text("Give the dataset a name.")

    page.get_by_test_id("upload-name").fill("bad size")
    page.get_by_test_id("upload-files").set_input_files(shapes_zip)
    page.get_by_text("Options").click()
    page.locator("#image_size").fill("twelve")
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-form")).to_contain_text(
        "Expected image_size as height,width"
    )


def test_deleting_the_built_in_dataset_is_refused_in_words(page: Page) -> None:
    page.goto("/datasets/1")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("delete-dataset").click()
    expect(page.get_by_test_id("dataset-problem")).to_contain_text("built in")
    expect(page).to_have_url(re.compile(r"/datasets/1$"))
