"""Training through the real server next to plain Keras, and live epochs to 500 watchers.

Same MLP, digits arrays, batch size and seed; the app trains in its worker (auto
steps_per_execution), plain Keras in this process once the server has stopped. Rates skip
epoch 1 (graph tracing) and are the best of two runs, since other processes share these
small machines. Prints figures and goals met or missed; asserts no times.
Run with `make bench` or `.venv/bin/python bench/bench_training.py`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlmodel import Session, col, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/ is not an installed package
from app.db import make_engine  # noqa: E402
from app.models import RunMetric  # noqa: E402
from app.models.common import as_utc  # noqa: E402
from tests.helpers.live_server import LiveServer  # noqa: E402
from tests.helpers.sse import events  # noqa: E402
from tests.helpers.stacks import mlp  # noqa: E402

EPOCHS, BATCH, SEED, SPLIT = 20, 32, 1, 0.1
WATCH_FIT = {"epochs": 60, "batch_size": 16, "seed": SEED}
WATCHERS, GRACE_S, REPEATS = (100, 500), 10.0, 2
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
        if run["status"] == "completed":
            return run
        if run["status"] not in ("queued", "running"):
            raise RuntimeError(f"run {run_id} ended {run['status']}: {run['error']}")
        time.sleep(0.25)
    raise RuntimeError(f"run {run_id} not finished after {timeout} s")


def epoch_arrivals(url: str, run_id: int) -> list[float]:
    """perf_counter() at each epoch event, read the way a browser would."""
    stream = events(f"{url}/api/runs/{run_id}/events", timeout=180)
    return [time.perf_counter() for e in stream if e.event == "epoch"]


def mean_epoch_s(run: dict[str, Any]) -> float:
    return statistics.mean(h["epoch_time"] for h in run["history"][1:])


def cpu_s(pid: int | str) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def throughput_run(url: str) -> dict[str, Any]:
    run = submit(url, epochs=EPOCHS, batch_size=BATCH, seed=SEED)
    arrivals = epoch_arrivals(url, run["id"])
    run = wait_done(url, run["id"])
    epoch_s = sum(h["epoch_time"] for h in run["history"][1:])
    return {"run": run, "sse_window_s": arrivals[-1] - arrivals[0], "epoch_s": epoch_s}


def first_epoch_s(url: str) -> tuple[float, float]:
    """(POST to the first epoch event, that epoch's own epoch_time), in seconds."""
    start = time.perf_counter()
    run = submit(url, epochs=1, batch_size=BATCH, seed=SEED)
    arrival = epoch_arrivals(url, run["id"])[0]
    return arrival - start, wait_done(url, run["id"])["history"][0]["epoch_time"]


def commit_times(db_url: str, run_id: int) -> dict[int, float]:
    """Epoch -> when its metrics were committed (RunMetric.recorded_at, UTC), any database."""
    engine = make_engine(db_url)
    query = select(RunMetric.step, RunMetric.recorded_at).where(
        col(RunMetric.run_id) == run_id, col(RunMetric.key) == "loss"
    )
    with Session(engine) as session:
        rows = session.exec(query).all()
    engine.dispose()
    return {step: as_utc(moment).timestamp() for step, moment in rows}


async def watch(port: int, run_id: int) -> dict[str, Any]:
    """One watcher on a raw socket, light enough that 500 of them don't starve the server
    (a browser's EventSource parses in native code): read a chunk at a time, only the event
    and id lines looked at (uvicorn frames the stream in chunks even for HTTP/1.0)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /api/runs/{run_id}/events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
    seen: list[tuple[int, float]] = []
    subscribed, rest = 0.0, b""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError(head.decode(errors="replace").splitlines()[0])
        while chunk := await reader.read(1 << 16):
            now = time.time()
            *events, rest = (rest + chunk).split(b"\n\n")
            for event in events:  # a chunk's size line may come first: find, not startswith
                subscribed = subscribed or now
                if b"event: epoch\n" in event:
                    ident = event[event.index(b"\nid: ") + 5 :].split(b"\n", 1)[0]
                    seen.append((int(ident), now))
                elif b"event: done\n" in event:
                    return {"epochs": seen, "subscribed": subscribed}
    finally:
        writer.close()
    return {"epochs": seen, "subscribed": subscribed}


async def watch_many(server: LiveServer, run_id: int, count: int) -> list[Any]:
    """`count` watchers; any still open GRACE_S after the run ended counts as stalled."""
    tasks = [asyncio.create_task(watch(server.port, run_id)) for _ in range(count)]
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        while (await client.get(f"/api/runs/{run_id}")).json()["status"] in ("queued", "running"):
            await asyncio.sleep(0.5)
    _, pending = await asyncio.wait(tasks, timeout=GRACE_S)
    for task in pending:
        task.cancel()
    stalled = TimeoutError(f"stalled: still open {GRACE_S:.0f} s after the run ended")
    return [stalled if t in pending else t.exception() or t.result() for t in tasks]


def watched_run(server: LiveServer, count: int) -> dict[str, Any]:
    pid = server.process.pid if server.process else "self"
    web_cpu, client_cpu = cpu_s(pid), cpu_s("self")
    run = submit(server.url, **WATCH_FIT)
    results = asyncio.run(watch_many(server, run["id"], count))
    figures = {"count": count, "client_cpu": cpu_s("self") - client_cpu,
               "web_cpu": cpu_s(pid) - web_cpu}  # fmt: skip
    run = wait_done(server.url, run["id"])
    span = [datetime.fromisoformat(run[key]) for key in ("started_at", "finished_at")]
    figures["epoch_s"], figures["run_s"] = mean_epoch_s(run), (span[1] - span[0]).total_seconds()
    commits = commit_times(server.env["DATABASE_URL"], run["id"])
    return figures | delivery(results, commits)


def delivery(results: list[Any], commits: dict[int, float]) -> dict[str, Any]:
    """How the epochs reached the watchers: delays, order, gaps and errors."""
    done = [r for r in results if isinstance(r, dict)]
    failed = [r for r in results if not isinstance(r, dict)]
    figures: dict[str, Any] = {"errors": [f"{type(r).__name__}: {r}"[:100] for r in failed]}
    # Epochs committed before the last watcher subscribed arrive as replays: left out.
    all_in = max((r["subscribed"] for r in done), default=0.0)
    live = {step: t for step, t in commits.items() if t > all_in}
    delays: dict[int, list[float]] = {e: [] for e in live}  # ms, by epoch
    for e, t in (arrival for r in done for arrival in r["epochs"] if arrival[0] in live):
        delays[e].append((t - live[e]) * 1000)
    figures["live_epochs"], figures["delays"] = len(live), [d for v in delays.values() for d in v]
    # One epoch slow for everyone points at the server or worker, not at a slow watcher.
    medians = [(statistics.median(v), e) for e, v in delays.items() if v]
    figures["slowest"] = max(medians, default=(float("nan"), 0))
    want = list(range(1, WATCH_FIT["epochs"] + 1))
    figures["complete"] = sum(1 for r in done if [e for e, _ in r["epochs"]] == want)
    figures["missing"] = sum(len(set(want) - {e for e, _ in r["epochs"]}) for r in done)
    return figures


def quiet_epoch_s(url: str) -> float:
    """Mean epoch_time of the watched runs' settings, with nobody watching."""
    return mean_epoch_s(wait_done(url, submit(url, **WATCH_FIT)["id"]))


def measure_app(root: Path) -> dict[str, Any]:
    server = LiveServer(root / "data", WORKERS="1")
    try:
        server.start(timeout=60)
        wait_done(server.url, submit(server.url, epochs=1, seed=SEED)["id"])  # a warm worker
        runs = [throughput_run(server.url) for _ in range(REPEATS)]
        figures = {key: min(r[key] for r in runs) for key in ("sse_window_s", "epoch_s")}
        figures["run"] = runs[-1]["run"]
        figures["first_epoch_s"] = [first_epoch_s(server.url) for _ in range(3)]
        figures["quiet_epoch_s"] = [quiet_epoch_s(server.url)]
        figures["watched"] = [watched_run(server, count) for count in WATCHERS]
        figures["quiet_epoch_s"].append(quiet_epoch_s(server.url))
        folder = server.data_dir / "datasets" / "1"
        figures["arrays"] = np.load(folder / "x_train.npy"), np.load(folder / "y_train.npy")
        return figures
    except Exception:
        print(server.log()[-3000:], file=sys.stderr)
        raise
    finally:
        server.stop()


def keras_arrays(arrays: tuple[np.ndarray, np.ndarray], prep: dict[str, Any]) -> tuple:
    """The app's preprocessing (scale, offset) and its stratified validation rows."""
    from app.datasets.split import pick_test_rows

    x = arrays[0].astype(np.float32) * np.float32(prep["scale"]) + np.float32(prep["offset"])
    y = arrays[1].astype(np.int32)
    held = np.zeros(len(y), dtype=bool)
    held[pick_test_rows(y, SPLIT)] = True
    return x[~held], y[~held], (x[held], y[held])


def plain_keras(arrays: tuple[np.ndarray, np.ndarray], prep: dict[str, Any]) -> dict[str, Any]:
    """The tutorial's fit in this process: [(seconds over epochs 2-N, final loss)] per setting."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import keras

    from app.ml.training import warm_up  # the tiny fit the worker does before its first run

    warm_up()
    x, y, val = keras_arrays(arrays, prep)
    out: dict[str, Any] = {"samples": len(x), 1: [], 16: []}
    for steps in (1, 16) * REPEATS:
        keras.utils.set_random_seed(SEED)
        model = keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(),
                                  keras.layers.Dense(64, activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])  # fmt: skip
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], steps_per_execution=steps)  # fmt: skip
        ends: list[float] = []
        clock = keras.callbacks.LambdaCallback(
            on_epoch_end=lambda *_, t=ends: t.append(time.time())
        )
        history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, validation_data=val,
                            shuffle=True, verbose=0, callbacks=[clock])  # fmt: skip
        out[steps].append((ends[-1] - ends[0], history.history["loss"][-1]))
    return out


def verdict(met: bool) -> str:
    return "met" if met else "missed"


def report_throughput(app: dict[str, Any], keras: dict[str, Any], load: float) -> None:
    n, timed = keras["samples"], EPOCHS - 1
    rates = {
        "plain Keras, steps_per_execution=1": n * timed / min(keras[1])[0],
        "plain Keras, steps_per_execution=16": n * timed / min(keras[16])[0],
        "app, sum of epoch_time": n * timed / app["epoch_s"],
        "app, SSE first to last epoch event": n * timed / app["sse_window_s"],
    }
    cores, now = len(os.sched_getaffinity(0)), os.getloadavg()[0]
    print(f"training benchmark ({cores} cores, load average {load:.1f} at start, {now:.1f} at "
          f"end): digits MLP, {n} samples, batch {BATCH}, {EPOCHS} epochs")  # fmt: skip
    print(f"samples/s over epochs 2-{EPOCHS} (epoch 1 traces the graph), best of {REPEATS} runs")
    for name, rate in rates.items():
        print(f"  {name:38} {rate:7,.0f}")
    plain = rates["plain Keras, steps_per_execution=1"]
    for name in ("app, SSE first to last epoch event", "app, sum of epoch_time"):
        ratio, label = rates[name] / plain, name.removeprefix("app, ") + " / plain default"
        print(f"  {label:52} {ratio:4.2f}x  goal >= 1.0  {verdict(ratio >= RATIO_GOAL)}")
    gain = rates["plain Keras, steps_per_execution=16"] / plain
    print(f"  {'plain Keras, steps_per_execution 16 / 1':52} {gain:4.2f}x")
    print(f"final loss: app {app['run']['history'][-1]['loss']:.4f}, plain Keras (spe=16) "
          f"{keras[16][-1][1]:.4f} (shuffle orders differ, so they are not equal)")  # fmt: skip
    latency, epoch = (sorted(v)[1] * 1000 for v in zip(*app["first_epoch_s"], strict=True))
    print(f"POST /api/runs -> first epoch event, warm worker, median of 3: {latency:.0f} ms "
          f"(epoch 1's own epoch_time, tracing included: {epoch:.0f} ms)")  # fmt: skip


def report_watchers(app: dict[str, Any]) -> None:
    quiet = statistics.mean(app["quiet_epoch_s"])
    before, after = (q * 1000 for q in app["quiet_epoch_s"])
    print(f"SSE watchers, runs of {WATCH_FIT}; mean epoch_time with no watchers "
          f"{before:.1f} ms before, {after:.1f} ms after")  # fmt: skip
    for w in app["watched"]:
        p50, p99 = np.percentile(w["delays"] or [np.nan], [50, 99])
        slow, pad = w["epoch_s"] / quiet - 1, " " * 15
        print(f"  {w['count']:3} watchers: epoch commit -> watcher p50 {p50:6.1f} ms, "
              f"p99 {p99:6.1f} ms  goal p99 < 100 ms  {verdict(p99 < P99_GOAL_MS)}")  # fmt: skip
        print(
            f"{pad}over the {w['live_epochs']} epochs committed after all had subscribed; "
            f"every epoch, in order: {w['complete']}/{w['count']} watchers"
        )
        print(f"{pad}slowest epoch, median over watchers: epoch {w['slowest'][1]}, "
              f"{w['slowest'][0]:.0f} ms")  # fmt: skip
        print(f"{pad}epochs never delivered: {w['missing']} (of {w['count']} x "
              f"{WATCH_FIT['epochs']}); errors {len(w['errors'])} {w['errors'][:1]}")  # fmt: skip
        print(f"{pad}mean epoch_time {w['epoch_s'] * 1000:.1f} ms, {slow:+.1%} vs no watchers  "
              f"goal < +5%  {verdict(slow < SLOWDOWN_GOAL)}")  # fmt: skip
        print(f"{pad}run {w['run_s']:.1f} s; CPU: web process {w['web_cpu']:.1f} s, this "
              f"client {w['client_cpu']:.1f} s")  # fmt: skip


def main() -> None:
    root, load = Path(tempfile.mkdtemp(prefix="layerstack-bench-")), os.getloadavg()[0]
    try:
        app = measure_app(root)
        keras = plain_keras(app["arrays"], app["run"]["preprocessing"])
    finally:
        shutil.rmtree(root, ignore_errors=True)
    report_throughput(app, keras, load)
    report_watchers(app)


if __name__ == "__main__":
    main()
