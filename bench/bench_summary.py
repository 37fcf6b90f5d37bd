"""How fast the live summary answers, from the real server, next to building the model in Keras.

Prints figures and whether each goal is met; it asserts no times, since machines are noisy.
Run with `make bench` or `.venv/bin/python bench/bench_summary.py`.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from app.models import SEED_CNN
from app.stacks.summary import check_and_summarize

ROOT = Path(__file__).resolve().parents[1]
START_GOAL_S, MEMORY_GOAL_MB, P95_GOAL_MS = 2.0, 150.0, 20.0
WARMUP, TIMED, IN_PROCESS, KERAS_BUILDS = 50, 500, 500, 20
MAX_LAYERS, MAX_PARAMS = 200, 50_000_000  # the server's defaults


def twenty_layers() -> dict[str, Any]:
    """A deeper stack than the tutorial's, closer to what users build after a while."""
    conv = {"kernel_size": 3, "padding": "same", "activation": "relu"}
    layers: list[dict[str, Any]] = []
    for filters, norms in ((8, 1), (16, 1), (32, 2)):
        for i in range(2):
            layers.append({"type": "Conv2D", "args": {"filters": filters, **conv}})
            if i < norms:
                layers.append({"type": "BatchNormalization"})
        layers += [{"type": "MaxPooling2D"}, {"type": "Dropout", "args": {"rate": 0.25}}]
    layers += [
        {"type": "Flatten"},
        {"type": "Dense", "args": {"units": 64, "activation": "relu"}},
        {"type": "Dropout", "args": {"rate": 0.25}},
        {"type": "Dense", "args": {"units": 10, "activation": "softmax"}},
    ]
    assert len(layers) == 20, len(layers)
    return {"name": "20 layers", "input_shape": [28, 28, 1], "layers": layers}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def memory_mb(pid: int | str) -> tuple[float, float]:
    """(VmRSS, VmHWM) in MB: what the process holds now, and the most it ever held."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    kb = {key: int(rest.split()[0]) for key, rest in (line.split(":", 1) for line in lines)
          if key in ("VmRSS", "VmHWM")}  # fmt: skip
    return kb["VmRSS"] / 1024, kb["VmHWM"] / 1024


def tensorflow_loaded(pid: int) -> bool:
    return "tensorflow" in Path(f"/proc/{pid}/maps").read_text()


def start_server(data_dir: str, log: Any) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "DATA_DIR": data_dir}
    cmd = [sys.executable, "-m", "app"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def wait_ready(client: httpx.Client, proc: subprocess.Popen[bytes], started: float) -> float:
    """Seconds from Popen to the first 200 from GET /api/layers."""
    while time.perf_counter() - started < 60:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode} before answering")
        try:
            if client.get("/api/layers").status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.01)
    raise RuntimeError("the server did not answer GET /api/layers within 60 s")


def timed_ms(call: Callable[[], Any], count: int, warmup: int = 0) -> list[float]:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def post_summary(client: httpx.Client, stack: dict[str, Any]) -> int:
    response = client.post("/api/summary", json=stack)
    if response.status_code != 200:
        raise RuntimeError(f"POST /api/summary answered {response.status_code}: {response.text}")
    return response.json()["total_params"]


def measure_server(client: httpx.Client, proc: subprocess.Popen[bytes], stacks: dict) -> dict:
    figures: dict[str, Any] = {"warm memory": memory_mb(proc.pid), "stacks": {}}
    for name, stack in stacks.items():
        times = timed_ms(lambda s=stack: post_summary(client, s), TIMED, WARMUP)
        cuts = statistics.quantiles(times, n=100)
        figures["stacks"][name] = {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98],
                                   "total": post_summary(client, stack)}  # fmt: skip
    figures["loaded memory"] = memory_mb(proc.pid)
    figures["tensorflow"] = tensorflow_loaded(proc.pid)
    return figures


def run_server(stacks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    data_dir = tempfile.mkdtemp(prefix="layerstack-bench-")
    log_path = Path(data_dir) / "server.log"
    proc = None
    try:
        with log_path.open("wb") as log, httpx.Client(timeout=10) as client:
            started = time.perf_counter()
            proc, url = start_server(data_dir, log)
            client.base_url = httpx.URL(url)
            figures = {"first answer": wait_ready(client, proc, started)}
            return figures | measure_server(client, proc, stacks)
    except Exception:
        # The server's own log usually says why it failed; it goes with the temp dir.
        if log_path.exists():
            print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


def in_process_p50(stack: dict[str, Any]) -> float:
    return statistics.median(
        timed_ms(lambda: check_and_summarize(stack, MAX_LAYERS, MAX_PARAMS), IN_PROCESS)
    )


def keras_build(build: Callable[[], Any]) -> dict[str, Any]:
    """p50 of building the Keras model, and the parameter total Keras counts."""
    totals: list[int] = []
    times = timed_ms(lambda: totals.append(build().count_params()), KERAS_BUILDS)
    return {"p50": statistics.median(times), "total": totals[-1]}


def measure_keras(stacks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Import Keras here, after the server is done, so its import cannot slow the server's run."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    rss_before = memory_mb("self")[0]
    start = time.perf_counter()
    import keras  # noqa: F401  (timed on purpose)

    from app.ml.compiler import build_model
    from app.stacks.stack import check_stack

    figures: dict[str, Any] = {"import s": time.perf_counter() - start}
    figures["import MB"] = memory_mb("self")[0] - rss_before
    for name, stack in stacks.items():
        figures[name] = keras_build(lambda s=stack: build_model(check_stack(s, MAX_LAYERS)))
    return figures


def verdict(met: bool) -> str:
    return "met" if met else "missed"


def report(server: dict, in_process: dict, keras: dict, stacks: dict) -> None:
    rss, peak = server["loaded memory"]
    warm_rss = server["warm memory"][0]
    print(f"summary benchmark ({len(os.sched_getaffinity(0))} cores)")
    print(f"{'server first answer':28} {server['first answer']:.2f} s{'':6} goal < 2 s      "
          f"{verdict(server['first answer'] < START_GOAL_S)}")  # fmt: skip
    print(f"{'server memory (RSS / peak)':28} {rss:.0f} / {peak:.0f} MB  goal < 150 MB   "
          f"{verdict(peak < MEMORY_GOAL_MB)}   (at first answer: {warm_rss:.0f} MB)")  # fmt: skip
    print(f"{'TensorFlow in web process':28} {'yes' if server['tensorflow'] else 'no'}")
    print(f"{'POST /api/summary':19} {'stack':13} {'p50':>8} {'p95':>8} {'p99':>8}"
          f"  {'in-process p50':>14}  {'Keras build p50':>15}  total params")  # fmt: skip
    for name in stacks:
        s = server["stacks"][name]
        print(f"{'':19} {name:13} {s['p50']:5.2f} ms {s['p95']:5.2f} ms {s['p99']:5.2f} ms"
              f"  {in_process[name]:11.3f} ms  {keras[name]['p50']:12.1f} ms  "
              f"{s['total']:,}")  # fmt: skip
    worst_p95 = max(s["p95"] for s in server["stacks"].values())
    print(f"goal p95 < 20 ms: {verdict(worst_p95 < P95_GOAL_MS)}")
    same = all(server["stacks"][n]["total"] == keras[n]["total"] for n in stacks)
    print(f"same totals as Keras: {'yes' if same else 'no'}")
    print(
        f"import keras in the bench process: {keras['import s']:.1f} s, "
        f"+{keras['import MB']:.0f} MB RSS"
    )


def main() -> None:
    stacks = {"tutorial CNN": SEED_CNN, "20 layers": twenty_layers()}
    server = run_server(stacks)
    in_process = {name: in_process_p50(stack) for name, stack in stacks.items()}
    keras = measure_keras(stacks)
    report(server, in_process, keras, stacks)


if __name__ == "__main__":
    main()
