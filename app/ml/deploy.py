"""Deployment exports of a trained model, each checked after conversion against the model.

Run as `python -m app.ml.deploy` by app/runs/exports.py, one process per export: a
conversion takes seconds and a few hundred MB, and a process of its own is bounded in time
(killed at EXPORT_TIMEOUT_S) and gives every byte back when it ends, which the long-lived
inference process would not. It reads one JSON request on stdin and writes one JSON report
on stdout:

    {"model": "runs/7/model.keras", "format": "onnx", "out": "runs/7/exports/model.onnx",
     "samples": "datasets/3/x_test.npy" | null, "limit": 1000}

The artifact is written beside `out` under a temporary name and renamed into place only
once it has been loaded by its own runtime (TensorFlow for SavedModel, the TFLite
interpreter, onnxruntime) and compared with the Keras model on the samples: top-1 agreement
and the largest difference in any output.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from app.processes import die_with_parent, quiet_tensorflow

Predict = Callable[[np.ndarray], np.ndarray]
RANDOM_SAMPLES = 100  # when the run's dataset is gone: inputs drawn in the model's range
BATCH = 100


def main() -> None:
    die_with_parent()
    quiet_tensorflow()
    request = json.loads(sys.stdin.read())
    try:
        report = export(request)
    except Exception as error:  # the converter's own words are what the user needs
        report = {"error": f"{type(error).__name__}: {error}"[:2000]}
    sys.stdout.write("\n" + json.dumps(report) + "\n")


def export(request: dict[str, Any]) -> dict[str, Any]:
    import keras

    model_path = Path(request["model"])
    meta = json.loads(zipfile.ZipFile(model_path).read("layerstack.json"))
    model = keras.saving.load_model(model_path, compile=False)
    x, source = _samples(request, meta, model)
    out = Path(request["out"])
    # Named after the export, so that the server can clear what a killed export left.
    with tempfile.TemporaryDirectory(prefix=f".{out.name}-", dir=out.parent) as work:
        artifact = CONVERTERS[request["format"]](model, Path(work), out.name)
        predict = RUNTIMES[request["format"]](artifact, Path(work))
        report = _compare(_keras(model), predict, x)
        os.replace(artifact, out)
    return {**report, "samples": source, "size": out.stat().st_size}


def _samples(request: dict[str, Any], meta: dict[str, Any], model: Any) -> tuple[np.ndarray, str]:
    """The run's own samples prepared as the model takes them (or random ones in its range)."""
    from app.ml.data import prepare_x

    shape = tuple(model.inputs[0].shape[1:])
    if request.get("samples") is None:
        rng = np.random.default_rng(0)
        return rng.random((RANDOM_SAMPLES, *shape), dtype=np.float32), "random"
    stored = np.load(request["samples"], mmap_mode="r")[: request["limit"]]
    twin = None
    if meta.get("channels_last_twin"):  # the saved model is the channels_last twin
        twin = (*range(1, len(shape)), 0)
    which = "test" if Path(request["samples"]).name.startswith("x_test") else "train"
    return prepare_x(stored, meta["preprocessing"], twin), which


def _keras(model: Any) -> Predict:
    return lambda x: np.asarray(model(x, training=False))


def _compare(reference: Predict, candidate: Predict, x: np.ndarray) -> dict[str, Any]:
    agree, worst, count = 0, 0.0, 0
    for start in range(0, len(x), BATCH):
        batch = np.ascontiguousarray(x[start : start + BATCH], dtype=np.float32)
        want, got = reference(batch), candidate(batch).reshape(reference(batch).shape)
        if want.shape[-1] > 1:
            agree += int((want.argmax(-1) == got.argmax(-1)).sum())
        else:  # one unit: the class is which side of 0.5 (or of 0 for logits) it falls
            agree += int(((want > 0.5) == (got > 0.5)).sum())
        worst = max(worst, float(np.abs(want - got).max()))
        count += len(batch)
    return {"agreement": agree / count, "max_difference": worst, "compared": count}


def _savedmodel(model: Any, work: Path, name: str) -> Path:
    folder = work / "model"
    model.export(folder, format="tf_saved_model", verbose=False)
    archive = work / name
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(folder.rglob("*")):
            out.write(path, path.relative_to(work))
    return archive


def _tflite(quantized: bool) -> Callable[[Any, Path, str], Path]:
    def convert(model: Any, work: Path, name: str) -> Path:
        import tensorflow as tf

        folder = work / "saved"
        model.export(folder, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(str(folder))
        if quantized:  # dynamic-range: int8 weights, float activations
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        path = work / name
        path.write_bytes(converter.convert())
        return path

    return convert


def _onnx(model: Any, work: Path, name: str) -> Path:
    import tensorflow as tf
    import tf2onnx

    shape = (None, *model.inputs[0].shape[1:])
    spec = (tf.TensorSpec(shape, tf.float32, name="input"),)
    serve = tf.function(lambda x: model(x, training=False), input_signature=spec)
    proto, _ = tf2onnx.convert.from_function(serve, input_signature=spec, opset=17)
    path = work / name
    path.write_bytes(proto.SerializeToString())
    return path


def _load_savedmodel(artifact: Path, work: Path) -> Predict:
    import tensorflow as tf

    target = work / "loaded"
    with zipfile.ZipFile(artifact) as archive:
        archive.extractall(target)
    loaded = tf.saved_model.load(str(target / "model"))
    serve = loaded.signatures["serving_default"]
    return lambda x: next(iter(serve(tf.constant(x)).values())).numpy()


def _load_tflite(artifact: Path, work: Path) -> Predict:
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_content=artifact.read_bytes())
    source, target = interpreter.get_input_details()[0], interpreter.get_output_details()[0]

    def predict(x: np.ndarray) -> np.ndarray:
        interpreter.resize_tensor_input(source["index"], list(x.shape))
        interpreter.allocate_tensors()
        interpreter.set_tensor(source["index"], x)
        interpreter.invoke()
        return np.array(interpreter.get_tensor(target["index"]))

    return predict


def _load_onnx(artifact: Path, work: Path) -> Predict:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(artifact), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda x: np.asarray(session.run(None, {name: x})[0])


CONVERTERS: dict[str, Callable[[Any, Path, str], Path]] = {
    "savedmodel": _savedmodel,
    "tflite": _tflite(quantized=False),
    "tflite-int8": _tflite(quantized=True),
    "onnx": _onnx,
}
RUNTIMES: dict[str, Callable[[Path, Path], Predict]] = {
    "savedmodel": _load_savedmodel,
    "tflite": _load_tflite,
    "tflite-int8": _load_tflite,
    "onnx": _load_onnx,
}

if __name__ == "__main__":
    main()
