"""Training through the real server next to plain Keras, and live epochs to 500 watchers.

Same MLP, digits arrays, batch size and seed in both; the app runs fit in its worker process
(auto steps_per_execution), plain Keras runs in this process after the server has stopped.
Rates skip each run's first epoch (graph tracing). Prints figures and whether each goal is
met; asserts no times. Run with `make bench` or `.venv/bin/python bench/bench_training.py`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/ is not installed
from tests.live_server import LiveServer  # noqa: E402
from tests.sse import events  # noqa: E402
from tests.stacks import mlp  # noqa: E402

EPOCHS, BATCH, SEED, SPLIT = 20, 32, 1, 0.1
WATCH_FIT = {"epochs": 60, "batch_size": 16, "seed": SEED}
WATCHERS = (100, 500)
RATIO_GOAL, P99_GOAL_MS, SLOWDOWN_GOAL = 1.0, 100.0, 0.05


def submit(url: str, **fit: Any) -> dict[str, Any]:
    body = {"architecture": mlp(), "dataset_id": 1, "fit": {"validation_split": SPLIT, **fit}}
    response = httpx.post(f"{url}/api/runs", json=body, timeout=30)
    if response.status_code != 202:
        raise RuntimeError(f"POST /api/runs answered {response.status_code}: {response.text}")
    return response.json()


def wait_done(url: str, run_id: int, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = httpx.get(f"{url}/api/runs/{run_id}", timeout=30).json()
        if run["status"] not in ("queued", "running"):
            if run["status"] != "completed":
                raise RuntimeError(f"run {run_id} ended {run['status']}: {run['error']}")
            return run
        time.sleep(0.25)
    raise RuntimeError(f"run {run_id} not finished after {timeout} s")


def epoch_arrivals(url: str, run_id: int) -> list[float]:
    """perf_counter() at each epoch event, read the way a browser would."""
    stream = events(f"{url}/api/runs/{run_id}/events", timeout=180)
    return [time.perf_counter() for e in stream if e.event == "epoch"]


def mean_epoch_s(run: dict[str, Any]) -> float:
    return statistics.mean(h["epoch_time"] for h in run["history"][1:])


def throughput_run(url: str) -> dict[str, Any]:
    run = submit(url, epochs=EPOCHS, batch_size=BATCH, seed=SEED)
    arrivals = epoch_arrivals(url, run["id"])
    run = wait_done(url, run["id"])
    return {"run": run, "sse_window_s": arrivals[-1] - arrivals[0]}


def first_epoch_s(url: str) -> float:
    start = time.perf_counter()
    run = submit(url, epochs=1, batch_size=BATCH, seed=SEED)
    arrival = epoch_arrivals(url, run["id"])[0]
    return arrival - start


def commit_times(db: Path, run_id: int) -> dict[int, float]:
    """Epoch -> recorded_at as a Unix time; the server writes UTC, naive in SQLite."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT step, recorded_at FROM runmetric WHERE run_id = ? AND key = 'loss'", (run_id,)
        ).fetchall()
    out = {}
    for step, text in rows:
        moment = datetime.fromisoformat(text)
        out[step] = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    return out


async def watch(port: int, run_id: int) -> dict[str, Any]:
    """One watcher on a raw socket: HTTP/1.0 (no chunking), only event and id lines read."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"GET /api/runs/{run_id}/events HTTP/1.0\r\nHost: bench\r\n\r\n"
    writer.write(request.encode())
    seen: list[tuple[int, float]] = []
    subscribed, kind, ident = 0.0, b"", b""
    try:
        status = await reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(status.decode(errors="replace").strip())
        async for line in reader:
            if line.startswith(b"event:"):
                kind = line[6:].strip()
            elif line.startswith(b"id:"):
                ident = line[3:].strip()
            elif line.strip() == b"" and kind:
                if kind == b"epoch":
                    seen.append((int(ident), time.time()))
                subscribed = subscribed or time.time()
                if kind == b"done":
                    break
                kind = b""
    finally:
        writer.close()
    return {"epochs": seen, "subscribed": subscribed}


async def watch_many(port: int, run_id: int, count: int) -> list[Any]:
    tasks = [asyncio.wait_for(watch(port, run_id), timeout=240) for _ in range(count)]
    return await asyncio.gather(*tasks, return_exceptions=True)


def watched_run(server: LiveServer, count: int) -> dict[str, Any]:
    run = submit(server.url, **WATCH_FIT)
    results = asyncio.run(watch_many(server.port, run["id"], count))
    run = wait_done(server.url, run["id"])
    done = [r for r in results if isinstance(r, dict)]
    errors = [f"{type(r).__name__}: {r}"[:120] for r in results if not isinstance(r, dict)]
    commits = commit_times(server.data_dir / "layerstack.db", run["id"])
    all_in = max((r["subscribed"] for r in done), default=0.0)
    # Epochs committed before the last watcher subscribed arrive as replays; leave them out.
    live = {step: t for step, t in commits.items() if t > all_in}
    delays = [(t - live[step]) * 1000 for r in done for step, t in r["epochs"] if step in live]
    want = list(range(1, WATCH_FIT["epochs"] + 1))
    complete = sum(1 for r in done if [step for step, _ in r["epochs"]] == want)
    return {"count": count, "errors": errors, "delays": delays, "live_epochs": len(live),
            "complete": complete, "epoch_s": mean_epoch_s(run)}  # fmt: skip


def measure_app(root: Path) -> dict[str, Any]:
    server = LiveServer(root / "data", WORKERS="1")
    try:
        server.start(timeout=60)
        started = time.perf_counter()
        wait_done(server.url, submit(server.url, epochs=1, seed=SEED)["id"])
        figures: dict[str, Any] = {"warm_s": time.perf_counter() - started}
        figures |= throughput_run(server.url)
        figures["first_epoch_s"] = [first_epoch_s(server.url) for _ in range(3)]
        quiet = wait_done(server.url, submit(server.url, **WATCH_FIT)["id"])
        figures["quiet_epoch_s"] = mean_epoch_s(quiet)
        figures["watched"] = [watched_run(server, count) for count in WATCHERS]
        folder = server.data_dir / "datasets" / "1"
        figures["arrays"] = np.load(folder / "x_train.npy"), np.load(folder / "y_train.npy")
        return figures
    except Exception:
        print(server.log()[-3000:], file=sys.stderr)
        raise
    finally:
        server.stop()


def plain_keras(arrays: tuple[np.ndarray, np.ndarray], prep: dict[str, Any]) -> dict[str, Any]:
    """The tutorial's fit in this process, the app's arrays and validation rows."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import keras

    from app.datasets.split import pick_test_rows

    x_all = arrays[0].astype(np.float32) * np.float32(prep["scale"]) + np.float32(prep["offset"])
    y_all = arrays[1].astype(np.int32)
    held = np.zeros(len(y_all), dtype=bool)
    held[pick_test_rows(y_all, SPLIT)] = True
    x, y, val = x_all[~held], y_all[~held], (x_all[held], y_all[held])
    tiny = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    tiny.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    tiny.fit(np.zeros((8, 4), "float32"), np.zeros(8), epochs=1, verbose=0)  # warm-up
    out: dict[str, Any] = {"samples": len(x)}
    for steps in (1, 16):
        keras.utils.set_random_seed(SEED)
        model = keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(),
                                  keras.layers.Dense(64, activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])  # fmt: skip
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], steps_per_execution=steps)  # fmt: skip
        ends: list[float] = []
        clock = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, _: ends.append(time.time()))
        history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, validation_data=val,
                            shuffle=True, verbose=0, callbacks=[clock])  # fmt: skip
        out[steps] = {"window_s": ends[-1] - ends[0], "loss": history.history["loss"][-1]}
    return out


