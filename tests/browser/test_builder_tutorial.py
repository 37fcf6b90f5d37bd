"""The whole tutorial in the builder (issue 15): a stack checked live against a dataset with
one-click shape and units fixes, templates shaped for it, the tutorial's code pasted in (its
unused lines noted beside them), Export Python, every optimizer and regularizer parameter
reaching the saved architecture, and the rows before a faulty layer kept on screen."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import numpy as np
import pytest
from playwright.sync_api import Page, expect

# The builder's own helpers, and its check that the page's script never threw (autouse).
from tests.browser.test_builder import _no_script_errors, open_builder  # noqa: F401
from tests.helpers.paths import shared_file
from tests.helpers.uploads import npz_bytes

pytestmark = pytest.mark.browser


def mnist_like(base_url: str) -> dict:
    """Thirty 28x28 grayscale samples of 10 classes: MNIST's shape, uploaded in milliseconds."""
    x = np.random.default_rng(0).integers(0, 255, (30, 28, 28)).astype(np.uint8)
    files = [("files", ("mnist.npz", npz_bytes(x=x, y=np.arange(30) % 10)))]
    name = f"mnist-{uuid.uuid4().hex[:6]}"
    answer = httpx.post(f"{base_url}/api/datasets", data={"name": name}, files=files, timeout=60)
    assert answer.status_code == 201, answer.text
    return answer.json()


def tutorial_cnn_code() -> str:
    """The tutorial's CNN block, as a learner copies it (imports, model.add, ...)."""
    text = shared_file("seed/000_6887c3e33ad7f53f.txt").read_text()
    first = (
        "from tensorflow.keras.models import Sequential\nfrom tensorflow.keras.layers import Dense,"
    )
    start = text.index(first + "Conv2D")
    return text[start : text.index("```", start)]


def test_a_dataset_shapes_the_template_and_offers_its_shape_as_a_fix(
    page: Page, base_url: str, shot
) -> None:
    dataset = mnist_like(base_url)
    open_builder(page)
    page.get_by_test_id("dataset").select_option(str(dataset["id"]))
    expect(page.get_by_test_id("template-cnn")).to_contain_text("28x28x1")
    page.get_by_test_id("template-cnn").click()
    expect(page.get_by_test_id("input-shape")).to_have_value("28,28,1")
    expect(page.get_by_test_id("summary-row-0")).to_contain_text("(None, 26, 26, 16)")
    expect(page.locator("#builder .warning")).to_have_count(0)

    # The tutorial's own shape, 32x32x3, does not fit MNIST: said at once, with the fix.
    page.get_by_test_id("input-shape").fill("32,32,3")
    note = page.locator(".b-field-problems[data-for='input_shape'] .warning")
    expect(note).to_contain_text("[28, 28, 1]")
    shot("builder-dataset-shape-fix")
    note.get_by_role("button", name="Use the dataset's shape [28, 28, 1]").click()
    expect(page.get_by_test_id("input-shape")).to_have_value("28,28,1")
    expect(page.locator("#builder .warning")).to_have_count(0)

    # Units against classes, before any Start.
    page.get_by_test_id("layer-4").click()
    page.get_by_test_id("arg-units").fill("5")
    warning = page.get_by_test_id("layer-4").locator(".warning")
    expect(warning).to_contain_text("5 units, but the dataset has 10 classes")
    warning.get_by_role("button", name="Set units to 10").click()
    expect(page.get_by_test_id("layer-4").locator(".b-layer-args")).to_contain_text("units=10")
    expect(page.locator("#builder .warning")).to_have_count(0)


def test_paste_the_tutorials_cnn_and_read_103562_params(page: Page, shot) -> None:
    open_builder(page)
    page.get_by_test_id("paste-code").click()
    expect(page.get_by_test_id("import-dialog")).to_be_visible()
    code = tutorial_cnn_code() + "print(model.summary())\n"
    page.get_by_test_id("import-source").fill(code)
    page.get_by_test_id("import-run").click()
    expect(page.get_by_test_id("import-done")).to_contain_text("Imported 5 layers, 103,562 params")
    # The line that does not build the model is noted beside itself.
    last = len(code.rstrip("\n").split("\n"))
    noted = page.locator(f".b-code li[data-line='{last}']")
    expect(noted.get_by_test_id("import-note")).to_be_visible()
    shot("builder-paste-code")
    page.get_by_test_id("import-close").click()
    expect(page.get_by_test_id("import-dialog")).to_be_hidden()
    expect(page.get_by_test_id("total-params")).to_have_text("103,562")
    expect(page.get_by_test_id("input-shape")).to_have_value("32,32,3")
    titles = page.get_by_test_id("stack").locator("li.layer strong")
    expect(titles).to_have_text(["Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"])


