"""A completed run's model for deployment: SavedModel, TFLite (float and int8 weights), ONNX,
or the .keras file itself, each verified against the Keras model on the run's own samples.

Conversions run in a process of their own (app/ml/deploy.py: TensorFlow never enters the web
process), one export at a time per run and format, holding one of the MAX_IMPORTS work
slots, killed after EXPORT_TIMEOUT_S. The file and its report are kept in the run's folder
(DATA_DIR/runs/<id>/exports/), so each format is built once per run and goes with the run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import update
from sqlmodel import Session, col

from app.accounts import quotas
from app.config import Settings
from app.errors import Conflict, Failed, Unavailable, disk_full_is_507
from app.interop.bundle import bundle_file
from app.interop.python_export import comment_text
from app.models import Dataset, Run, User
from app.paths import DataPaths, split_files
from app.processes import quiet_tensorflow
from app.runs.service import export_script, get_run, model_file
from app.slots import Slots

SAMPLES = 1000  # compared per export: enough to see a 0.1% disagreement
RETRY_AFTER_S = 5


@dataclass(frozen=True)
class Format:
    file: str
    media_type: str
    minimum: float  # top-1 agreement below which the export is refused
    load: str  # how to load it, two lines; {file} is the downloaded file's name
    about: str


FORMATS: dict[str, Format] = {
    "keras": Format(
        "model.keras",
        "application/octet-stream",
        1.0,
        "import keras\nmodel = keras.saving.load_model('{file}')",
        "The Keras model itself, with its class names and preprocessing (layerstack.json).",
    ),
    "savedmodel": Format(
        "model-savedmodel.zip",
        "application/zip",
        1.0,
        "import tensorflow as tf  # after unzipping: a folder named model\n"
        "probabilities = tf.saved_model.load('model').signatures['serving_default'](x)",
        "TensorFlow SavedModel (zipped), serving signature 'serving_default'; for TF Serving.",
    ),
    "tflite": Format(
        "model.tflite",
        "application/octet-stream",
        1.0,
        "import tensorflow as tf  # or: from ai_edge_litert.interpreter import Interpreter\n"
        "interpreter = tf.lite.Interpreter(model_path='{file}'); interpreter.allocate_tensors()",
        "TensorFlow Lite (LiteRT), float32: phones and microcontrollers.",
    ),
    "tflite-int8": Format(
        "model-int8.tflite",
        "application/octet-stream",
        0.99,
        "import tensorflow as tf  # or: from ai_edge_litert.interpreter import Interpreter\n"
        "interpreter = tf.lite.Interpreter(model_path='{file}'); interpreter.allocate_tensors()",
        "TensorFlow Lite with int8 weights (dynamic-range quantization): about 4x smaller.",
    ),
    "onnx": Format(
        "model.onnx",
        "application/octet-stream",
        1.0,
        "import onnxruntime\n"
        "probabilities = onnxruntime.InferenceSession('{file}').run(None, {{'input': x}})[0]",
        "ONNX (opset 17), for onnxruntime, ONNX.js and other runtimes; input named 'input'.",
    ),
}
# Float formats compute the same function in another order: a few ulps of float32 apart.
FLOAT_TOLERANCE = 1e-3

# One build per (run, format) at a time; an entry lives while someone holds or waits for it.
_building: dict[tuple[int, str], tuple[threading.Lock, list[int]]] = {}
_guard = threading.Lock()


def folder(paths: DataPaths, run_id: int) -> Path:
    return paths.run(run_id) / "exports"


def report(paths: DataPaths, run_id: int, name: str) -> dict[str, Any] | None:
    """What the export of `name` was found to be, or None if it has not been built."""
    if name == "keras":
        model = paths.model(run_id)
        if not model.exists():
            return None
        return {"agreement": 1.0, "max_difference": 0.0, "compared": 0, "samples": "none",
                "size": model.stat().st_size}  # fmt: skip
    try:
        saved: dict[str, Any] = json.loads((folder(paths, run_id) / f"{name}.json").read_text())
    except FileNotFoundError:
        return None
    return saved


def describe(paths: DataPaths, run_id: int, prep: dict[str, Any]) -> list[dict[str, Any]]:
    """Every format: what it is, how to load it, and its report once built."""
    return [
        {
            "format": name,
            "file": spec.file,
            "about": spec.about,
            "load": spec.load.format(file=spec.file),
            "input": input_note(prep),
            "report": report(paths, run_id, name),
        }
        for name, spec in FORMATS.items()
    ]


def input_note(prep: dict[str, Any]) -> str:
    """What the exported model takes: the shape, and the scaling done before it."""
    shape = ", ".join(str(n) for n in prep["model_shape"])
    scaling = ""
    if prep["scale"] != 1.0 or prep["offset"] != 0.0:
        offset = f" + {prep['offset']:.6g}" if prep["offset"] else ""
        divisor = 1 / prep["scale"]
        scaled = f"x / {round(divisor)}" if abs(divisor - round(divisor)) < 1e-6 else (
            f"x * {prep['scale']:.6g}")  # fmt: skip
        scaling = f"; pixels are scaled first: {scaled}{offset}"
    return f"float32 of shape (batch, {shape}){scaling}"


def build(
    paths: DataPaths,
    slots: Slots,
    run_id: int,
    dataset_id: int | None,
    name: str,
    timeout_s: float,
) -> tuple[Path, dict[str, Any]]:
    """The export of `name` (built now if it was not) and its report."""
    if name == "keras":
        return paths.model(run_id), report(paths, run_id, name) or {}
    target = folder(paths, run_id) / FORMATS[name].file
    with _alone(run_id, name):
        found = report(paths, run_id, name)
        if found is not None and target.exists():
            return target, found
        with slots.hold(f"{name} export"):
            made = _convert(paths, run_id, dataset_id, name, target, timeout_s)
        spec = FORMATS[name]
        if made["agreement"] < spec.minimum or (
            spec.minimum == 1.0 and made["max_difference"] > FLOAT_TOLERANCE
        ):
            target.unlink(missing_ok=True)
            raise Failed(
                f"The {name} export of run {run_id} disagrees with the Keras model: top-1 "
                f"agreement {made['agreement']:.2%} (needs {spec.minimum:.0%}), largest output "
                f"difference {made['max_difference']:.3g} on {made['compared']} samples. "
                f"It was not kept; try another format."
            )
        with disk_full_is_507(f"the {name} export's report"):
            (target.parent / f"{name}.json").write_text(json.dumps(made))
        return target, made


@contextmanager
def _alone(run_id: int, name: str) -> Iterator[None]:
    """Hold the (run, format)'s lock: a second request for the same export waits for the
    first one's file rather than converting it again."""
    key = (run_id, name)
    with _guard:
        lock, users = _building.setdefault(key, (threading.Lock(), [0]))
        users[0] += 1
    try:
        with lock:
            yield
    finally:
        with _guard:
            users[0] -= 1
            if not users[0]:
                del _building[key]


