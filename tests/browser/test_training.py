"""Training in the browser: the train form starts a run, the run page fills in live (one
chart point per epoch, the epoch table, the status), a second tab shows the same state, and
the finished run shows its test metrics, confusion heat map and place in the runs list."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.helpers.stacks import mlp

pytestmark = pytest.mark.browser

EPOCHS = 8
TRAINING = 60_000  # ms: TensorFlow's first compile in the worker takes a few seconds
MLP = {**mlp([8, 8]), "name": "digits MLP (browser test)"}
# Every value the loss chart's data-points attribute takes, in order, even when epochs end
# faster than Playwright polls: a MutationObserver sees each change.
RECORD_POINTS = """
window.__points = [];
new MutationObserver((records) => {
  for (const r of records) {
    if (r.target.dataset.testid === "loss-chart") window.__points.push(r.target.dataset.points);
  }
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-points"] });
"""


def points_seen(page: Page) -> list[str]:
    return page.evaluate("window.__points")


def expect_run_finished(page: Page) -> None:
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=TRAINING)
    expect(page.get_by_test_id("loss-chart")).to_have_attribute("data-points", str(EPOCHS))
    expect(page.get_by_test_id("epoch-table").locator("tbody tr")).to_have_count(EPOCHS)


def start_run_from_form(page: Page, architecture_id: int) -> int:
    page.goto("/train")
    page.get_by_test_id("train-architecture").select_option(str(architecture_id))
    page.get_by_test_id("train-dataset").select_option("1")
    page.get_by_test_id("train-epochs").fill(str(EPOCHS))
    page.get_by_test_id("train-seed").fill("7")
    page.get_by_test_id("train-start").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_train_form_runs_live_and_finishes(page: Page, base_url: str, shot) -> None:
    architecture = httpx.post(f"{base_url}/api/architectures", json=MLP).json()
    page.context.add_init_script(RECORD_POINTS)  # before any page of this context loads
    run_id = start_run_from_form(page, architecture["id"])

    # Mid-run: the first point is there; a second tab opened now follows the same stream.
    expect(page.get_by_test_id("loss-chart")).not_to_have_attribute(
        "data-points", "0", timeout=TRAINING
    )
    shot("training-live")
    second = page.context.new_page()
    second.goto(f"/runs/{run_id}")

    expect_run_finished(page)
    assert points_seen(page) == [str(n) for n in range(1, EPOCHS + 1)]
    expect_run_finished(second)
    assert points_seen(second) == [str(n) for n in range(1, EPOCHS + 1)]
    expect(second.get_by_test_id("epoch-table")).to_have_text(
        page.get_by_test_id("epoch-table").inner_text(), use_inner_text=True
    )

    results = page.get_by_test_id("run-results")
    expect(results).to_be_visible()
    expect(page.get_by_test_id("test-metrics")).to_contain_text("test accuracy")
    # The heat map: one row and one column per class, and every test sample counted once.
    cells = page.get_by_test_id("confusion").locator("td.cell")
    expect(cells).to_have_count(100)
    assert sum(int(text) for text in cells.all_inner_texts()) == 359
    expect(cells.first).to_have_attribute("style", re.compile(r"background: rgba"))
    expect(page.get_by_test_id("predict-link")).to_have_attribute("href", f"/predict?run={run_id}")
    shot("training-done")

    page.goto("/runs")
    row = page.get_by_test_id(f"run-row-{run_id}")
    expect(row).to_contain_text("completed")
    expect(row).to_contain_text(MLP["name"])
    expect(row).to_contain_text("val_accuracy")
    page.get_by_test_id(f"compare-{run_id}").check()
    overlay = page.get_by_test_id("overlay-chart")
    expect(overlay).to_have_attribute("data-series", "1")
    expect(overlay).to_have_attribute("data-points", str(EPOCHS))
    shot("runs")


def settled(page: Page) -> None:
    """htmx pushes the URL when it swaps the list but wires the new filters' hx-* attributes
    only when the swap settles (20 ms later): a change made before that is not sent."""
    expect(page.locator("#runs-list")).not_to_have_class(re.compile(r"htmx-settling"))


def test_runs_list_follows_runs_live_filters_and_deletes(page: Page, base_url: str) -> None:
    epochs = 6  # batch 2: about half a second an epoch, so the row is seen going first
    body = {"architecture": MLP, "dataset_id": 1, "fit": {"epochs": epochs, "batch_size": 2}}
    page.goto("/runs")
    page.evaluate("window.__same_page = true")  # gone if anything reloads the page
    run = httpx.post(f"{base_url}/api/runs", json=body).json()
    # A run queued after the page loaded shows up when the list is asked for again (a filter).
    page.get_by_test_id("filter-status").select_option("queued")
    expect(page).to_have_url(re.compile(r"/runs\?status=queued$"))
    settled(page)
    page.get_by_test_id("filter-status").select_option("")
    expect(page).to_have_url(re.compile(r"/runs$"))
    settled(page)
    row = page.get_by_test_id(f"run-row-{run['id']}")
    expect(row).to_be_visible()
    badge = page.get_by_test_id(f"run-badge-{run['id']}")
    assert badge.inner_text() in ("queued", "running")
    # Its row follows the run over the list's event stream: status, epochs, best score.
    expect(badge).to_have_text("completed", timeout=TRAINING)
    expect(row).to_contain_text(f"{epochs} / {epochs}")
    expect(row).to_contain_text("val_accuracy")
    assert page.evaluate("window.__same_page") is True

    # Ticks survive a row being replaced: tick it, filter to completed runs, it is still ticked.
    page.get_by_test_id(f"compare-{run['id']}").check()
    page.get_by_test_id("filter-status").select_option("completed")
    expect(page).to_have_url(re.compile(r"/runs\?status=completed$"))
    settled(page)
    expect(page.get_by_test_id(f"compare-{run['id']}")).to_be_checked()
    expect(page.get_by_test_id("overlay-chart")).to_have_attribute("data-points", str(epochs))
    page.go_back()  # the list and the filters as they were, the tick kept
    expect(page).to_have_url(re.compile(r"/runs$"))
    expect(page.get_by_test_id("filter-status")).to_have_value("")
    expect(page.get_by_test_id(f"compare-{run['id']}")).to_be_checked()
    expect(page.get_by_test_id("overlay-chart")).to_have_attribute("data-series", "1")

    # Delete: the row goes and the flash box says so; a row already gone is a 404 in words.
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id(f"delete-run-{run['id']}").click()
    expect(row).to_have_count(0)
    expect(page.locator("#flash")).to_contain_text(f"Deleted run #{run['id']}.")
    other = httpx.post(f"{base_url}/api/runs", json=body).json()
    page.reload()
    httpx.delete(f"{base_url}/api/runs/{other['id']}")
    page.get_by_test_id(f"delete-run-{other['id']}").click()
    expect(page.locator("#flash")).to_contain_text(f"No run with id {other['id']}.")


def test_train_form_shows_why_a_stack_does_not_fit(page: Page, base_url: str) -> None:
    last = {"type": "Dense", "args": {"units": 5, "activation": "softmax"}}
    five_units = {**MLP, "name": "five outputs", "layers": [*MLP["layers"][:2], last]}
    architecture = httpx.post(f"{base_url}/api/architectures", json=five_units).json()
    page.goto(f"/train?architecture={architecture['id']}")
    expect(page.get_by_test_id("train-architecture")).to_have_value(str(architecture["id"]))
    page.get_by_test_id("train-start").click()
    expect(page.get_by_test_id("train-problem")).to_contain_text("set units=10")
    assert page.url.endswith(f"/train?architecture={architecture['id']}")


def test_cancel_then_resume_continues_the_same_curves(page: Page, base_url: str) -> None:
    epochs = 16  # batch 2: about half a second an epoch, time enough to press Cancel
    body = {"architecture": MLP, "dataset_id": 1, "fit": {"epochs": epochs, "batch_size": 2}}
    run = httpx.post(f"{base_url}/api/runs", json=body).json()
    page.goto(f"/runs/{run['id']}")
    expect(page.get_by_test_id("loss-chart")).not_to_have_attribute(
        "data-points", "0", timeout=TRAINING
    )
    page.get_by_test_id("cancel-run").click()
    expect(page.get_by_test_id("run-status")).to_have_text("cancelled", timeout=TRAINING)
    expect(page.get_by_test_id("epoch-text")).to_contain_text("Resume continues from there")
    expect(page.get_by_test_id("cancel-run")).to_be_hidden()

    page.get_by_test_id("resume-run").click()
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=TRAINING)
    expect(page.get_by_test_id("loss-chart")).to_have_attribute("data-points", str(epochs))
    first_column = page.get_by_test_id("epoch-table").locator("tbody tr td:first-child")
    expect(first_column).to_have_text([str(n) for n in range(1, epochs + 1)])