def test_export_python_downloads_a_script(page: Page) -> None:
    open_builder(page)
    page.get_by_test_id("template-mlp").click()
    expect(page.get_by_test_id("total-params")).to_have_text("4,810")
    with page.expect_download() as info:
        page.get_by_test_id("export-python").click()
    download = info.value
    assert download.suggested_filename == "MLP_for_8x8_digits.py"
    script = Path(download.path()).read_text()
    assert "from tensorflow.keras.models import Sequential" in script
    assert "Dense(64, activation='relu')" in script
    assert "model.compile(" in script


def test_optimizer_and_regularizer_parameters_reach_the_saved_architecture(
    page: Page, base_url: str
) -> None:
    open_builder(page)
    page.get_by_test_id("template-mlp").click()
    page.get_by_test_id("optimizer").select_option("sgd")
    page.get_by_test_id("optimizer-momentum").fill("0.9")
    page.get_by_test_id("learning-rate").fill("0.001")
    page.get_by_test_id("loss-label_smoothing").wait_for(state="detached")  # sparse: no smoothing
    page.get_by_test_id("layer-1").click()
    page.get_by_test_id("arg-kernel_regularizer").select_option("l2")
    page.get_by_test_id("arg-kernel_regularizer-l2").fill("0.001")
    page.get_by_test_id("metric-top_k_categorical_accuracy").check()
    expect(page.get_by_test_id("metric-top_k_categorical_accuracy-k")).to_be_visible()
    expect(page.get_by_test_id("total-params")).to_have_text("4,810")
    page.get_by_test_id("save").click()
    expect(page).to_have_url(re.compile(r"architecture=\d+"))
    architecture_id = page.url.rsplit("=", 1)[1]
    saved = httpx.get(f"{base_url}/api/architectures/{architecture_id}").json()
    assert saved["compile"]["optimizer"] == {"name": "SGD", "learning_rate": 0.001, "momentum": 0.9}
    assert saved["layers"][1]["args"]["kernel_regularizer"] == {"name": "L2", "l2": 0.001}
    assert "top_k_categorical_accuracy" in saved["compile"]["metrics"]
    # Reopened, the form shows what was saved.
    open_builder(page, f"/builder?architecture={architecture_id}")
    expect(page.get_by_test_id("optimizer-momentum")).to_have_value("0.9")
    page.get_by_test_id("layer-1").click()
    expect(page.get_by_test_id("arg-kernel_regularizer-l2")).to_have_value("0.001")


def test_layers_before_a_fault_keep_their_shapes(page: Page, shot) -> None:
    open_builder(page)
    page.get_by_test_id("template-cnn").click()
    expect(page.get_by_test_id("total-params")).to_have_text("103,562")
    page.get_by_test_id("layer-3").click()
    page.get_by_test_id("arg-units").fill("0")
    expect(page.get_by_test_id("layer-3").locator(".problem")).to_contain_text("units")
    expect(page.get_by_test_id("summary-message")).to_contain_text("does not build from layer 3")
    expect(page.get_by_test_id("summary-row-0")).to_contain_text("(None, 30, 30, 16)")
    expect(page.get_by_test_id("summary-row-2")).to_contain_text("(None, 1600)")
    expect(page.get_by_test_id("summary-fault")).to_contain_text("layer 3 (Dense)")
    expect(page.get_by_test_id("partial-params")).to_have_text("448")
    expect(page.get_by_test_id("layer-0").locator(".b-layer-facts")).to_have_text(
        "(None, 30, 30, 16) · 448 params"
    )
    shot("builder-partial-summary")


def test_the_train_page_explains_batch_size_and_epochs_and_takes_pasted_fit_settings(
    page: Page, base_url: str
) -> None:
    source = (
        "model = Sequential([Flatten(input_shape=(8, 8)), Dense(10, activation='softmax')])\n"
        "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n"
    )
    body = {"source": source, "save": True}
    stack = httpx.post(f"{base_url}/api/architectures/import", json=body).json()
    page.goto(f"/train?architecture={stack['id']}&epochs=7&batch_size=256")
    expect(page.get_by_test_id("train-epochs")).to_have_value("7")
    expect(page.get_by_test_id("train-batch-size")).to_have_value("256")
    expect(page.get_by_test_id("batch-size-help")).to_contain_text("Samples per weight update")
    expect(page.get_by_test_id("epochs-help")).to_contain_text("one pass over every")
