"""Live streams at scale: 500 watchers of one training run, and 2,000 idle streams.

Per epoch it follows one change from the worker to the last watcher: the commit (its
recorded_at, taken just before the UPDATE, to the worker's word on its pipe right after the
COMMIT), the hub (woken to having read the run), and the fan-out (read to the last watcher
having the epoch), from the hub's EVENTS_TRACE file and the watchers' clocks (one machine,
one clock). Then 2,000 streams of queued runs held open: the web process's RSS and
GET /api/health's latency meanwhile. Prints figures and goals met or missed; asserts nothing.
Run with `.venv/bin/python bench/bench_streams.py [watchers] [repeats]`.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/ is not an installed package
from bench.bench_training import (  # noqa: E402
    WATCH_FIT,
    commit_times,
    cpu_s,
    mean_epoch_s,
    submit,
    wait_done,
    watch_many,
)
from tests.helpers.live_server import LiveServer  # noqa: E402

WATCHERS, REPEATS, IDLE = 500, 3, 2000
P99_GOAL_MS, STALL_S, SLOWDOWN_GOAL, RSS_GOAL_MB, HEALTH_GOAL_MS = 100, 1.0, 0.10, 300, 50


def traced(trace: Path, run_id: int) -> dict[int, dict[str, Any]]:
    """The hub's trace lines of this run, by the epoch count it had then (first seen)."""
    seen: dict[int, dict[str, Any]] = {}
    for line in trace.read_text().splitlines():
        entry = json.loads(line)
        if entry["run"] == run_id:
            seen.setdefault(entry["epochs"], entry)
    return seen


def watched(server: LiveServer, trace: Path, count: int) -> dict[str, Any]:
    """One run of WATCH_FIT with `count` watchers: delays per epoch, by stage."""
    web_cpu = cpu_s(server.process.pid)  # type: ignore[union-attr]
    run = submit(server.url, **WATCH_FIT)
    results = asyncio.run(watch_many(server, run["id"], count))
    web_cpu = cpu_s(server.process.pid) - web_cpu  # type: ignore[union-attr]
    run = wait_done(server.url, run["id"])
    starts = commit_times(server.env["DATABASE_URL"], run["id"])
    hub = traced(trace, run["id"])
    done = [r for r in results if isinstance(r, dict)]
    want = list(range(1, WATCH_FIT["epochs"] + 1))
    arrivals: dict[int, list[float]] = {e: [] for e in want}
    for r in done:
        for epoch, t in r["epochs"]:
            arrivals[epoch].append(t)
    all_in = max((r["subscribed"] for r in done), default=0.0)
    stages: dict[str, list[float]] = {k: [] for k in ("commit", "to hub", "read", "fan-out")}
    delays: list[float] = []
    slowest = (0.0, 0)
    for epoch in want:
        start, seen = starts.get(epoch), hub.get(epoch)
        if start is None or start < all_in or not arrivals[epoch]:
            continue  # a replay to a late subscriber, not live
        delays += [(t - start) * 1000 for t in arrivals[epoch]]
        slowest = max(slowest, ((max(arrivals[epoch]) - start), epoch))
        if seen is not None and seen["committed"] is not None:
            stages["commit"].append((seen["committed"] - start) * 1000)
            stages["to hub"].append((seen["woken"] - seen["committed"]) * 1000)
        if seen is not None:
            stages["read"].append((seen["read"] - seen["woken"]) * 1000)
            stages["fan-out"].append((max(arrivals[epoch]) - seen["read"]) * 1000)
    return {
        "count": count,
        "epoch_s": mean_epoch_s(run),
        "web_cpu": web_cpu,
        "delays": delays,
        "stages": stages,
        "slowest": slowest,
        "complete": sum(1 for r in done if [e for e, _ in r["epochs"]] == want),
        "errors": [f"{type(r).__name__}: {r}"[:100] for r in results if not isinstance(r, dict)],
        "via": sorted({e["via"] for e in hub.values()}),
    }


def training(root: Path) -> dict[str, Any]:
    trace = root / "trace.jsonl"
    server = LiveServer(root / "train", WORKERS="1", EVENTS_TRACE=str(trace))
    try:
        server.start(timeout=60)
        wait_done(server.url, submit(server.url, epochs=1)["id"])  # a warm worker
        quiet = [mean_epoch_s(wait_done(server.url, submit(server.url, **WATCH_FIT)["id"]))]
        runs = [watched(server, trace, WATCHERS) for _ in range(REPEATS)]
        quiet.append(mean_epoch_s(wait_done(server.url, submit(server.url, **WATCH_FIT)["id"])))
        return {"quiet": quiet, "runs": runs}
    except Exception:
        print(server.log()[-3000:], file=sys.stderr)
        raise
    finally:
        server.stop()


