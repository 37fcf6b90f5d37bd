"""Advice that knows the loss, and nothing changes silently, in the browser: the logits trap
warned in the builder with its two one-click fixes, the units-vs-classes fix on the train
page, and a run page that lists what Layerstack changed between the dataset and the model."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.helpers.stacks import dense, mlp

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _no_script_errors(page: Page):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield
    assert errors == []


def builder_with_a_linear_last_layer(page: Page) -> None:
    """The tutorial's MLP with Dense(10) left without activation: the classic logits trap."""
    page.goto("/builder")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    page.get_by_test_id("template-mlp").click()
    expect(page.get_by_test_id("total-params")).to_have_text("4,810")
    page.get_by_test_id("layer-2").click()
    page.get_by_test_id("arg-activation").select_option("")  # "— none —"


def test_the_logits_trap_is_warned_and_from_logits_fixes_it(page: Page, shot) -> None:
    builder_with_a_linear_last_layer(page)
    warning = page.get_by_test_id("layer-2").locator(".warning")
    expect(warning).to_contain_text("has no activation")
    expect(warning).to_contain_text("from_logits=false")
    expect(warning.get_by_role("button")).to_have_text(["Set from_logits to true", "Use softmax"])
    expect(page.get_by_test_id("from-logits")).not_to_be_checked()
    shot("builder-logits-warning")

    warning.get_by_role("button", name="Set from_logits to true").click()
    expect(page.locator("#stack .warning")).to_have_count(0)
    expect(page.get_by_test_id("from-logits")).to_be_checked()
    expect(page.get_by_test_id("layer-2").locator(".b-layer-args")).to_have_text("units=10")


def test_the_logits_trap_fixed_with_softmax_instead(page: Page) -> None:
    builder_with_a_linear_last_layer(page)
    warning = page.get_by_test_id("layer-2").locator(".warning")
    warning.get_by_role("button", name="Use softmax").click()
    expect(page.locator("#stack .warning")).to_have_count(0)
    expect(page.get_by_test_id("layer-2").locator(".b-layer-args")).to_have_text(
        "units=10, activation=softmax"
    )
    expect(page.get_by_test_id("from-logits")).not_to_be_checked()


def test_units_vs_classes_fixed_from_the_train_page(page: Page, base_url: str) -> None:
    stack = {**mlp([8, 8]), "name": "five units (browser test)"}
    stack["layers"][-1] = dense(5, activation="softmax")
    architecture = httpx.post(f"{base_url}/api/architectures", json=stack).json()
    page.goto(f"/train?architecture={architecture['id']}")
    page.get_by_test_id("train-dataset").select_option("1")
    page.get_by_test_id("train-epochs").fill("1")
    page.get_by_test_id("train-start").click()
    problem = page.get_by_test_id("train-problem")
    expect(problem).to_contain_text("5 units, but the dataset has 10 classes")

    problem.get_by_role("button", name="Set units to 10").click()
    expect(page.get_by_test_id("train-problem")).to_have_count(0)
    expect(page.locator("#start-status")).to_contain_text("Set units to 10")
    saved = httpx.get(f"{base_url}/api/architectures/{architecture['id']}").json()
    assert saved["layers"][-1]["args"]["units"] == 10
    page.get_by_test_id("train-start").click()
    page.wait_for_url("**/runs/*")
    run_id = page.url.rstrip("/").split("/")[-1]
    httpx.post(f"{base_url}/api/runs/{run_id}/cancel")  # no run left on the shared trainer


def test_the_train_page_checks_the_stack_against_the_dataset_before_start(
    page: Page, base_url: str
) -> None:
    """The checks Start makes (here units against classes) show as soon as both are chosen,
    with the fix, so the learner need not press Start to learn of them."""
    stack = {**mlp([8, 8]), "name": "five units, live (browser test)"}
    stack["layers"][-1] = dense(5, activation="softmax")
    architecture = httpx.post(f"{base_url}/api/architectures", json=stack).json()
    page.goto(f"/train?architecture={architecture['id']}")
    page.get_by_test_id("train-dataset").select_option("1")
    warning = page.get_by_test_id("train-warning")
    expect(warning).to_contain_text("5 units, but the dataset has 10 classes")
    expect(page.get_by_test_id("train-problem")).to_have_count(0)  # nothing refused yet
    warning.get_by_role("button", name="Set units to 10").click()
    expect(page.get_by_test_id("train-warning")).to_have_count(0)
    saved = httpx.get(f"{base_url}/api/architectures/{architecture['id']}").json()
    assert saved["layers"][-1]["args"]["units"] == 10


