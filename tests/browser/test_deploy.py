"""The run page's Deploy card: each format builds on click, downloads, and then shows its
size and how closely it agrees with the Keras model; the bundle is one link."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.helpers.stacks import mlp

pytestmark = pytest.mark.browser
TRAINING = 60_000  # ms
CONVERTING = 120_000  # ms: a process of its own imports TensorFlow first


def test_deploy_card_builds_a_format_on_click_and_shows_its_figures(
    page: Page, base_url: str, shot
) -> None:
    body = {"architecture": {**mlp([8, 8]), "name": "deploy card"}, "dataset_id": 1,
            "fit": {"epochs": 2, "seed": 4}}  # fmt: skip
    run = httpx.post(f"{base_url}/api/runs", json=body).raise_for_status().json()
    page.goto(f"/runs/{run['id']}")
    expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=TRAINING)
    card = page.get_by_test_id("deploy")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Every format takes float32 of shape (batch, 8, 8); pixels are "
                                 "scaled first: x / 16")  # fmt: skip
    expect(page.get_by_test_id("export-agreement-tflite")).to_have_text("checked when built")

    with page.expect_download(timeout=CONVERTING) as info:
        page.get_by_test_id("export-tflite").click()
    download = info.value
    assert download.suggested_filename == f"run-{run['id']}-model.tflite"
    assert Path(download.path()).read_bytes()[4:8] == b"TFL3"  # a FlatBuffer of TFLite
    agreement = page.get_by_test_id("export-agreement-tflite")
    expect(agreement).to_contain_text("100% top-1 on", timeout=CONVERTING)
    expect(page.get_by_test_id("export-size-tflite")).to_contain_text("KB")
    expect(page.get_by_test_id("export-tflite")).to_have_text("Download")
    shot("run-deploy")

    with page.expect_download() as info:
        page.get_by_test_id("bundle-link").click()
    with zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes())) as archive:
        assert "run.py" in archive.namelist()
