"""Predicting in the browser: a digit image chosen from disk and a digit drawn on the canvas
both come back with a label and top-k bars; a file that is not an image is refused in words."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.helpers.stacks import mlp

pytestmark = pytest.mark.browser

STACK = {**mlp([8, 8]), "name": "digits MLP (predict test)"}


@pytest.fixture(scope="module")
def completed_run(trainer) -> int:
    """A digits model trained through the API, waited for until it completes."""
    api = f"{trainer.url}/api"
    body = {"architecture": STACK, "dataset_id": 1, "fit": {"epochs": 15, "seed": 3}}
    run = httpx.post(f"{api}/runs", json=body).raise_for_status().json()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = httpx.get(f"{api}/runs/{run['id']}").json()
        if run["status"] not in ("queued", "running"):
            break
        time.sleep(0.3)
    assert run["status"] == "completed", run["error"]
    return int(run["id"])


@pytest.fixture
def digit_png(trainer, tmp_path: Path) -> Path:
    """A test-split digit as an 8x8 PNG: pixel values 0..16 scaled to 0..255."""
    x = np.load(trainer.data_dir / "datasets" / "1" / "x_test.npy")
    path = tmp_path / "digit.png"
    Image.fromarray((x[1].astype(np.float32) * 255 / 16).round().astype(np.uint8)).save(path)
    return path


def draw_a_one(page: Page) -> None:
    box = page.get_by_test_id("draw-canvas").bounding_box()
    assert box is not None
    x = box["x"] + box["width"] * 0.5
    page.mouse.move(x, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    page.mouse.move(x, box["y"] + box["height"] * 0.85, steps=15)
    page.mouse.up()


def test_predict_an_uploaded_and_a_drawn_digit(
    page: Page, base_url: str, completed_run: int, digit_png: Path, tmp_path: Path, shot
) -> None:
    # What the API says about the same file is what the page must show.
    with digit_png.open("rb") as image:
        answer = httpx.post(
            f"{base_url}/api/runs/{completed_run}/predict?k=5", files={"file": image}
        ).json()["predictions"][0]

    page.goto(f"/predict?run={completed_run}")
    expect(page.get_by_test_id("predict-run")).to_have_value(str(completed_run))
    page.get_by_test_id("predict-file").set_input_files(digit_png)
    expect(page.get_by_test_id("predicted-label")).to_have_text(answer["label"])
    expect(page.get_by_test_id("predicted-label")).to_be_visible()
    expect(page.get_by_test_id("predict-error")).to_be_empty()
    # The model's own input (8 x 8) is drawn, not a guess at it.
    expect(page.get_by_test_id("model-view")).to_have_attribute("width", "8")
    bars = page.get_by_test_id("topk-bar")
    expect(bars).to_have_count(5)
    expect(bars.first).to_contain_text(answer["label"])
    expect(page.get_by_test_id("preprocessing")).to_contain_text("8 \N{MULTIPLICATION SIGN} 8")
    # One shape for the model's input, in the run's line and the answer's table alike.
    model_input = "(None, 8, 8)"
    expect(page.get_by_test_id("predict-run-about")).to_contain_text(model_input)
    expect(page.get_by_test_id("preprocessing")).to_contain_text(f"{model_input};")
    expect(page.get_by_test_id("low-confidence")).to_be_visible(visible=answer["low_confidence"])

    page.get_by_test_id("clear-canvas").click()
    draw_a_one(page)
    with page.expect_response(lambda r: "/predict" in r.url) as response:
        page.get_by_test_id("predict-drawing").click()
    drawn = response.value.json()["predictions"][0]
    assert drawn["file"] == "drawing.png"
    assert drawn["preprocessing"]["original_size"] == [280, 280]
    expect(page.get_by_test_id("predicted-label")).to_have_text(drawn["label"])
    expect(page.get_by_test_id("predicted-label")).to_be_visible()
    expect(page.get_by_test_id("predict-error")).to_be_empty()
    expect(bars).to_have_count(5)
    shot("predict")

    not_an_image = tmp_path / "notes.txt"
    not_an_image.write_text("not pixels")
    page.get_by_test_id("predict-file").set_input_files(not_an_image)
    expect(page.get_by_test_id("predict-error")).to_contain_text("not an image")
    expect(page.get_by_test_id("predicted-label")).to_be_hidden()


def test_predict_explains_a_run_that_is_not_completed(page: Page) -> None:
    page.goto("/predict?run=999999")
    expect(page.get_by_test_id("predict-error")).to_contain_text("No run with id 999999")