def test_the_train_page_warns_of_the_logits_trap_before_start(page: Page, base_url: str) -> None:
    stack = {**mlp([8, 8]), "name": "logits trap (browser test)"}
    stack["layers"][-1] = dense(10)
    architecture = httpx.post(f"{base_url}/api/architectures", json=stack).json()
    page.goto(f"/train?architecture={architecture['id']}")
    warning = page.get_by_test_id("train-warning")
    expect(warning).to_contain_text("has no activation")
    warning.get_by_role("button", name="Set from_logits to true").click()
    expect(page.get_by_test_id("train-warning")).to_have_count(0)
    saved = httpx.get(f"{base_url}/api/architectures/{architecture['id']}").json()
    loss = {"name": "SparseCategoricalCrossentropy", "from_logits": True}
    assert saved["compile"]["loss"] == loss


def test_the_run_page_lists_the_automatic_changes(page: Page, base_url: str, shot) -> None:
    """A flat model on 8x8 digits with CategoricalCrossentropy: scaled, reshaped, one-hot."""
    stack = {**mlp([64], loss="categorical_crossentropy"), "layers": mlp()["layers"][1:]}
    body = {"architecture": stack, "dataset_id": 1, "fit": {"epochs": 1, "seed": 1}}
    run = httpx.post(f"{base_url}/api/runs", json=body).json()
    page.goto(f"/runs/{run['id']}")
    changes = page.get_by_test_id("automatic-change")
    expect(changes).to_have_count(3)
    expect(changes.nth(0)).to_contain_text("scaled from the dataset's range 0..16 to [0, 1]")
    expect(changes.nth(1)).to_contain_text("reshaped from (8, 8) to (64,)")
    expect(changes.nth(2)).to_contain_text("one-hot encoded into 10 columns")
    expect(page.get_by_test_id("run-changes")).to_contain_text(
        "expects its inputs prepared the same way"
    )
    expect(page.get_by_test_id("script-link")).to_have_attribute(
        "href", f"/api/runs/{run['id']}/export.py"
    )
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=60_000)
    shot("run-automatic-changes")


def test_a_run_that_learned_nothing_says_so_on_the_run_and_predict_pages(
    page: Page, base_url: str, shot
) -> None:
    """The logits trap with a learning rate too small to move: the loss cannot fall."""
    stack = {**mlp([8, 8], optimizer={"name": "Adam", "learning_rate": 1e-7}), "name": "stuck"}
    stack["layers"][-1] = dense(10)
    body = {"architecture": stack, "dataset_id": 1, "fit": {"epochs": 2, "seed": 1}}
    run = httpx.post(f"{base_url}/api/runs", json=body).json()
    page.goto(f"/runs/{run['id']}")
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=60_000)
    diagnosis = page.get_by_test_id("run-diagnosis")
    expect(diagnosis).to_contain_text("This run learned little.")
    expect(diagnosis).to_contain_text("Its loss did not fall")
    expect(diagnosis.locator("li[data-kind='linear_output_without_logits']")).to_be_visible()
    expect(diagnosis.locator("li[data-kind='learning_rate']")).to_contain_text("1e-07")
    expect(diagnosis).not_to_contain_text("null")  # an inline stack: no builder link, no 'null'

    page.goto(f"/predict?run={run['id']}")
    expect(page.get_by_test_id("predict-diagnosis")).to_contain_text(
        f"Run #{run['id']} learned little"
    )
    expect(page.get_by_test_id("predict-run-expects")).to_contain_text(
        "This model expects values scaled to [0, 1] (x / 16)"
    )
    shot("predict-learned-little")


def test_a_cancelled_run_with_enough_epochs_is_diagnosed_too(page: Page, base_url: str) -> None:
    """The stuck stack above, cancelled after three epochs or more of forty."""
    stack = {**mlp([8, 8], optimizer={"name": "Adam", "learning_rate": 1e-7}), "name": "stuck"}
    stack["layers"][-1] = dense(10)
    body = {"architecture": stack, "dataset_id": 1, "fit": {"epochs": 40, "batch_size": 2}}
    run = httpx.post(f"{base_url}/api/runs", json=body).json()
    page.goto(f"/runs/{run['id']}")
    three_or_more = re.compile(r"^(?:[3-9]|[1-3]\d)$")
    expect(page.get_by_test_id("loss-chart")).to_have_attribute(
        "data-points", three_or_more, timeout=60_000
    )
    page.get_by_test_id("cancel-run").click()
    expect(page.get_by_test_id("run-status")).to_have_text("cancelled", timeout=60_000)
    done = page.get_by_test_id("epoch-table").locator("tbody tr").count()
    diagnosis = page.get_by_test_id("run-diagnosis")
    expect(diagnosis).to_contain_text(f"In its {done} epochs, this run learned little.")
    expect(diagnosis.locator("li[data-kind='ended_early']")).to_contain_text(
        f"It was cancelled after {done} of 40 epochs"
    )
