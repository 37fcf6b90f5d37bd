"""The run page's Weights panel: while a run trains, each layer's kernel and bias histograms
appear and follow new epochs; the epoch slider shows any epoch's, every parameter in a bin."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.helpers.stacks import mlp

pytestmark = pytest.mark.browser

EPOCHS = 6
TRAINING = 60_000  # ms
# Every text the slider's label takes, even between two of Playwright's polls.
RECORD_LABELS = """
window.__labels = [];
new MutationObserver(() => {
  const label = document.getElementById("weights-epoch-label");
  if (label && label.textContent) window.__labels.push(label.textContent);
}).observe(document, { subtree: true, childList: true, characterData: true });
"""
# mlp([8, 8]): Dense(64) on 64 inputs, then Dense(10)
SIZES = {"dense": {"kernel": 64 * 64, "bias": 64}, "dense_1": {"kernel": 64 * 10, "bias": 10}}


def test_weights_panel_follows_the_run_and_its_slider_shows_each_epoch(
    page: Page, base_url: str, shot
) -> None:
    body = {"architecture": {**mlp([8, 8]), "name": "weights panel"}, "dataset_id": 1,
            "fit": {"epochs": EPOCHS, "batch_size": 2, "seed": 4}}  # fmt: skip
    run = httpx.post(f"{base_url}/api/runs", json=body).raise_for_status().json()
    page.add_init_script(RECORD_LABELS)
    page.goto(f"/runs/{run['id']}")

    panel = page.get_by_test_id("weights-panel")
    expect(panel).to_be_visible(timeout=TRAINING)  # with the first epoch's histograms
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=TRAINING)
    label = page.get_by_test_id("weights-epoch-label")
    expect(label).to_have_text(f"Epoch {EPOCHS} of {EPOCHS}")
    seen = page.evaluate("window.__labels")
    assert any(not text.endswith(f"of {EPOCHS}") for text in seen), seen  # it followed the run

    layers = page.get_by_test_id("weights-layer")
    expect(layers).to_have_count(2)
    for name, sizes in SIZES.items():
        layer = page.locator(f'[data-testid="weights-layer"][data-layer="{name}"]')
        for weight, size in sizes.items():
            figure = layer.get_by_test_id(f"weights-{weight}")
            expect(figure).to_have_attribute("data-total", str(size))
            assert 1 <= figure.locator("rect.weights-bar").count() <= 30
    last = page.get_by_test_id("weights-layers").inner_html()
    shot("weights-panel")

    slider = page.get_by_test_id("weights-epoch")
    expect(slider).to_have_attribute("max", str(EPOCHS - 1))
    slider.press("Home")
    expect(label).to_have_text(f"Epoch 1 of {EPOCHS}")
    expect(page.get_by_test_id("weights-layers")).to_have_attribute("data-epoch", "1")
    assert page.get_by_test_id("weights-layers").inner_html() != last  # epoch 1's own bars
    slider.press("ArrowRight")
    expect(page.get_by_test_id("weights-layers")).to_have_attribute("data-epoch", "2")
    slider.press("End")
    expect(page.get_by_test_id("weights-layers")).to_have_attribute("data-epoch", str(EPOCHS))
    assert page.get_by_test_id("weights-layers").inner_html() == last
