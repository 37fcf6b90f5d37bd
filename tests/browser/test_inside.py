"""Looking inside a model in the browser: the predict page's activations panel follows a
drawing (debounced), with the saliency overlay and the first layer's filters; a click on a
cell of the run page's confusion matrix shows that cell's test images."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def stroke(page: Page, x0: float, y0: float, x1: float, y1: float) -> None:
    """A pen stroke between two points given as fractions of the drawing canvas."""
    canvas = page.get_by_test_id("draw-canvas")
    canvas.scroll_into_view_if_needed()  # below the fold at 1280 x 720: the mouse needs it seen
    box = canvas.bounding_box()
    assert box is not None
    at = lambda fx, fy: (box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)  # noqa: E731
    page.mouse.move(*at(x0, y0))
    page.mouse.down()
    page.mouse.move(*at(x1, y1), steps=12)
    page.mouse.up()


def test_the_activations_panel_follows_the_drawing(page: Page, digits_cnn_run: dict, shot) -> None:
    run_id = digits_cnn_run["id"]
    page.goto(f"/predict?run={run_id}")
    expect(page.get_by_test_id("predict-run")).to_have_value(str(run_id))
    expect(page.get_by_test_id("filter")).to_have_count(8)  # Conv2D(8, 3): 8 kernels
    expect(page.get_by_test_id("inside-panel")).to_be_hidden()

    with page.expect_response(lambda r: r.url.endswith("/activations")) as first:
        stroke(page, 0.5, 0.15, 0.5, 0.85)  # a one; no button pressed
    assert first.value.status == 200
    layers = page.get_by_test_id("activation-layer")
    expect(layers).to_have_count(4)
    expect(layers.nth(0)).to_contain_text("conv2d Conv2D (None, 6, 6, 8)")
    expect(layers.nth(3)).to_contain_text("dense Dense (None, 10)")
    expect(layers.nth(3)).to_contain_text("one bar per class, 0 to 9; the highest: ")
    expect(page.get_by_test_id("activation-maps")).to_have_count(2)  # the conv and the pool
    expect(page.get_by_test_id("activation-bars")).to_have_count(2)  # flatten and dense
    expect(page.get_by_test_id("saliency-caption")).to_contain_text("Grad-CAM on conv2d")
    expect(page.get_by_test_id("saliency")).to_have_attribute("width", "8")
    maps = page.get_by_test_id("activation-maps").first
    before = maps.get_attribute("src")

    with page.expect_response(lambda r: r.url.endswith("/activations")) as second:
        stroke(page, 0.2, 0.5, 0.8, 0.5)  # a cross now: every layer answers again
    assert second.value.status == 200
    expect(maps).not_to_have_attribute("src", before or "")
    shot("predict-inside")

    page.get_by_test_id("clear-canvas").click()
    expect(page.get_by_test_id("inside-panel")).to_be_hidden()


def test_a_confusion_cell_shows_its_test_images(page: Page, digits_cnn_run: dict, shot) -> None:
    run = digits_cnn_run
    page.goto(f"/runs/{run['id']}")
    cells = page.get_by_test_id("confusion-cell")
    expect(cells.first).to_be_visible()
    # A mistake if the model made one, else the first class's right answers.
    mistakes = [(t, p, c) for t, row in enumerate(run["confusion"]) for p, c in enumerate(row)
                if t != p and c]  # fmt: skip
    t, p, count = max(mistakes, key=lambda m: m[2]) if mistakes else (0, 0, run["confusion"][0][0])
    cell = page.locator(f'td[data-true="{t}"][data-predicted="{p}"] button')
    with page.expect_response(lambda r: "/examples?" in r.url) as answer:
        cell.click()
    assert answer.value.status == 200
    expect(page.get_by_test_id("examples-title")).to_contain_text(f": {count} of ")
    expect(page.get_by_test_id("example")).to_have_count(min(count, 24))
    expect(page.get_by_test_id("example").first).to_contain_text("#")
    expect(page.get_by_test_id("examples")).not_to_contain_text("null")
    chosen = page.locator(f'td[data-true="{t}"][data-predicted="{p}"]')
    expect(chosen).to_have_class(re.compile(r"\bchosen\b"))
    shot("run-examples")

    # Each example opens the predict page looking inside that very test image.
    index = page.get_by_test_id("example").first.get_attribute("data-index")
    page.get_by_test_id("example-inside").first.click()
    expect(page).to_have_url(re.compile(rf"/predict\?run={run['id']}&sample={index}$"))
    expect(page.get_by_test_id("inside-status")).to_contain_text(f"Test sample #{index}, a {t}.")
    expect(page.get_by_test_id("activation-layer")).to_have_count(4)
