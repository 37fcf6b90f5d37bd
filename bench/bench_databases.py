"""SQLite and PostgreSQL side by side: the run API and live event delivery on each, one run.

Per database, a real server (python -m app): with WORKERS=0, the run API's latency, one
client after another (POST /api/runs, GET one run, GET the list, DELETE), and 8 clients at
once; with a training worker, 100 watchers of one run: epoch commit (the epoch's row in the
database) -> each watcher, and whether every watcher got every epoch in order. PostgreSQL is
the machine's (`make postgres`; TEST_POSTGRES_URL), in a throw-away database dropped at the
end. Prints figures; asserts no times. `.venv/bin/python bench/bench_databases.py`.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/ is not an installed package
from bench.bench_training import commit_times, watch  # noqa: E402
from tests.helpers.db import (  # noqa: E402
    database_url_for,
    drop_session_database,
    require_postgres,
)
from tests.helpers.live_server import LiveServer  # noqa: E402
from tests.helpers.stacks import mlp  # noqa: E402

CALLS, CLIENTS, WATCHERS = 200, 8, 100
WATCH_FIT = {"epochs": 40, "batch_size": 16, "seed": 1}


def run_body(**fit: Any) -> dict[str, Any]:
    return {"architecture": mlp(), "dataset_id": 1, "fit": {"validation_split": 0.1, **fit}}


def timed(client: httpx.Client, method: str, path: str, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    response = client.request(method, path, **kwargs)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code >= 400:
        raise RuntimeError(f"{method} {path} answered {response.status_code}: {response.text}")
    return elapsed, response


def api_figures(url: str) -> dict[str, list[float]]:
    """ms per call, one client after another; then GET one run from 8 clients at once."""
    out: dict[str, list[float]] = {k: [] for k in ("POST run", "GET run", "GET list", "DELETE")}
    with httpx.Client(base_url=url, timeout=30) as client:
        ids = []
        for _ in range(CALLS):
            ms, response = timed(client, "POST", "/api/runs", json=run_body(epochs=1))
            out["POST run"].append(ms)
            ids.append(response.json()["id"])
        for run_id in ids:
            out["GET run"].append(timed(client, "GET", f"/api/runs/{run_id}")[0])
        for _ in range(CALLS // 4):
            out["GET list"].append(timed(client, "GET", "/api/runs?limit=50")[0])
        out["concurrent"] = concurrent_gets(url, ids)
        for run_id in ids:
            out["DELETE"].append(timed(client, "DELETE", f"/api/runs/{run_id}")[0])
    return out


def concurrent_gets(url: str, ids: list[int]) -> list[float]:
    """[requests per second] for CLIENTS threads reading runs at once."""
    done = [0] * CLIENTS

    def reader(slot: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            for run_id in ids[slot::CLIENTS] * 4:
                client.get(f"/api/runs/{run_id}").raise_for_status()
                done[slot] += 1

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(CLIENTS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [sum(done) / (time.perf_counter() - start)]


async def watch_all(port: int, run_id: int) -> list[Any]:
    tasks = [asyncio.create_task(watch(port, run_id)) for _ in range(WATCHERS)]
    return await asyncio.gather(*tasks, return_exceptions=True)


def delivery(server: LiveServer, db_url: str) -> dict[str, Any]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        warm = client.post("/api/runs", json=run_body(epochs=1, seed=1)).json()
        while client.get(f"/api/runs/{warm['id']}").json()["status"] != "completed":
            time.sleep(0.2)  # the worker has imported TensorFlow and traced once
        run = client.post("/api/runs", json=run_body(**WATCH_FIT)).json()
        results = asyncio.run(watch_all(server.port, run["id"]))
        ended = client.get(f"/api/runs/{run['id']}").json()
    if ended["status"] != "completed":
        raise RuntimeError(f"the watched run ended {ended['status']}: {ended['error']}")
    history = ended["history"]
    commits = commit_times(db_url, run["id"])
    want = list(range(1, WATCH_FIT["epochs"] + 1))
    good = [r["epochs"] for r in results if isinstance(r, dict)]
    delays = [(t - commits[e]) * 1000 for r in good for e, t in r if e in commits and e > 1]
    return {
        "delays": delays,
        "complete": sum(1 for r in good if [e for e, _ in r] == want),
        "errors": [repr(r)[:100] for r in results if not isinstance(r, dict)],
        "epoch_ms": statistics.mean(h["epoch_time"] for h in history[1:]) * 1000,
    }


def measure(root: Path, backend: str) -> dict[str, Any]:
    data = root / backend
    db_url = database_url_for(data / "data", backend)
    figures: dict[str, Any] = {}
    for workers in ("0", "1"):
        server = LiveServer(data / "data", backend=backend, WORKERS=workers)
        try:
            server.start(timeout=60)
            if workers == "0":
                figures["api"] = api_figures(server.url)
            else:
                figures["events"] = delivery(server, db_url)
        except Exception:
            print(server.log()[-3000:], file=sys.stderr)
            raise
        finally:
            server.stop()
    return figures


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def report(results: dict[str, dict[str, Any]]) -> None:
    names = list(results)
    cores = len(os.sched_getaffinity(0))
    print(f"databases side by side ({cores} cores; ms, p50 / p99 of {CALLS} calls, one client)")
    print(f"  {'':28}" + "".join(f"{name:>22}" for name in names))
    for call in ("POST run", "GET run", "GET list", "DELETE"):
        cells = [f"{pct(r['api'][call], 50):7.1f} / {pct(r['api'][call], 99):7.1f}" for r in
                 results.values()]  # fmt: skip
        print(f"  {call:28}" + "".join(f"{c:>22}" for c in cells))
    rates = [f"{r['api']['concurrent'][0]:10.0f} req/s" for r in results.values()]
    print(f"  {'GET run, 8 clients at once':28}" + "".join(f"{c:>22}" for c in rates))
    print(f"live epochs to {WATCHERS} watchers, runs of {WATCH_FIT} (epoch 1 left out)")
    for name, r in results.items():
        e = r["events"]
        print(
            f"  {name:10} commit -> watcher p50 {pct(e['delays'], 50):6.1f} ms, p99 "
            f"{pct(e['delays'], 99):6.1f} ms, max {max(e['delays'], default=float('nan')):6.1f} "
            f"ms; every epoch in order: {e['complete']}/{WATCHERS}; errors {len(e['errors'])}; "
            f"mean epoch_time {e['epoch_ms']:.1f} ms"
        )


def main() -> None:
    os.environ.pop("CI", None)  # without PostgreSQL: say so and measure SQLite alone
    root = Path(tempfile.mkdtemp(prefix="layerstack-bench-db-"))
    backends = ["sqlite"]
    try:
        require_postgres()
        backends.append("postgresql")
    except BaseException as skipped:  # pytest's Skipped: the note says why
        print(f"PostgreSQL left out: {skipped}")
    try:
        report({backend: measure(root, backend) for backend in backends})
    finally:
        drop_session_database()


if __name__ == "__main__":
    main()
