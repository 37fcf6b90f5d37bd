"""The run page's progress and ending, and the runs list's comparison: the bar covers the
whole run (a cancelled run's bar stops where it got), the running loss shows inside an epoch,
an early-stopped run says where it stopped and whose weights it kept, and ticked runs are
compared on any metric with their test metrics and the settings that differ."""

from __future__ import annotations

import itertools
import re
import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.helpers.stacks import mlp

pytestmark = pytest.mark.browser

TRAINING = 60_000  # ms: TensorFlow's first compile in the worker takes a few seconds
MLP = {**mlp([8, 8]), "name": "digits MLP (run page test)"}
# A min_delta no loss can beat: epoch 1 is the best, epoch 2 does not improve on it, and
# patience 1 stops the run there.
STOP_AT_2 = {"monitor": "val_loss", "patience": 1, "min_delta": 100.0, "restore_best_weights": True}
# Every change of the progress text, with the bar and the live loss as they were then.
RECORD_PROGRESS = """
window.__progress = [];
new MutationObserver(() => {
  const text = document.getElementById("epoch-text");
  if (!text) return;
  const last = window.__progress[window.__progress.length - 1];
  if (last && last.text === text.textContent) return;
  const bar = document.getElementById("run-progress-bar");
  const loss = document.getElementById("live-loss");
  window.__progress.push({
    text: text.textContent,
    now: Number(bar.getAttribute("aria-valuenow")),
    loss: loss.hidden ? "" : loss.textContent,
  });
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


def completed(base_url: str, run_id: int) -> dict:
    deadline = time.monotonic() + TRAINING / 1000
    while time.monotonic() < deadline:
        run = httpx.get(f"{base_url}/api/runs/{run_id}").json()
        if run["status"] not in ("queued", "running"):
            assert run["status"] == "completed", run["error"]
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish")


@pytest.fixture(scope="module")
def early_stopped(trainer) -> dict:
    """A saved architecture trained on digits for up to 40 epochs, stopped early at 2."""
    architecture = httpx.post(f"{trainer.url}/api/architectures", json=MLP).json()
    fit = {"epochs": 40, "seed": 2, "early_stopping": STOP_AT_2}
    body = {"architecture_id": architecture["id"], "dataset_id": 1, "fit": fit}
    run = httpx.post(f"{trainer.url}/api/runs", json=body).json()
    return completed(trainer.url, run["id"])


def test_the_bar_covers_the_whole_run_and_stops_where_a_cancel_left_it(page: Page, base_url):
    epochs = 40  # batch 2: up to half a second an epoch; time to cancel long before the end
    body = {"architecture": MLP, "dataset_id": 1, "fit": {"epochs": epochs, "batch_size": 2}}
    page.context.add_init_script(RECORD_PROGRESS)
    run = httpx.post(f"{base_url}/api/runs", json=body).json()
    page.goto(f"/runs/{run['id']}")
    # Two epochs or more (two may arrive in one read of the run).
    expect(page.get_by_test_id("loss-chart")).to_have_attribute(
        "data-points", re.compile(r"^(?:[2-9]|[1-3]\d)$"), timeout=TRAINING
    )
    # A report from inside an epoch (the first comes 0.25 s into it), then Cancel.
    inside_an_epoch = re.compile(rf"Epoch \d+ / {epochs} · batch")
    expect(page.get_by_test_id("epoch-text")).to_have_text(inside_an_epoch, timeout=TRAINING)
    expect(page.get_by_test_id("live-loss")).to_contain_text("loss 0.", timeout=TRAINING)
    page.get_by_test_id("cancel-run").click()
    expect(page.get_by_test_id("run-status")).to_have_text("cancelled", timeout=TRAINING)

    done = page.get_by_test_id("epoch-table").locator("tbody tr").count()
    assert 2 <= done < epochs
    expect(page.get_by_test_id("epoch-text")).to_have_text(
        f"Cancelled after {done} of {epochs} epochs; Resume continues from there."
    )
    # Not 100%: the epochs it finished, of all it asked for.
    bar = page.get_by_test_id("run-progress")
    expect(bar).to_have_attribute("aria-valuenow", str(100 * done // epochs))
    expect(bar).to_have_attribute("aria-valuetext", f"{done} of {epochs} epochs")
    expect(page.get_by_test_id("live-loss")).to_be_hidden()

    # Inside epoch k: the bar is past k - 1 of all epochs and short of k; the loss shows.
    seen = page.evaluate("window.__progress")
    inside = [p for p in seen if inside_an_epoch.match(p["text"])]
    assert inside, seen
    for p in inside:
        k = int(p["text"].split()[1])
        assert 100 * (k - 1) // epochs <= p["now"] <= 100 * k // epochs, p
        assert p["loss"].startswith("loss "), p
    # Forwards while it trained (the cancel then drops the unfinished epoch's share).
    training = [p["now"] for p in seen if not p["text"].startswith("Cancelled")]
    assert training == sorted(training), seen


# Every change of the loss chart's plotted epochs and running-loss trail.
RECORD_TRAIL = """
window.__trail = [];
new MutationObserver(() => {
  const chart = document.getElementById("loss-chart");
  if (!chart) return;
  const now = {
    points: Number(chart.dataset.points || 0), trail: Number(chart.dataset.trail || 0),
  };
  const last = window.__trail[window.__trail.length - 1];
  if (!last || last.points !== now.points || last.trail !== now.trail) window.__trail.push(now);
}).observe(document, {
  subtree: true, attributes: true, attributeFilter: ["data-points", "data-trail"],
});
"""


def test_the_running_loss_is_a_trail_on_the_chart_until_its_epoch_ends(page: Page, base_url):
    body = {"architecture": MLP, "dataset_id": 1, "fit": {"epochs": 40, "batch_size": 2}}
    page.context.add_init_script(RECORD_TRAIL)
    run = httpx.post(f"{base_url}/api/runs", json=body).json()
    page.goto(f"/runs/{run['id']}")
    chart = page.get_by_test_id("loss-chart")
    # Inside an epoch after the first: a trail of running losses beside the epochs' points,
    # drawn as a series of its own (the legend names it).
    expect(chart).to_have_attribute("data-points", re.compile(r"^[2-9]$"), timeout=TRAINING)
    expect(chart).to_have_attribute("data-trail", re.compile(r"^[1-9]"), timeout=TRAINING)
    expect(chart.locator(".u-legend")).to_contain_text("loss (this epoch, so far)")
    four_or_more = re.compile(r"^(?:[4-9]|[1-3]\d)$")
    expect(chart).to_have_attribute("data-points", four_or_more, timeout=TRAINING)
    page.get_by_test_id("cancel-run").click()
    expect(page.get_by_test_id("run-status")).to_have_text("cancelled", timeout=TRAINING)
    expect(chart).to_have_attribute("data-trail", "0")  # the unfinished epoch is not kept
    expect(chart.locator(".u-legend")).not_to_contain_text("so far")

    seen = page.evaluate("window.__trail")
    # A trail came after each of several finished epochs, and each epoch's point replaced
    # the trail of that epoch: when the points go up, the trail starts again (empty, or
    # already a report into the next epoch).
    assert len({p["points"] for p in seen if p["trail"] and p["points"]}) >= 2, seen
    for before, after in itertools.pairwise(seen):
        if after["points"] > before["points"]:
            assert after["trail"] <= 1, seen


def test_an_early_stopped_run_says_where_it_stopped_and_links_its_sources(
    page: Page, early_stopped: dict, shot
) -> None:
    page.goto(f"/runs/{early_stopped['id']}")
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=TRAINING)
    expect(page.get_by_test_id("epoch-text")).to_have_text(
        "Stopped early at epoch 2 of 40: val_loss had not improved since epoch 1 (patience 1); "
        "weights of epoch 1 kept (its best val_loss, restore_best_weights)."
    )
    expect(page.get_by_test_id("run-progress")).to_have_attribute("aria-valuenow", "100")
    architecture = page.get_by_test_id("architecture-link")
    expect(architecture).to_have_text(MLP["name"])
    expect(architecture).to_have_attribute(
        "href", f"/builder?architecture={early_stopped['architecture_id']}"
    )
    expect(page.get_by_test_id("dataset-link")).to_have_attribute("href", "/datasets/1")
    expect(page.get_by_test_id("test-metrics")).to_contain_text("test accuracy")
    shot("run-early-stopped")


def test_compare_any_metric_with_test_metrics_and_the_settings_that_differ(
    page: Page, base_url: str, early_stopped: dict, shot
) -> None:
    fit = {"epochs": 3, "seed": 2, "batch_size": 16}
    body = {"architecture": MLP, "dataset_id": 1, "fit": fit}
    other = completed(base_url, httpx.post(f"{base_url}/api/runs", json=body).json()["id"])
    page.goto("/runs")
    for run in (early_stopped, other):
        page.get_by_test_id(f"compare-{run['id']}").check()
    chart = page.get_by_test_id("overlay-chart")
    expect(chart).to_have_attribute("data-series", "2")
    expect(chart).to_have_attribute("data-metric", "loss")
    picker = page.get_by_test_id("overlay-metric")
    expect(picker.locator("option")).to_have_text(["loss", "accuracy", "learning_rate"])
    picker.select_option("accuracy")
    expect(chart).to_have_attribute("data-metric", "accuracy")
    expect(chart).to_have_attribute("data-points", "3")  # the longer run's epochs

    metrics = page.get_by_test_id("compare-metric")
    expect(metrics).to_have_count(2)
    accuracy = page.locator("[data-testid=compare-metric][data-metric=accuracy] td")
    newest_first = (other, early_stopped)  # the list's order
    want = [f"{run['test_metrics']['accuracy']:.4f}" for run in newest_first]
    expect(accuracy).to_have_text(want)

    # What differs, and only that: batch size, epochs, early stopping.
    differ = page.get_by_test_id("settings-diff")
    keys = differ.evaluate_all("rows => rows.map((r) => r.dataset.key)")
    assert {"fit.batch_size", "fit.epochs", "fit.early_stopping.patience"} <= set(keys)
    assert not {"architecture", "fit.seed", "compile.optimizer", "layer 2 Dense.units"} & set(keys)
    early = page.locator("[data-testid=settings-diff][data-key='fit.early_stopping'] td")
    expect(early).to_have_text(["none", "set"])
    row = page.locator("[data-testid=settings-diff][data-key='fit.batch_size'] td")
    expect(row).to_have_text(["16", "32"])
    expect(page.get_by_test_id("settings-note")).to_contain_text(f"{len(keys)} of ")
    shot("runs-compare")

    page.get_by_test_id(f"compare-{other['id']}").uncheck()
    expect(page.get_by_test_id("settings-note")).to_have_text(
        "Tick a second run to see which settings differ."
    )
