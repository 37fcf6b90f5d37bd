"""What recording each epoch's weight histograms costs (issue 16 goal: under 3% of an epoch).

Side by side in one process: the trainer every executor uses (app/ml/training.py `train`),
the same job trained with recording on and off (app/ml/histograms.py ENABLED, a switch only
this benchmark turns), in turns, so both see the same machine. Three models: the digits MLP,
the tutorial CNN on MNIST (66,410 parameters) and a wide MLP on MNIST (669,706). For each:
the histograms' own time an epoch (timed around the call: the figure that matters) against
the epoch's time, and, on and off, the time between one epoch's end and the next one's start
(histograms, checkpoint, the sink) and the epoch's own time (noise: other work shares the
cores). Epoch 1 (graph tracing) is left out. Prints figures and whether
the goal is met; asserts no times (other processes share these machines).
Run with `make bench` or `.venv/bin/python bench/bench_weights.py`.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/ is not an installed package
from app.config import Settings  # noqa: E402
from app.datasets.base import load_split  # noqa: E402
from app.main import create_app  # noqa: E402
from app.ml.job import Job  # noqa: E402
from app.models import SEED_CNN, Run  # noqa: E402
from app.paths import SPLITS  # noqa: E402
from tests.helpers.images import MNIST_IMAGES, MNIST_LABELS, mnist_file  # noqa: E402
from tests.helpers.stacks import mlp  # noqa: E402

EPOCHS, REPEATS, GOAL = 5, 4, 0.03
WIDE = {
    "name": "wide MLP",
    "input_shape": [28, 28],
    "layers": [
        {"type": "Flatten"},
        {"type": "Dense", "args": {"units": 512, "activation": "relu"}},
        {"type": "Dense", "args": {"units": 512, "activation": "relu"}},
        {"type": "Dense", "args": {"units": 10, "activation": "softmax"}},
    ],
    "compile": mlp()["compile"],
}


class TimingSink:
    """perf_counter() at each epoch's report: the cycle from one epoch's end to the next."""

    def __init__(self) -> None:
        self.ends: list[float] = []
        self.epoch_times: list[float] = []

    def is_cancelled(self) -> bool:
        return False

    def progress(self, progress: dict[str, Any]) -> None:
        pass

    def epoch(self, epoch: int, logs: dict, checkpoint: Any, weights: Any = None) -> None:
        self.ends.append(time.perf_counter())
        self.epoch_times.append(logs["epoch_time"])


def jobs(client: TestClient) -> dict[str, tuple[Job, dict]]:
    """The three runs queued through the API (as a user would), as Jobs with their arrays."""
    files = [("files", (n, mnist_file(n).read_bytes())) for n in (MNIST_IMAGES, MNIST_LABELS)]
    mnist = client.post("/api/datasets", data={"name": "mnist"}, files=files)
    assert mnist.status_code == 201, mnist.text
    # The seed's layers with the MLP's compile: its MeanAbsoluteError metric does not take
    # the sparse labels of MNIST.
    cnn = {**SEED_CNN, "input_shape": [28, 28, 1], "compile": mlp()["compile"]}
    stacks = {
        "digits MLP (4,810 params)": (mlp([8, 8]), 1),
        "tutorial CNN on MNIST (66,410 params)": (cnn, mnist.json()["id"]),
        "wide MLP on MNIST (669,706 params)": (WIDE, mnist.json()["id"]),
    }
    out = {}
    for name, (stack, dataset_id) in stacks.items():
        fit = {"epochs": EPOCHS, "batch_size": 32, "seed": 1}
        queued = client.post("/api/runs", json={"architecture": stack, "dataset_id": dataset_id,
                                                "fit": fit})  # fmt: skip
        assert queued.status_code == 202, queued.text
        with Session(client.app.state.engine) as session:
            run = session.get(Run, queued.json()["id"])
        assert run is not None and run.id is not None and run.dataset_id is not None
        folder = client.app.state.settings.paths.dataset(run.dataset_id)
        arrays = {s: tuple(np.array(a) for a in load_split(folder, s)) for s in SPLITS}  # type: ignore[misc]
        out[name] = (Job(run.id, 1, run.stack, run.fit, run.preprocessing), arrays)
    return out


def measure(job: Job, arrays: dict, on: bool) -> dict[str, list[float]]:
    """One training's epochs, epoch 1 left out: `epoch` (Keras's epoch with its validation),
    `gap` (from one epoch's end to the next one's start: histograms, checkpoint, the sink)
    and `histograms` (the histograms alone)."""
    from app.ml import histograms
    from app.ml.training import train

    spent: list[float] = []
    real = histograms.model_histograms

    def timed(model: Any) -> dict[str, Any]:
        start = time.perf_counter()
        try:
            return real(model)
        finally:
            spent.append(time.perf_counter() - start)

    histograms.ENABLED, histograms.model_histograms = on, timed
    sink = TimingSink()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            train(job, arrays, sink)
    finally:
        histograms.ENABLED, histograms.model_histograms = True, real
    cycles = [b - a for a, b in zip(sink.ends, sink.ends[1:], strict=False)]
    epochs = sink.epoch_times[1:]
    gaps = [cycle - epoch for cycle, epoch in zip(cycles, epochs, strict=True)]
    return {"epoch": epochs, "gap": gaps, "histograms": spent[1:]}


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-weights-") as folder:
        settings = Settings(
            data_dir=Path(folder) / "data", workers=0, predictors=0, allowed_hosts=["testserver"]
        )
        with TestClient(create_app(settings)) as client:
            queued = jobs(client)
    print(
        f"Weight histograms, {EPOCHS} epochs a run, on and off in turns x{REPEATS} (medians; "
        f"2 cores, load average {os.getloadavg()[0]:.1f} at start):"
    )
    for name, (job, arrays) in queued.items():
        measure(job, arrays, True)  # warm: the first fit of a model traces its graphs
        runs: dict[bool, dict[str, list[float]]] = {True: {}, False: {}}
        for repeat in range(REPEATS):
            for on in (True, False) if repeat % 2 == 0 else (False, True):
                for key, values in measure(job, arrays, on).items():
                    runs[on].setdefault(key, []).extend(values)
        on, off = runs[True], runs[False]
        share = statistics.median(on["histograms"]) / statistics.median(on["epoch"] + off["epoch"])
        print(
            f"  {name}\n"
            f"    histograms {ms(on['histograms'])} an epoch of {ms(on['epoch'] + off['epoch'])}"
            f" -> {share:.2%} (goal < {GOAL:.0%}: {'met' if share < GOAL else 'MISSED'})\n"
            f"    between epochs (histograms, checkpoint, sink): on {ms(on['gap'])}, "
            f"off {ms(off['gap'])}; epoch on {ms(on['epoch'])}, off {ms(off['epoch'])}"
        )
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
