"""The dataset chosen in the builder is saved with the architecture: it comes back when the
architecture is opened again, changing it is an unsaved change (and a step to undo), and the
train page preselects it for that architecture."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_builder import (  # noqa: F401 (a fixture)
    _no_script_errors,
    layer_titles,
    open_builder,
)
from tests.helpers.accounts import small_npz
from tests.helpers.stacks import mlp

pytestmark = pytest.mark.browser


def upload(base_url: str, name: str) -> int:
    files = [("files", ("data.npz", small_npz(), "application/octet-stream"))]
    answer = httpx.post(f"{base_url}/api/datasets", data={"name": name}, files=files)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_the_dataset_is_saved_with_the_stack_and_preselected_for_training(
    page: Page, base_url: str
) -> None:
    tiny = upload(base_url, "tiny 4x4")
    open_builder(page)
    page.get_by_test_id("dataset").select_option(str(tiny))
    page.get_by_test_id("palette-Flatten").click()
    page.get_by_test_id("palette-Dense").click()
    expect(layer_titles(page)).to_have_text(["Flatten", "Dense"])
    page.get_by_test_id("arch-name").fill("Built on tiny")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("dirty")).to_be_hidden()
    arch_id = int(page.url.split("architecture=")[1])
    assert httpx.get(f"{base_url}/api/architectures/{arch_id}").json()["dataset_id"] == tiny

    # Opened again (another dataset remembered for new stacks meanwhile): its own dataset.
    page.evaluate("localStorage.setItem('layerstack.builder.dataset', '1')")
    open_builder(page, f"/builder?architecture={arch_id}")
    expect(page.get_by_test_id("dataset")).to_have_value(str(tiny))
    expect(page.get_by_test_id("dirty")).to_be_hidden()
    page.get_by_test_id("dataset").select_option("1")
    expect(page.get_by_test_id("dirty")).to_be_visible()
    page.get_by_test_id("undo").click()
    expect(page.get_by_test_id("dataset")).to_have_value(str(tiny))
    expect(page.get_by_test_id("history-status")).to_have_text(
        "Undone: changed the dataset checked against"
    )
    expect(page.get_by_test_id("dirty")).to_be_hidden()

    # The train page picks it for this architecture, and another's for another.
    other = httpx.post(f"{base_url}/api/architectures", json={**mlp([8, 8]), "dataset_id": 1})
    page.goto(f"/train?architecture={arch_id}")
    expect(page.get_by_test_id("train-dataset")).to_have_value(str(tiny))
    page.get_by_test_id("train-architecture").select_option(str(other.json()["id"]))
    expect(page.get_by_test_id("train-dataset")).to_have_value("1")
    # The loss as the builder spells it, not by its string id.
    expect(page.locator("#architecture-about")).to_contain_text(
        "loss SparseCategoricalCrossentropy"
    )
    page.get_by_test_id("train-architecture").select_option(str(arch_id))
    expect(page.get_by_test_id("train-dataset")).to_have_value(str(tiny))


def test_an_empty_stack_follows_the_dataset_and_pasted_code_keeps_it(
    page: Page, base_url: str
) -> None:
    tiny = upload(base_url, "tiny for paste")
    open_builder(page)
    expect(page.get_by_test_id("input-shape")).to_have_value("8,8")
    page.get_by_test_id("dataset").select_option(str(tiny))
    expect(page.get_by_test_id("input-shape")).to_have_value("4,4")  # nothing built yet
    page.get_by_test_id("paste-code").click()
    page.get_by_test_id("import-source").fill(
        "model = Sequential([Flatten(input_shape=(28, 28)), Dense(2, activation='softmax')])"
    )
    page.get_by_test_id("import-run").click()
    expect(page.get_by_test_id("import-done")).to_be_visible()
    page.get_by_test_id("import-close").click()
    # Pasted code names no dataset: the one chosen stays, and checks the pasted stack.
    expect(page.get_by_test_id("dataset")).to_have_value(str(tiny))
    page.get_by_role("button", name="Use the dataset's shape [4, 4]").click()
    expect(page.get_by_test_id("input-shape")).to_have_value("4,4")
    # No model.compile in the code, so no loss and no metric: one click sets both.
    page.get_by_role("button", name="Use SparseCategoricalCrossentropy, with accuracy").click()
    expect(page.get_by_test_id("loss")).to_have_value("sparse_categorical_crossentropy")
    expect(page.get_by_test_id("metrics").get_by_label("accuracy", exact=True)).to_be_checked()