def verdict(met: bool) -> str:
    return "met" if met else "missed"


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else float("nan")


def report(app: dict[str, Any], keras: dict[str, Any]) -> None:
    n, timed = keras["samples"], EPOCHS - 1
    history = app["run"]["history"]
    rates = {
        "plain Keras, steps_per_execution=1": n * timed / keras[1]["window_s"],
        "plain Keras, steps_per_execution=16": n * timed / keras[16]["window_s"],
        "app, sum of epoch_time": n * timed / sum(h["epoch_time"] for h in history[1:]),
        "app, SSE first to last epoch": n * timed / app["sse_window_s"],
    }
    print(f"training benchmark ({len(os.sched_getaffinity(0))} cores), digits MLP, {n} samples, "
          f"batch {BATCH}, {EPOCHS} epochs; rates over epochs 2-{EPOCHS} (1 traces)")  # fmt: skip
    for name, rate in rates.items():
        print(f"  {name:40} {rate:9,.0f} samples/s")
    ratio = rates["app, SSE first to last epoch"] / rates["plain Keras, steps_per_execution=1"]
    gain = rates["plain Keras, steps_per_execution=16"] / rates[
        "plain Keras, steps_per_execution=1"
    ]
    print(f"app / plain default (SSE window)   {ratio:5.2f}x   goal >= 1.0   {verdict(ratio >= 1)}")
    print(f"steps_per_execution 16 vs 1 (plain Keras)   {gain:5.2f}x")
    print(f"final loss: app {history[-1]['loss']:.4f}, plain Keras spe=16 {keras[16]['loss']:.4f}"
          f" (different shuffle orders, so not equal)")  # fmt: skip
    first = app["first_epoch_s"]
    print(f"POST /api/runs -> first epoch event (warm worker, 1-epoch runs): median "
          f"{statistics.median(first) * 1000:.0f} ms of {[round(s * 1000) for s in first]}")  # fmt: skip
    print(f"watchers: runs of {WATCH_FIT}; quiet mean epoch_time "
          f"{app['quiet_epoch_s'] * 1000:.1f} ms")  # fmt: skip
    for w in app["watched"]:
        p50, p99 = percentile(w["delays"], 50), percentile(w["delays"], 99)
        slow = w["epoch_s"] / app["quiet_epoch_s"] - 1
        print(f"  {w['count']:4} watchers: delay p50 {p50:6.1f} ms, p99 {p99:6.1f} ms "
              f"(goal < 100 ms: {verdict(p99 < P99_GOAL_MS)}; {w['live_epochs']} live epochs)")
        print(f"{'':17}every epoch in order: {w['complete']}/{w['count']}, "
              f"errors {len(w['errors'])}{' e.g. ' + w['errors'][0] if w['errors'] else ''}")
        print(f"{'':17}mean epoch_time {w['epoch_s'] * 1000:.1f} ms, {slow:+.1%} vs quiet "
              f"(goal < 5%: {verdict(slow < SLOWDOWN_GOAL)})")  # fmt: skip


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="layerstack-bench-"))
    try:
        app = measure_app(root)
        keras = plain_keras(app["arrays"], app["run"]["preprocessing"])
    finally:
        shutil.rmtree(root, ignore_errors=True)
    report(app, keras)


if __name__ == "__main__":
    main()
