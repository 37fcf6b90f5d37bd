"""One run, start to end, wherever it trains: the tutorial's compile, fit, evaluate and save.

`train` sees a Job, the dataset's arrays and a Sink (app/ml/job.py), nothing else: no
database, no DATA_DIR. Each executor supplies those and keeps what comes back (the local
worker in app/executors/local_job.py, the Ray dispatcher through app/runs/epochs.py).
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from app.ml import checkpoint, confusion
from app.ml.callbacks import EarlyStopping, Recorder, ReduceLROnPlateau
from app.ml.compiler import build_model, compile_kwargs
from app.ml.data import EpochBatches, hold_out, prepare
from app.ml.job import Arrays, Job, Outcome, Sink
from app.models.fit import AUTO_STEPS_PER_EXECUTION
from app.stacks import check_stack
from app.stacks.cpu_twin import cpu_twin, needs_twin
from app.storage import writing

MODEL_KEPT = "Every epoch's metrics and the last epoch's checkpoint are kept"


def _callbacks(fit: dict[str, Any]) -> list[EarlyStopping | ReduceLROnPlateau]:
    out: list[EarlyStopping | ReduceLROnPlateau] = []
    if fit.get("early_stopping"):
        out.append(EarlyStopping(**fit["early_stopping"]))
    if fit.get("reduce_lr_on_plateau"):
        out.append(ReduceLROnPlateau(**fit["reduce_lr_on_plateau"]))
    return out


def _model(job: Job) -> tuple[keras.Sequential, tuple[int, ...] | None]:
    stack = check_stack(job.stack, max_layers=10_000)
    twin_axes = None
    if needs_twin(stack):  # TensorFlow's CPU kernels only run channels_last convolutions
        stack, twin_axes = cpu_twin(stack)
    model = build_model(stack)
    steps = job.fit.get("steps_per_execution") or AUTO_STEPS_PER_EXECUTION
    model.compile(**compile_kwargs(stack.compile), steps_per_execution=steps)
    return model, twin_axes


def _data(job: Job, arrays: Arrays, twin_axes: tuple[int, ...] | None) -> dict:
    prep, fit = job.preprocessing, job.fit
    train = prepare(arrays, "train", prep, twin_axes)
    test = prepare(arrays, "test", prep, twin_axes)
    assert train is not None
    if fit["validation"] == "test" and test is not None:
        return {"train": train, "val": test, "test": test}
    sparse = np.asarray(arrays["train"][1])
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
    scores = model.predict(x, batch_size=confusion.predict_batch(batch_size), verbose=0)
    truth, predicted = confusion.classes(scores, y, prep["labels"], classes, _from_logits(model))
    out["confusion"] = confusion.matrix(truth, predicted, classes)
    return out


def _from_logits(model: keras.Sequential) -> bool:
    config: dict[str, Any] = model.loss.get_config() if hasattr(model.loss, "get_config") else {}
    return bool(config.get("from_logits", False))


def _model_bytes(model: keras.Sequential, job: Job, twin: bool) -> bytes:
    """The trained model as a .keras file, with class names and preprocessing inside the
    archive; made in a temporary folder of its own (Keras saves to a path), which goes."""
    meta = {
        "class_names": job.preprocessing["class_names"],
        "preprocessing": job.preprocessing,
        "channels_last_twin": twin,
        "layerstack_run": job.run_id,
    }
    with tempfile.TemporaryDirectory(prefix="layerstack-model-") as folder:
        path = Path(folder) / "trained.keras"  # not DATA_DIR: no name of its layout
        where = f"{Path(folder).parent} (the temporary folder, TMPDIR)"
        with writing("the trained model (model.keras)", where=where, kept=MODEL_KEPT):
            model.save(path)
            with zipfile.ZipFile(path, "a") as archive:
                archive.writestr("layerstack.json", json.dumps(meta, indent=2))
        return path.read_bytes()


def _start(job: Job, model: keras.Sequential, callbacks: Sequence[checkpoint.Stateful]) -> int:
    """The epoch training starts from: the job's checkpoint restored, or 0."""
    first = 0 if job.checkpoint is None else checkpoint.restore(model, job.checkpoint, callbacks)
    if first != job.start_epoch:
        held = "no checkpoint" if job.checkpoint is None else f"a checkpoint of epoch {first}"
        raise ValueError(f"Run {job.run_id} starts after epoch {job.start_epoch} with {held}.")
    return first


def train(job: Job, arrays: Arrays, sink: Sink) -> Outcome:
    """Fit from the job's checkpoint (or from scratch), evaluate and save: the finished run's
    results and .keras file. Raises Cancelled, NonFiniteLoss, DiskFull (the model's
    temporary file), or whatever the sink raises, which stops training where it is."""
    fit = job.fit
    keras.utils.set_random_seed(fit["seed"])
    model, twin_axes = _model(job)
    data = _data(job, arrays, twin_axes)
    callbacks = _callbacks(fit)
    first = _start(job, model, callbacks)
    # A checkpoint taken as EarlyStopping stopped the run: no more epochs, but fit still
    # begins and ends, so EarlyStopping puts its best weights back as it did the first time.
    stopped = any(isinstance(c, EarlyStopping) and c.stopped_epoch > 0 for c in callbacks)
    x, y = data["train"]
    batches = EpochBatches(x, y, fit["batch_size"], fit["seed"], fit["shuffle"])
    recorder = Recorder(
        steps=batches.steps,
        epochs=fit["epochs"],
        sink=sink,
        stateful=callbacks,
        on_epoch_begin=batches.set_epoch,
    )
    model.fit(
        batches.dataset,
        epochs=first if stopped else max(first, fit["epochs"]),
        initial_epoch=first,
        validation_data=data["val"],
        validation_batch_size=fit["batch_size"],
        callbacks=[*callbacks, recorder],  # the Recorder last: it checkpoints their state
        verbose=0,
    )
    results = _evaluate(model, data["test"], job.preprocessing, fit["batch_size"])
    results["early_stopping"] = _early_stopping(callbacks, fit["epochs"])
    return Outcome(results, _model_bytes(model, job, twin_axes is not None))


def _early_stopping(
    callbacks: Sequence[EarlyStopping | ReduceLROnPlateau], epochs: int
) -> dict[str, Any] | None:
    """What EarlyStopping did, as it knows it after fit (1-based epochs): whether it stopped
    the run, its best epoch, and whose weights the model keeps. Keras puts the best weights
    back at the end of fit whenever restore_best_weights is on, stopped early or not; the
    run says so rather than leave "the last epoch's weights" to be assumed."""
    found = [c for c in callbacks if isinstance(c, EarlyStopping)]
    if not found:
        return None
    stopper = found[0]
    last = stopper.stopped_epoch + 1 if stopper.stopped_epoch > 0 else epochs
    seen = stopper.best is not None  # the monitored value was logged at least once
    restored = bool(stopper.restore_best_weights and stopper.best_weights is not None)
    best_epoch = stopper.best_epoch + 1 if seen else None
    return {
        "monitor": stopper.monitor,
        "stopped_epoch": last if stopper.stopped_epoch > 0 else None,
        "best_epoch": best_epoch,
        "best": float(stopper.best) if seen else None,
        "restored_best_weights": restored,
        "weights_epoch": best_epoch if restored and best_epoch is not None else last,
    }


def warm_up() -> None:
    """Build and fit a tiny model once, so the first real run starts without that cost."""
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(np.zeros((8, 4), "float32"), np.zeros(8), epochs=1, verbose=0)
