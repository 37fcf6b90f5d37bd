"""One run, start to end, inside a worker: the tutorial's compile, fit, evaluate and save."""

from __future__ import annotations

import json
import os
import traceback
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.accounts.quotas import folder_size
from app.ml import checkpoint
from app.ml.callbacks import Cancelled, NonFiniteLoss, Recorder
from app.ml.compiler import build_model, compile_kwargs
from app.ml.data import EpochBatches, hold_out, load
from app.models import AUTO_STEPS_PER_EXECUTION, Dataset, Run, RunStatus
from app.paths import DataPaths
from app.runs import state
from app.stacks import check_stack
from app.stacks.cpu_twin import cpu_twin, needs_twin
from app.storage import DiskFull, disk_full_message, is_disk_full, writing


def _callbacks(fit: dict[str, Any]) -> list[keras.callbacks.Callback]:
    out: list[keras.callbacks.Callback] = []
    if fit.get("early_stopping"):
        out.append(keras.callbacks.EarlyStopping(**fit["early_stopping"]))
    if fit.get("reduce_lr_on_plateau"):
        out.append(keras.callbacks.ReduceLROnPlateau(**fit["reduce_lr_on_plateau"]))
    return out


def _model(run: Run) -> tuple[keras.Sequential, tuple[int, ...] | None]:
    stack = check_stack(run.stack, max_layers=10_000)
    twin_axes = None
    if needs_twin(stack):  # TensorFlow's CPU kernels only run channels_last convolutions
        stack, twin_axes = cpu_twin(stack)
    model = build_model(stack)
    steps = run.fit.get("steps_per_execution") or AUTO_STEPS_PER_EXECUTION
    model.compile(**compile_kwargs(stack.compile), steps_per_execution=steps)
    return model, twin_axes


def _data(run: Run, folder: Path, twin_axes: tuple[int, ...] | None) -> dict:
    prep, fit = run.preprocessing, run.fit
    train = load(folder, "train", prep, twin_axes)
    test = load(folder, "test", prep, twin_axes)
    assert train is not None
    sparse = np.load(folder / "y_train.npy")
    if fit["validation"] == "test" and test is not None:
        return {"train": train, "val": test, "test": test}
    fitted, val = hold_out(*train, sparse, fit["validation_split"])
    return {"train": fitted, "val": val, "test": test}


def _evaluate(
    model: keras.Sequential,
    test: tuple[np.ndarray, np.ndarray] | None,
    prep: dict[str, Any],
    batch_size: int,
) -> dict[str, Any]:
    if test is None:
        return {}
    x, y = test
    metrics = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    out: dict[str, Any] = {"test_metrics": {k: float(v) for k, v in metrics.items()}}
    classes = len(prep["class_names"])
    scores = model.predict(x, batch_size=max(batch_size, 256), verbose=0)
    if prep["labels"] == "binary":
        predicted = (scores[:, 0] > (0.0 if _from_logits(model) else 0.5)).astype(int)
        truth = y[:, 0].astype(int)
    elif prep["labels"] == "value":
        predicted = np.clip(np.rint(scores[:, 0]), 0, classes - 1).astype(int)
        truth = y[:, 0].astype(int)
    else:
        predicted = scores.argmax(axis=1)
        truth = y.argmax(axis=1) if y.ndim == 2 else y
    confusion = np.zeros((classes, classes), dtype=int)
    np.add.at(confusion, (truth, predicted), 1)
    out["confusion"] = confusion.tolist()
    return out


def _from_logits(model: keras.Sequential) -> bool:
    config: dict[str, Any] = model.loss.get_config() if hasattr(model.loss, "get_config") else {}
    return bool(config.get("from_logits", False))


