"""Deployment exports (app/runs/exports.py, app/ml/deploy.py): each format is built once in a
process of its own, checked there against the Keras model, and, downloaded, loads in its
own runtime in a fresh process and gives the Keras model's answers on 100 of the run's test
samples (the float formats to float32 rounding, int8 weights to >= 99% top-1 agreement)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import httpx
import pytest

from tests.helpers.runs import submit
from tests.helpers.stacks import DIGITS_CNN

pytestmark = pytest.mark.keras
FORMATS = {"savedmodel": "zip", "tflite": "tflite", "tflite-int8": "tflite", "onnx": "onnx"}

# Loads each file with its own runtime, never with Layerstack's code, as a user would.
CHECK = textwrap.dedent("""
    import json, sys, zipfile
    import numpy as np, keras, tensorflow as tf, onnxruntime

    data = np.load("data.npz")
    x = (data["x_test"][:100].astype("float32") / 16.0).reshape(-1, 8, 8, 1)
    want = keras.saving.load_model("model.keras", compile=False).predict(x, verbose=0)

    def tflite(path):
        it = tf.lite.Interpreter(model_path=path)
        it.resize_tensor_input(it.get_input_details()[0]["index"], list(x.shape))
        it.allocate_tensors()
        it.set_tensor(it.get_input_details()[0]["index"], x)
        it.invoke()
        return it.get_tensor(it.get_output_details()[0]["index"])

    zipfile.ZipFile("savedmodel.zip").extractall("saved")
    serve = tf.saved_model.load("saved/model").signatures["serving_default"]
    got = {
        "savedmodel": next(iter(serve(tf.constant(x)).values())).numpy(),
        "tflite": tflite("tflite.tflite"),
        "tflite-int8": tflite("tflite-int8.tflite"),
        "onnx": onnxruntime.InferenceSession("onnx.onnx").run(None, {"input": x})[0],
    }
    print(json.dumps({name: {
        "agreement": float((y.argmax(1) == want.argmax(1)).mean()),
        "max_difference": float(np.abs(y - want).max()),
    } for name, y in got.items()}))
""")


def test_each_format_loads_in_its_own_runtime_and_agrees_with_keras(
    trainer, digits_cnn_run, tmp_path
):
    run_id = digits_cnn_run["id"]
    listed = httpx.get(f"{trainer.url}/api/runs/{run_id}/exports").json()
    assert [f["format"] for f in listed["formats"]] == ["keras", *FORMATS]
    assert all(f["report"] is None for f in listed["formats"] if f["format"] != "keras")
    assert "x / 16" in listed["formats"][0]["input"]  # digits are 0..16: scaled first
    size_before = httpx.get(f"{trainer.url}/api/runs/{run_id}").json()["size_bytes"]
    for name, suffix in FORMATS.items():
        answer = httpx.get(f"{trainer.url}/api/runs/{run_id}/export", params={"format": name},
                           timeout=300)  # fmt: skip
        assert answer.status_code == 200, answer.text
        assert float(answer.headers["x-export-agreement"]) >= (0.99 if "int8" in name else 1.0)
        assert int(answer.headers["x-export-compared"]) > 100  # the digits' test split
        (tmp_path / f"{name}.{suffix}").write_bytes(answer.content)
    model = httpx.get(f"{trainer.url}/api/runs/{run_id}/export", params={"format": "keras"})
    (tmp_path / "model.keras").write_bytes(model.content)
    built = sum((tmp_path / f"{name}.{suffix}").stat().st_size for name, suffix in FORMATS.items())
    size = httpx.get(f"{trainer.url}/api/runs/{run_id}").json()["size_bytes"]
    assert size >= size_before + built  # the exports count in the run's size (and quota)
    data = httpx.get(f"{trainer.url}/api/datasets/{digits_cnn_run['dataset_id']}/export.npz")
    (tmp_path / "data.npz").write_bytes(data.content)
    (tmp_path / "check.py").write_text(CHECK)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "check.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    for name in ("savedmodel", "tflite", "onnx"):
        assert found[name]["agreement"] == 1.0 and found[name]["max_difference"] < 1e-5, name
    assert found["tflite-int8"]["agreement"] >= 0.99
    assert found["tflite-int8"]["max_difference"] < 0.1  # int8 weights, float activations

    # Listed now with their reports, and built once: a second download is the same file.
    listed = {f["format"]: f for f in httpx.get(f"{trainer.url}/api/runs/{run_id}/exports")
              .json()["formats"]}  # fmt: skip
    onnx = listed["onnx"]["report"]
    assert onnx["size"] == (tmp_path / "onnx.onnx").stat().st_size and onnx["samples"] == "test"
    assert "onnxruntime.InferenceSession('model.onnx')" in listed["onnx"]["load"]
    again = httpx.get(f"{trainer.url}/api/runs/{run_id}/export", params={"format": "onnx"})
    assert again.content == (tmp_path / "onnx.onnx").read_bytes()
    exports = trainer.data_dir / "runs" / str(run_id) / "exports"
    assert not [p.name for p in exports.iterdir() if p.name.startswith(".")]  # no work left


def test_what_cannot_be_exported_is_refused_in_words(trainer, digits_cnn_run):
    url = f"{trainer.url}/api/runs/{digits_cnn_run['id']}/export"
    wrong = httpx.get(url, params={"format": "pdf"})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["query", "format"]
    missing = httpx.get(
        url.replace(f"/{digits_cnn_run['id']}/", "/999999/"), params={"format": "onnx"}
    )
    assert missing.status_code == 404
    queued = submit(trainer, DIGITS_CNN, epochs=400, seed=5)["id"]  # long: cancelled below
    try:
        early = httpx.get(f"{trainer.url}/api/runs/{queued}/export", params={"format": "onnx"})
        assert early.status_code == 409 and "completes" in early.json()["detail"]
    finally:
        httpx.post(f"{trainer.url}/api/runs/{queued}/cancel")


def test_one_build_per_run_and_format_at_a_time_and_no_lock_outlives_it():
    import threading
    import time

    from app.runs import exports

    inside: dict[tuple[int, str], int] = {}
    most: dict[tuple[int, str], int] = {}

    def build(key: tuple[int, str]) -> None:
        with exports._alone(*key):
            inside[key] = inside.get(key, 0) + 1
            most[key] = max(most.get(key, 0), inside[key])
            time.sleep(0.02)
            inside[key] -= 1

    keys = [(1, "onnx")] * 4 + [(1, "tflite")] * 2 + [(2, "onnx")] * 2
    threads = [threading.Thread(target=build, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == {(1, "onnx"): 1, (1, "tflite"): 1, (2, "onnx"): 1}
    assert exports._building == {}  # a build's lock goes with its last user
