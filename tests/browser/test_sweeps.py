"""The sweeps pages: start a sweep from the form (learning rate x units of a Dense layer),
watch it on its page as the runs finish (status, ranked table, one scatter panel per
setting, the best run's curves), a refused value named on the form with nothing started,
and cancel and delete from the sweep's page."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.helpers.stacks import mlp

pytestmark = pytest.mark.browser

TRAINING = 180_000  # ms: four short runs, one after another on the test server's worker


@pytest.fixture
def architecture(base_url: str) -> dict:
    body = {**mlp([8, 8]), "name": "digits MLP (sweep test)"}
    return httpx.post(f"{base_url}/api/architectures", json=body).raise_for_status().json()


def errors_of(page: Page) -> list[str]:
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_a_sweep_started_from_the_form_is_ranked_on_its_page(page: Page, architecture, shot):
    errors = errors_of(page)
    page.goto(f"/sweeps?architecture={architecture['id']}")
    expect(page.get_by_test_id("sweep-architecture")).to_have_value(str(architecture["id"]))
    page.get_by_test_id("sweep-epochs").fill("2")
    page.get_by_test_id("grid-learning-rate").fill("0.01, 0.0001")
    page.get_by_test_id("grid-units-1").fill("8, 32")  # the hidden Dense; not the output
    expect(page.get_by_test_id("grid-units-2")).to_have_count(0)
    expect(page.get_by_test_id("sweep-count")).to_have_text("4 runs")
    page.get_by_test_id("sweep-start").click()
    page.wait_for_url(re.compile(r"/sweeps/\d+$"))
    sweep_id = int(page.url.rsplit("/", 1)[1])
    # Live: the page follows the runs until all four are done.
    expect(page.get_by_test_id("sweep-status")).to_have_text("completed", timeout=TRAINING)
    expect(page.get_by_test_id("count-completed")).to_have_text("4 completed")
    rows = page.get_by_test_id("sweep-table").locator("tbody tr")
    expect(rows).to_have_count(4)
    assert [rows.nth(i).get_attribute("data-rank") for i in range(4)] == ["1", "2", "3", "4"]
    sweep = httpx.get(f"{page.url.split('/sweeps')[0]}/api/sweeps/{sweep_id}").json()
    best = [r["best"] for r in sweep["runs"]]
    shown = [float(page.get_by_test_id(f"best-{r['id']}").inner_text()) for r in sweep["runs"]]
    assert shown == pytest.approx(best, rel=1e-3) and shown == sorted(shown, reverse=True)
    scatter = page.get_by_test_id("sweep-scatter")
    expect(scatter.locator("svg")).to_have_count(2)  # one panel per setting varied
    expect(scatter.locator("svg").first.locator("circle")).to_have_count(4)
    expect(scatter.locator("circle.best")).to_have_count(2)  # the best run, in each panel
    expect(page.get_by_test_id("best-chart")).to_have_attribute("data-points", "2")
    expect(page.get_by_test_id("best-about")).to_contain_text(f"run #{sweep['best_run_id']}")
    shot("sweep-page")
    # The runs list links each run to its sweep; the sweeps list shows it with its best.
    page.goto("/runs")
    expect(page.get_by_test_id(f"run-sweep-{sweep['best_run_id']}")).to_have_text(
        f"sweep #{sweep_id}"
    )
    page.goto("/sweeps")
    expect(page.get_by_test_id(f"sweep-row-{sweep_id}")).to_contain_text("4")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Sweeps")
           ).to_have_attribute("aria-current", "page")  # fmt: skip
    # A run's page names its sweep and the settings it tried.
    page.goto(f"/runs/{sweep['best_run_id']}")
    link = page.get_by_test_id("sweep-link")
    expect(link).to_have_text(f"sweep #{sweep_id}")
    expect(page.get_by_test_id("run-about")).to_contain_text("compile.optimizer.learning_rate = ")
    link.click()
    page.wait_for_url(re.compile(rf"/sweeps/{sweep_id}$"))
    assert errors == []


def test_a_refused_value_is_named_on_the_form_and_nothing_starts(page: Page, architecture):
    page.goto(f"/sweeps?architecture={architecture['id']}")
    page.get_by_test_id("grid-units-1").fill("8, many")
    page.get_by_test_id("sweep-start").click()
    problem = page.get_by_test_id("sweep-problem")
    expect(problem).to_contain_text('grid["layers[1].args.units"][1]')
    expect(problem).to_contain_text("Expected an integer >= 1 for `units`")
    assert page.url.endswith(f"/sweeps?architecture={architecture['id']}")


def test_cancel_and_delete_from_the_sweeps_page(page: Page, base_url: str):
    base = {"architecture": mlp([8, 8]), "dataset_id": 1, "fit": {"epochs": 1000, "seed": 1}}
    body = {"base": base, "grid": {"fit.batch_size": [8, 16]}, "name": "long sweep"}
    sweep = httpx.post(f"{base_url}/api/sweeps", json=body).raise_for_status().json()
    page.goto(f"/sweeps/{sweep['id']}")
    expect(page.get_by_test_id("sweep-status")).to_have_text("running")
    page.get_by_test_id("cancel-sweep").click()
    expect(page.get_by_test_id("count-cancelled")).to_have_text("2 cancelled", timeout=30_000)
    expect(page.get_by_test_id("cancel-sweep")).to_be_hidden()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("delete-sweep").click()
    page.wait_for_url(re.compile(r"/sweeps$"))
    expect(page.get_by_test_id(f"sweep-row-{sweep['id']}")).to_have_count(0)
    for run in sweep["runs"]:
        assert httpx.get(f"{base_url}/api/runs/{run['id']}").status_code == 404