async def hold_idle(server: LiveServer, run_ids: list[int], count: int) -> dict[str, Any]:
    """`count` streams of queued runs held open; RSS and /api/health meanwhile."""
    sockets = []
    for i in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        path = f"/api/runs/{run_ids[i % len(run_ids)]}/events"
        writer.write(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        sockets.append((reader, writer))
    opened = 0
    for reader, _ in sockets:
        opened += b" 200 " in await reader.readline()
    await asyncio.sleep(2)
    status = Path(f"/proc/{server.process.pid}/status").read_text()  # type: ignore[union-attr]
    rss_mb = int(status.split("VmRSS:")[1].split()[0]) / 1024
    latencies = []
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        for _ in range(200):
            start = time.perf_counter()
            assert (await client.get("/api/health")).status_code == 200
            latencies.append((time.perf_counter() - start) * 1000)
            await asyncio.sleep(0.01)
    for _, writer in sockets:
        writer.close()
    return {"opened": opened, "rss_mb": rss_mb, "health": latencies}


def idle(root: Path) -> dict[str, Any]:
    server = LiveServer(root / "idle", WORKERS="0")
    try:
        server.start(timeout=60)
        status = Path(f"/proc/{server.process.pid}/status").read_text()  # type: ignore[union-attr]
        before = int(status.split("VmRSS:")[1].split()[0]) / 1024
        run_ids = [submit(server.url, epochs=1)["id"] for _ in range(20)]
        return {"rss_before": before} | asyncio.run(hold_idle(server, run_ids, IDLE))
    finally:
        server.stop()


def verdict(met: bool) -> str:
    return "met" if met else "missed"


def report(figures: dict[str, Any], stalls: dict[str, Any]) -> None:
    quiet = statistics.mean(figures["quiet"])
    print(f"{WATCHERS} watchers of one run {WATCH_FIT}, {REPEATS} repeats; mean epoch_time with "
          f"no watchers {figures['quiet'][0] * 1000:.0f} / {figures['quiet'][1] * 1000:.0f} ms "
          f"(before / after)")  # fmt: skip
    for i, w in enumerate(figures["runs"], 1):
        p50, p99 = np.percentile(w["delays"] or [np.nan], [50, 99])
        slow = w["epoch_s"] / quiet - 1
        print(f"  repeat {i}: commit -> watcher p50 {p50:.1f} ms, p99 {p99:.1f} ms "
              f"(goal < {P99_GOAL_MS} ms: {verdict(p99 < P99_GOAL_MS)}); slowest epoch "
              f"{w['slowest'][1]} reached its last watcher after {w['slowest'][0] * 1000:.0f} ms "
              f"(no stall over {STALL_S:.0f} s: {verdict(w['slowest'][0] < STALL_S)})")  # fmt: skip
        print(f"            every epoch in order to {w['complete']}/{w['count']} watchers; "
              f"errors {len(w['errors'])} {w['errors'][:1]}; hub heard via {w['via']}")  # fmt: skip
        print(f"            epoch_time {w['epoch_s'] * 1000:.0f} ms, {slow:+.1%} vs no watchers "
              f"(goal < +{SLOWDOWN_GOAL:.0%}: {verdict(slow < SLOWDOWN_GOAL)}); web CPU "
              f"{w['web_cpu']:.1f} s")  # fmt: skip
        parts = []
        for stage, values in w["stages"].items():
            if values:
                p50, p99 = np.percentile(values, [50, 99])
                parts.append(f"{stage} {p50:.1f}/{p99:.1f}/{max(values):.0f}")
        print(f"            per epoch, ms p50/p99/max: {', '.join(parts)}")
    p50, p99 = np.percentile(stalls["health"], [50, 99])
    print(f"{IDLE} idle streams (20 queued runs): {stalls['opened']} opened; web process RSS "
          f"{stalls['rss_before']:.0f} MB before, {stalls['rss_mb']:.0f} MB with them open "
          f"(goal < {RSS_GOAL_MB} MB: {verdict(stalls['rss_mb'] < RSS_GOAL_MB)})")  # fmt: skip
    print(f"  GET /api/health meanwhile: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
          f"(goal < {HEALTH_GOAL_MS} ms: {verdict(p99 < HEALTH_GOAL_MS)})")  # fmt: skip


def main() -> None:
    global WATCHERS, REPEATS
    if len(sys.argv) > 1:
        WATCHERS = int(sys.argv[1])
    if len(sys.argv) > 2:
        REPEATS = int(sys.argv[2])
    root = Path(tempfile.mkdtemp(prefix="layerstack-bench-"))
    try:
        figures = training(root)
        stalls = idle(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    report(figures, stalls)


if __name__ == "__main__":
    main()