def _save_model(model: keras.Sequential, path: Path, run: Run, twin: bool) -> None:
    """The trained model as .keras, with class names and preprocessing inside the archive;
    it takes its name only once complete (a full disk leaves no half-written model)."""
    meta = {
        "class_names": run.preprocessing["class_names"],
        "preprocessing": run.preprocessing,
        "channels_last_twin": twin,
        "layerstack_run": run.id,
    }
    tmp = path.with_name(f"{path.stem}.tmp{path.suffix}")  # Keras wants the .keras suffix
    kept = "Every epoch's metrics and the last epoch's checkpoint are kept"
    try:
        with writing("the trained model (model.keras)", kept=kept):
            model.save(tmp)
            with zipfile.ZipFile(tmp, "a") as archive:
                archive.writestr("layerstack.json", json.dumps(meta, indent=2))
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def train_run(
    engine: Engine, paths: DataPaths, run_id: int, is_cancelled: Callable[[], bool]
) -> RunStatus:
    """Train a claimed run to its end; the final status (with the run's size on disk)."""
    values: dict[str, Any] = {}
    try:
        values = _train(engine, paths, run_id, is_cancelled)
        status = RunStatus.COMPLETED
    except Cancelled:
        status = RunStatus.CANCELLED
    except (NonFiniteLoss, DiskFull) as error:  # said in words: what happened, what to do
        status, values = RunStatus.FAILED, {"error": str(error)}
    except Exception as error:  # the worker lives on; the run records what went wrong
        status, values = RunStatus.FAILED, {"error": _failure(error)}
    state.finish(engine, run_id, status, size_bytes=folder_size(paths.run(run_id)), **values)
    return status


def _failure(error: Exception) -> str:
    """A failed run's message: a full disk in words, anything else as Python states it."""
    if is_disk_full(error):  # not one of the writes named in _save_model and the callback
        kept = "The epochs recorded so far are kept"
        return disk_full_message("the run's files or metrics", "DATA_DIR", kept)
    detail = "".join(traceback.format_exception_only(type(error), error)).strip()
    return f"Training failed: {detail}"[:4000]


def _train(
    engine: Engine, paths: DataPaths, run_id: int, is_cancelled: Callable[[], bool]
) -> dict[str, Any]:
    """Fit, evaluate and save; what the finished run records (test metrics, confusion)."""
    with Session(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        dataset = session.get(Dataset, run.dataset_id)
        assert dataset is not None and dataset.id is not None
    paths.run(run_id).mkdir(parents=True, exist_ok=True)
    fit, seed = run.fit, run.fit["seed"]
    keras.utils.set_random_seed(seed)
    model, twin_axes = _model(run)
    arrays = _data(run, paths.dataset(dataset.id), twin_axes)
    ckpt = paths.checkpoint(run_id)
    first = checkpoint.load(model, ckpt) if run.epochs_done and ckpt.exists() else 0
    x, y = arrays["train"]
    batches = EpochBatches(x, y, fit["batch_size"], seed, fit["shuffle"])
    recorder = Recorder(
        steps=batches.steps,
        on_epoch_begin=batches.set_epoch,
        epochs=fit["epochs"],
        checkpoint_path=ckpt,
        is_cancelled=is_cancelled,
        on_progress=lambda p: state.set_progress(engine, run_id, p),
        on_epoch=lambda e, logs: state.record_epoch(engine, run_id, e, logs),
    )
    if first < fit["epochs"]:
        model.fit(
            batches.dataset,
            epochs=fit["epochs"],
            initial_epoch=first,
            validation_data=arrays["val"],
            validation_batch_size=fit["batch_size"],
            callbacks=[recorder, *_callbacks(fit)],
            verbose=0,
        )
    results = _evaluate(model, arrays["test"], run.preprocessing, fit["batch_size"])
    _save_model(model, paths.model(run_id), run, twin_axes is not None)
    return results


def warm_up() -> None:
    """Build and fit a tiny model once, so the first real run starts without that cost."""
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(np.zeros((8, 4), "float32"), np.zeros(8), epochs=1, verbose=0)
