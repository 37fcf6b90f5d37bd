"""The Ray executor against a real local Ray cluster (tests/helpers/ray_cluster.py): a server
with EXECUTOR=ray whose dispatcher drives the cluster. Runs stream their epochs as with the
local executor, cancel, wait in words for what no node has, spread over nodes, and survive a
node that goes away mid-run."""

from __future__ import annotations

import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.live_server import LiveServer
from tests.helpers.paths import REPO
from tests.helpers.ray_cluster import LOOPBACK, listening, worker_node
from tests.helpers.sse import events
from tests.helpers.stacks import mlp

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def server(ray_cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("ray") / "data"
    live = LiveServer(data, EXECUTOR="ray", RAY_ADDRESS=ray_cluster.address, WORKERS="1")
    live.start()
    yield live
    live.stop()
    # In order, not killed: a dispatcher replaced after a SIGKILL (test below) once left
    # its stop event waiting for the dead one, and the server never finished stopping.
    assert "Application shutdown complete" in live.log(), live.log()[-3000:]


def submit(server: LiveServer, **fit: Any) -> dict[str, Any]:
    body = {"architecture": mlp([8, 8]), "dataset_id": 1, "fit": {"seed": 7, **fit}}
    answer = httpx.post(f"{server.url}/api/runs", json=body)
    assert answer.status_code == 202, answer.text
    return answer.json()


def read(server: LiveServer, run_id: int) -> dict[str, Any]:
    return httpx.get(f"{server.url}/api/runs/{run_id}").json()


def wait_for(server: LiveServer, run_id: int, done, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = read(server, run_id)
        if done(run):
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} never got there: {run}\n{server.log()[-3000:]}")


def test_every_ray_listener_is_on_loopback(ray_cluster: Any) -> None:
    lines = listening()
    assert lines, "no Ray listener found"
    for line in lines:
        local = line.split()[3]
        assert local.startswith((f"{LOOPBACK}:", f"[::ffff:{LOOPBACK}]:", "[::1]:")), line


def test_a_gpu_run_on_a_cpu_cluster_waits_and_says_why(server: LiveServer) -> None:
    run = submit(server, epochs=1, resources={"gpus": 1})
    waiting = wait_for(server, run["id"], lambda r: r["waiting_for"])
    assert waiting["status"] == "queued"
    assert "a node with 1 CPU, 1 GPU" in waiting["waiting_for"]
    assert "no node of the cluster has enough GPU" in waiting["waiting_for"]
    time.sleep(1.5)  # several placement rounds: it stays queued, never runs on a CPU
    assert read(server, run["id"])["status"] == "queued"
    assert httpx.post(f"{server.url}/api/runs/{run['id']}/cancel").status_code == 200
    assert read(server, run["id"])["status"] == "cancelled"


# A run slow enough to act on mid-way: one sample a step, one step a compiled call.
SLOW = {"batch_size": 2, "steps_per_execution": 1}
FINISHED = ("completed", "failed", "cancelled", "interrupted")


def history(server: LiveServer, run_id: int) -> list[dict[str, Any]]:
    return read(server, run_id)["history"]


def test_a_run_streams_its_epochs_over_sse_and_completes_on_a_node(server: LiveServer) -> None:
    run = submit(server, epochs=3)
    seen = [
        e.data for e in events(f"{server.url}/api/runs/{run['id']}/events") if e.event == "epoch"
    ]
    assert [e["epoch"] for e in seen] == [1, 2, 3]
    done = read(server, run["id"])
    assert done["status"] == "completed", done
    assert done["attempt"] == 1 and done["node"] and done["waiting_for"] is None
    assert [row["epoch"] for row in done["history"]] == [1, 2, 3]
    assert done["test_metrics"]["accuracy"] > 0.2
    model = httpx.get(f"{server.url}/api/runs/{run['id']}/model.keras")
    assert model.status_code == 200 and model.content[:2] == b"PK"  # the .keras zip


def test_each_epochs_weight_histograms_come_back_from_the_cluster(server: LiveServer) -> None:
    """They travel in the epoch's message through the dispatcher's queue: one entry per epoch
    per layer, each array's bins adding up to its size."""
    run = submit(server, epochs=2)
    done = wait_for(server, run["id"], lambda r: r["status"] in FINISHED)
    assert done["status"] == "completed", done
    url = f"{server.url}/api/runs/{run['id']}/weights"
    assert httpx.get(url).json()["epochs"] == [1, 2]
    for epoch in (1, 2):
        answer = httpx.get(f"{url}?epoch={epoch}").json()
        assert [layer["name"] for layer in answer["layers"]] == ["dense", "dense_1"]
        for layer in answer["layers"]:
            for weight in layer["weights"]:
                assert sum(weight["counts"]) == math.prod(weight["shape"]), (epoch, weight)


def test_cancel_stops_a_running_run_within_moments(server: LiveServer) -> None:
    run = submit(server, epochs=50, **SLOW)
    wait_for(server, run["id"], lambda r: r["epochs_done"] >= 1)
    asked = time.monotonic()
    assert httpx.post(f"{server.url}/api/runs/{run['id']}/cancel").status_code == 200
    done = wait_for(server, run["id"], lambda r: r["status"] in FINISHED, timeout=30)
    assert done["status"] == "cancelled", done
    assert time.monotonic() - asked < 5  # the flag, not the 10 s force-cancel
    assert done["epochs_done"] < 50


def test_two_runs_train_on_two_nodes_at_once(server: LiveServer) -> None:
    runs = [submit(server, epochs=50, **SLOW) for _ in range(2)]
    placed = [wait_for(server, r["id"], lambda r: r["node"] and r["epochs_done"] >= 1)
              for r in runs]  # fmt: skip
    assert placed[0]["node"] != placed[1]["node"]
    for r in runs:
        httpx.post(f"{server.url}/api/runs/{r['id']}/cancel")
    for r in runs:
        wait_for(server, r["id"], lambda r: r["status"] in FINISHED, timeout=30)


def test_a_node_lost_mid_run_is_retried_on_the_other_node_with_the_same_history(
    server: LiveServer, ray_cluster: Any
) -> None:
    fit = {"epochs": 6, **SLOW}
    whole = submit(server, **fit)
    whole_done = wait_for(server, whole["id"], lambda r: r["status"] in FINISHED, timeout=180)
    assert whole_done["status"] == "completed", whole_done

    run = submit(server, **fit)
    first = wait_for(server, run["id"], lambda r: r["epochs_done"] >= 2 and r["node"])
    node = next(n for n in ray_cluster.worker_nodes if first["node"].startswith(n.node_id[:12]))
    try:
        ray_cluster.remove_node(node, allow_graceful=False)
        done = wait_for(server, run["id"], lambda r: r["status"] in FINISHED, timeout=180)
    finally:
        worker_node(ray_cluster)  # the next tests find two nodes again
    assert done["status"] == "completed", (done, server.log()[-3000:])
    assert done["attempt"] == 2 and done["node"] != first["node"]
    got, want = done["history"], whole_done["history"]
    assert [row["epoch"] for row in got] == list(range(1, 7))  # each epoch exactly once
    for mine, theirs in zip(got, want, strict=True):
        for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
            assert mine[key] == pytest.approx(theirs[key], rel=1e-4), (key, mine, theirs)


def test_workers_stay_warm_from_one_run_to_the_next(server: LiveServer) -> None:
    """TensorFlow is imported once per Ray worker process: later runs reuse the processes."""
    workers = set()
    for _ in range(3):
        run = submit(server, epochs=1)
        done = wait_for(server, run["id"], lambda r: r["status"] in FINISHED)
        assert done["status"] == "completed", done
        workers.add(done["node"].split("worker pid ")[1])
    assert len(workers) <= 2  # one process a node at most, not one a run


def dispatcher_pid(server: LiveServer) -> int:
    [entry] = httpx.get(f"{server.url}/api/health").json()["workers"]
    assert entry["executor"] == "ray" and entry["alive"]
    return int(entry["pid"])


def test_a_dead_dispatcher_leaves_its_runs_interrupted_and_resumable(server: LiveServer) -> None:
    run = submit(server, epochs=12, **SLOW)  # ~1 s an epoch: killed early in it
    wait_for(server, run["id"], lambda r: r["epochs_done"] >= 1)
    old = dispatcher_pid(server)
    os.kill(old, signal.SIGKILL)
    stopped = wait_for(server, run["id"], lambda r: r["status"] in FINISHED, timeout=30)
    assert stopped["status"] == "interrupted", stopped
    assert "dispatcher" in stopped["error"] and "resume" in stopped["error"]
    kept = stopped["epochs_done"]
    # A new dispatcher takes over (the dead one's lease expires) and the run resumes there.
    assert wait_for_value(lambda: dispatcher_pid(server) != old)
    assert httpx.post(f"{server.url}/api/runs/{run['id']}/resume").status_code == 200
    done = wait_for(server, run["id"], lambda r: r["status"] in FINISHED, timeout=180)
    assert done["status"] == "completed", (done, server.log()[-3000:])
    assert [row["epoch"] for row in done["history"]] == list(range(1, 13))
    assert done["attempt"] >= 2 and kept >= 1


def wait_for_value(check, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except (AssertionError, httpx.HTTPError):
            pass
        time.sleep(0.2)
    return False


class MemorySink:
    """Keeps each epoch's logs, as the local executor's sink would commit them."""

    def __init__(self) -> None:
        self.logs: list[dict[str, float]] = []

    def is_cancelled(self) -> bool:
        return False

    def progress(self, progress: dict[str, Any]) -> None:
        pass

    def epoch(
        self, epoch: int, logs: dict[str, float], checkpoint: bytes | None, weights=None
    ) -> None:
        self.logs.append(logs)


@pytest.mark.keras
def test_a_run_on_ray_has_the_losses_of_the_same_run_trained_here(
    server: LiveServer, keras: Any
) -> None:
    """The same job (snapshot, seed, data) through the trainer every executor uses, here in
    this process as a local worker runs it: per-epoch losses equal to rel 1e-4."""
    import warnings

    from app.datasets.base import load_split
    from app.ml.job import Job
    from app.ml.training import train

    run = submit(server, epochs=4, early_stopping={"patience": 1},
                 reduce_lr_on_plateau={"patience": 1, "factor": 0.5})  # fmt: skip
    done = wait_for(server, run["id"], lambda r: r["status"] in FINISHED)
    assert done["status"] == "completed", done
    folder = server.data_dir / "datasets" / "1"
    arrays = {s: loaded for s in ("train", "test") if (loaded := load_split(folder, s))}
    job = Job(done["id"], 1, done["stack"], done["fit"], done["preprocessing"])
    sink = MemorySink()
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # Keras's own warnings are not this test's business
        train(job, arrays, sink)
    assert len(sink.logs) == len(done["history"])
    for here, there in zip(sink.logs, done["history"], strict=True):
        for key in ("loss", "val_loss", "accuracy", "val_accuracy", "learning_rate"):
            assert here[key] == pytest.approx(there[key], rel=1e-4), (key, here, there)


def test_after_the_last_retry_a_lost_run_fails_naming_the_node_and_the_cause(
    ray_cluster: Any, tmp_path: Path
) -> None:
    live = LiveServer(tmp_path / "data", EXECUTOR="ray", RAY_ADDRESS=ray_cluster.address,
                      WORKERS="1", RUN_RETRIES="0").start()  # fmt: skip
    try:
        run = submit(live, epochs=30, **SLOW)
        first = wait_for(live, run["id"], lambda r: r["epochs_done"] >= 1 and r["node"])
        prefix = first["node"][:12]
        node = next(n for n in ray_cluster.worker_nodes if n.node_id.startswith(prefix))
        try:
            ray_cluster.remove_node(node, allow_graceful=False)
            done = wait_for(live, run["id"], lambda r: r["status"] in FINISHED, timeout=120)
        finally:
            worker_node(ray_cluster)
        assert done["status"] == "failed", done
        assert f"the last time on node {prefix}" in done["error"]
        assert (
            "RUN_RETRIES=0" in done["error"]
            and "epochs and the last checkpoint are kept" in done["error"]
        )
        assert done["epochs_done"] >= 1 and len(done["history"]) == done["epochs_done"]
    finally:
        live.stop()


def trained_by(data: Path, run_id: int) -> str:
    with sqlite3.connect(data / "layerstack.db") as db:
        return db.execute("SELECT worker FROM run WHERE id = ?", (run_id,)).fetchone()[0]


def dispatcher_name(server: LiveServer) -> str:
    [entry] = httpx.get(f"{server.url}/api/health").json()["workers"]
    return str(entry["name"])


def test_a_dispatcher_on_its_own_trains_for_a_server_without_one_and_stops_on_ctrl_c(
    ray_cluster: Any, tmp_path: Path
) -> None:
    """`python -m app dispatch` (on another host, in a lab): the web server has WORKERS=0,
    so only this process drives the cluster; Ctrl-C stops it in order."""
    data = tmp_path / "data"
    web = LiveServer(data, EXECUTOR="ray", RAY_ADDRESS=ray_cluster.address).start()
    log = (tmp_path / "dispatch.log").open("wb")
    dispatch = subprocess.Popen([sys.executable, "-m", "app", "dispatch"], cwd=REPO,
                                env=web.env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        run = submit(web, epochs=2)
        done = wait_for(web, run["id"], lambda r: r["status"] in FINISHED, timeout=120)
        assert done["status"] == "completed", (tmp_path / "dispatch.log").read_text()[-3000:]
        assert done["node"] and trained_by(data, run["id"]).startswith("dispatcher-")
        dispatch.send_signal(signal.SIGINT)
        assert dispatch.wait(timeout=30) == 0, (tmp_path / "dispatch.log").read_text()[-3000:]
    finally:
        dispatch.kill()
        log.close()
        web.stop()


def test_two_servers_on_one_database_have_one_acting_dispatcher(
    ray_cluster: Any, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    env = {"EXECUTOR": "ray", "RAY_ADDRESS": ray_cluster.address, "WORKERS": "1"}
    first = LiveServer(data, **env).start()
    second = LiveServer(data, **env)
    try:
        busy = submit(first, epochs=40, **SLOW)
        wait_for(first, busy["id"], lambda r: r["epochs_done"] >= 1)
        second.start()  # its start leaves the first one's running run alone
        assert read(second, busy["id"])["status"] == "running"
        quick = submit(second, epochs=1)  # queued through the second, trained by the first
        assert wait_for(second, quick["id"], lambda r: r["status"] in FINISHED)["status"] == (
            "completed"
        )
        assert trained_by(data, quick["id"]) == dispatcher_name(first)
        httpx.post(f"{second.url}/api/runs/{busy['id']}/cancel")
        wait_for(second, busy["id"], lambda r: r["status"] in FINISHED, timeout=30)

        first.stop()  # its dispatcher lets the lease go: the second one's takes over
        after = submit(second, epochs=1)
        done = wait_for(second, after["id"], lambda r: r["status"] in FINISHED, timeout=60)
        assert done["status"] == "completed", done
        assert trained_by(data, after["id"]) == dispatcher_name(second)
    finally:
        second.stop()
        first.stop()
