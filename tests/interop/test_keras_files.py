"""Keras files both ways through a real server: model.to_json() out (made in the inference
process), a trained .keras file's architecture back in."""

import io
import zipfile

import httpx
import pytest

from tests.helpers.runs import submit, wait_for
from tests.helpers.stacks import SEED_CNN, mlp

pytestmark = pytest.mark.keras


def test_keras_json_export_imports_back_to_the_same_stack(trainer):
    saved = httpx.post(f"{trainer.url}/api/architectures", json=SEED_CNN).json()
    exported = httpx.get(f"{trainer.url}/api/architectures/{saved['id']}/export",
                         params={"format": "keras-json"}, timeout=60)  # fmt: skip
    assert exported.status_code == 200, exported.text
    assert exported.json()["class_name"] == "Sequential"
    back = httpx.post(f"{trainer.url}/api/architectures/import",
                      json={"format": "keras-json", "source": exported.text}).json()  # fmt: skip
    # The same model; Keras stores pool_size [3, 3] as (3, 3), which comes back as 3.
    original = httpx.post(f"{trainer.url}/api/summary", json=saved).json()
    assert back["summary"] == original
    assert [layer["type"] for layer in back["architecture"]["layers"]] == [
        layer["type"] for layer in saved["layers"]
    ]
    assert back["architecture"]["compile"] == saved["compile"]


def test_a_trained_keras_file_imports_its_architecture(trainer):
    run = wait_for(trainer, submit(trainer, mlp([8, 8]), epochs=1)["id"])
    model = httpx.get(f"{trainer.url}/api/runs/{run['id']}/model.keras").content
    answer = httpx.post(f"{trainer.url}/api/architectures/import-file",
                        files={"file": ("run.keras", model)}, data={"save": "true"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["architecture"]["layers"] == run["stack"]["layers"]
    assert body["id"] is not None and body["summary"]["total_params"] == 4810


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data,words",
    [
        (b"not a zip", "not a .keras file"),
        (_zip({"model.weights.h5": b"x"}), "no config.json"),
        (_zip({"config.json": b" " * 1_100_000}), "over the cap"),
        (_zip({"config.json": b'{"class_name": "Functional", "config": {}}'}), "only Sequential"),
        (_zip({"config.json": b'{"class_name": "Sequential", "config": {"layers": ['
                              b'{"class_name": "Lambda", "config": {}}]}}'}), "Lambda"),
    ],
)  # fmt: skip
def test_bad_keras_files_are_refused(trainer, data, words):
    answer = httpx.post(f"{trainer.url}/api/architectures/import-file",
                        files={"file": ("bad.keras", data)})  # fmt: skip
    assert answer.status_code == 422, answer.text
    assert words in answer.json()["detail"][0]["msg"]