def _convert(
    paths: DataPaths,
    run_id: int,
    dataset_id: int | None,
    name: str,
    target: Path,
    timeout_s: float,
) -> dict[str, Any]:
    model = paths.model(run_id)
    samples = None
    if dataset_id is not None:
        for split in ("test", "train"):
            x_path, _ = split_files(paths.dataset(dataset_id), split)
            if x_path.exists():
                samples = str(x_path)
                break
    request = {"model": str(model), "format": name, "out": str(target), "samples": samples,
               "limit": SAMPLES}  # fmt: skip
    with disk_full_is_507(f"the {name} export"):
        target.parent.mkdir(parents=True, exist_ok=True)
    quiet_tensorflow()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "app.ml.deploy"],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
        )
    except subprocess.TimeoutExpired:
        for left in target.parent.glob(f".{target.name}-*"):  # killed before its clean-up
            shutil.rmtree(left, ignore_errors=True)
        raise Unavailable(
            f"The {name} export of run {run_id} took longer than {timeout_s:g} s "
            f"(EXPORT_TIMEOUT_S) and was stopped; nothing was kept.",
            {"Retry-After": str(RETRY_AFTER_S)},
        ) from None
    lines = done.stdout.strip().splitlines()
    try:
        made: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        raise Failed(
            f"The {name} export of run {run_id} stopped (exit {done.returncode}): "
            f"{done.stderr.strip()[-500:] or 'no message'}"
        ) from None
    if "error" in made:
        if "No space left" in made["error"]:
            with disk_full_is_507(f"the {name} export"):
                raise OSError(28, made["error"])
        raise Conflict(f"Run {run_id}'s model cannot be exported as {name}: {made['error']}")
    return made


# The service functions the routes call.


def list_exports(session: Session, paths: DataPaths, user: User, run_id: int) -> dict[str, Any]:
    run = get_run(session, user, run_id)
    return {
        "run_id": run_id,
        "status": run.status,
        "formats": describe(paths, run_id, run.preprocessing) if run.preprocessing else [],
    }


def export_model(
    session: Session,
    paths: DataPaths,
    settings: Settings,
    slots: Slots,
    user: User,
    run_id: int,
    name: str,
) -> tuple[Path, dict[str, Any]]:
    """The run's model in format `name` and its report; 409 until the run has completed.
    A new file counts in the run's size (so in its owner's storage quota): 413 when they are
    over it already."""
    model_file(session, paths, user, run_id)
    run = get_run(session, user, run_id)
    owner = session.get(User, run.owner_id) if run.owner_id is not None else None
    dataset_id = run.dataset_id
    new = report(paths, run_id, name) is None
    if new:
        quotas.check_storage(session, settings, owner or user)
    session.rollback()  # no transaction held open while the conversion runs
    built = build(paths, slots, run_id, dataset_id, name, settings.export_timeout_s)
    if new:
        session.execute(
            update(Run)
            .where(col(Run.id) == run_id)
            .values(size_bytes=quotas.folder_size(paths.run(run_id)))
        )
        session.commit()
    return built


def export_bundle(session: Session, paths: DataPaths, user: User, run_id: int) -> IO[bytes]:
    """run.py, the dataset's .npz and a README in one zip; 409 if the dataset is gone."""
    run = get_run(session, user, run_id)
    dataset = session.get(Dataset, run.dataset_id) if run.dataset_id is not None else None
    if dataset is None or dataset.id is None:
        raise Conflict(
            f"Run {run_id}'s dataset was deleted, so its bundle cannot hold the data; "
            f"GET /api/runs/{run_id}/export.py still gives the script."
        )
    npz = f"dataset-{dataset.id}.npz"
    script = export_script(session, user, run_id)
    name = comment_text(run.stack.get("name") or "model")  # one printable line
    folder = paths.dataset(dataset.id)
    return bundle_file(run_id, name, script, folder, dataset.class_names, npz)
