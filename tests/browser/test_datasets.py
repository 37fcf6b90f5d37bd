"""Datasets in the browser: a zip of class folders uploaded through the form (with its
progress bar) shows up in the list (fetched again by htmx); its page, rendered on the server,
shows class bars and sample images (a fragment per split); delete works from a row and from
the dataset's page; refusals from the server are shown in words."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import httpx
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


def test_an_upload_with_nothing_skipped_shows_only_its_success(
    page: Page, shapes_zip: Path, tmp_path: Path
) -> None:
    """No warning to show must leave nothing behind (it once left a stray "null" line)."""
    clean = tmp_path / "clean.zip"
    with zipfile.ZipFile(shapes_zip) as source, zipfile.ZipFile(clean, "w") as archive:
        for name in source.namelist():
            if name.endswith(".png"):
                archive.writestr(name, source.read(name))
    page.goto("/datasets")
    page.get_by_test_id("upload-name").fill("shapes, nothing skipped")
    page.get_by_test_id("upload-files").set_input_files(clean)
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-success")).to_contain_text("3 classes")
    result = page.locator("#upload-result")
    expect(result).to_have_text(page.get_by_test_id("upload-success").inner_text())
    expect(result).not_to_contain_text("null")
    expect(page.get_by_test_id("upload-skipped")).to_have_count(0)


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
    expect(page.locator("#dataset-rows tr.new")).to_contain_text("shapes (browser test)")
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

    page.get_by_test_id("sample-split").select_option("test")
    expect(page.get_by_test_id("sample-grid").get_by_test_id("samples-test")).to_be_visible()
    expect(samples).to_have_count(6)  # and 20% in the test split


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


def upload(base_url: str, path: Path, name: str) -> dict:
    files = [("files", (path.name, path.read_bytes()))]
    answer = httpx.post(f"{base_url}/api/datasets", data={"name": name}, files=files, timeout=60)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_the_built_in_dataset_has_no_delete_button(page: Page) -> None:
    page.goto("/datasets")
    expect(page.get_by_test_id("dataset-row-1")).to_contain_text("built in")
    expect(page.get_by_test_id("dataset-row-1").get_by_role("button")).to_have_count(0)
    page.goto("/datasets/1")
    expect(page.get_by_test_id("delete-dataset")).to_have_count(0)
    expect(page.get_by_test_id("dataset-builtin")).to_contain_text("cannot be deleted")


def test_deleting_a_dataset_in_use_is_refused_in_words(
    page: Page, base_url: str, shapes_zip: Path
) -> None:
    dataset = upload(base_url, shapes_zip, "shapes in use")
    stack = {
        "input_shape": [12, 12, 1],
        "layers": [
            {"type": "Flatten"},
            {"type": "Dense", "args": {"units": 3, "activation": "softmax"}},
        ],
        "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy"},
    }
    body = {
        "architecture": stack,
        "dataset_id": dataset["id"],
        "fit": {"epochs": 1000, "batch_size": 1},
    }
    run = httpx.post(f"{base_url}/api/runs", json=body).json()
    try:
        page.goto(f"/datasets/{dataset['id']}")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_test_id("delete-dataset").click()
        expect(page.locator("#flash")).to_contain_text(f"in use by run(s) {run['id']}")
        expect(page).to_have_url(re.compile(rf"/datasets/{dataset['id']}$"))
    finally:
        httpx.post(f"{base_url}/api/runs/{run['id']}/cancel")


def test_delete_from_the_list_and_from_the_dataset_page(
    page: Page, base_url: str, shapes_zip: Path
) -> None:
    from_row = upload(base_url, shapes_zip, "delete me from the list")
    from_page = upload(base_url, shapes_zip, "delete me from my page")
    page.goto("/datasets")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id(f"delete-dataset-{from_row['id']}").click()
    expect(page.get_by_test_id(f"dataset-row-{from_row['id']}")).to_have_count(0)
    expect(page.locator("#flash")).to_contain_text("Deleted “delete me from the list”.")
    expect(page.get_by_test_id(f"dataset-row-{from_page['id']}")).to_be_visible()

    page.goto(f"/datasets/{from_page['id']}")
    page.get_by_test_id("delete-dataset").click()
    expect(page).to_have_url(re.compile(r"/datasets$"))
    expect(page.get_by_test_id(f"dataset-row-{from_page['id']}")).to_have_count(0)


def test_an_unknown_dataset_is_a_page_that_says_so(page: Page) -> None:
    answer = page.goto("/datasets/9999")
    assert answer is not None and answer.status == 404
    expect(page.get_by_test_id("not-found")).to_contain_text("No dataset with id 9999.")
