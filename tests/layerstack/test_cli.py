"""The `layerstack` command (layerstack/cli/) run as a user runs it, against a live server in
laptop mode: --json output parsed, live following written one event per line, exit codes a
CI job can use, refusals in words on stderr."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.helpers.images import encode
from tests.helpers.runs import WAIT_S, wait_for

pytestmark = pytest.mark.keras
COMMAND = str(Path(sys.executable).with_name("layerstack"))
CODE = """
model = Sequential([
    Flatten(input_shape=(8, 8)),
    Dense(16, activation='relu'),
    Dense(10, activation='softmax'),
])
model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
"""


def layerstack(server, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LAYERSTACK_URL": server.url, "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("LAYERSTACK_TOKEN", None)
    return subprocess.run([COMMAND, *args], env=env, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


def epochs_past(server, run_id: int, epochs: int, timeout: float = WAIT_S) -> dict:
    """The run once more than `epochs` of its epochs have ended (or it has ended)."""
    deadline = time.monotonic() + timeout
    while True:
        run = httpx.get(f"{server.url}/api/runs/{run_id}").json()
        if run["epochs_done"] > epochs or run["status"] != "running":
            return run
        assert time.monotonic() < deadline, f"run {run_id}: {run['epochs_done']} epochs"
        time.sleep(0.05)


def test_import_run_follow_predict_export_with_json(trainer, tmp_path):
    (tmp_path / "model.py").write_text(CODE)
    imported = layerstack(trainer, "arch", "import", str(tmp_path / "model.py"), "--json")
    assert imported.returncode == 0, imported.stderr
    arch = json.loads(imported.stdout)["architecture"]
    assert arch["name"] == "model" and len(arch["layers"]) == 3  # named after the file

    followed = layerstack(trainer, "run", str(arch["id"]), "1", "--epochs", "3", "--seed", "2",
                          "--follow", "--json")  # fmt: skip
    assert followed.returncode == 0, followed.stderr
    events = [json.loads(line) for line in followed.stdout.splitlines()]
    assert [e["id"] for e in events if e["event"] == "epoch"] == [1, 2, 3]
    assert events[-1] == {"event": "done", "id": None, "data": events[-1]["data"]}
    assert events[-1]["data"]["status"] == "completed"

    runs = json.loads(layerstack(trainer, "runs", "--status", "completed", "--json").stdout)
    run_id = next(r["id"] for r in runs if r["architecture_id"] == arch["id"])
    history = json.loads(layerstack(trainer, "history", str(run_id), "--json").stdout)
    assert [e["epoch"] for e in history] == [1, 2, 3]

    digit = np.zeros((8, 8), np.uint8)
    digit[1:7, 3:5] = 255
    (tmp_path / "one.png").write_bytes(encode(digit))
    predicted = layerstack(trainer, "predict", str(run_id), str(tmp_path / "one.png"), "--json")
    assert predicted.returncode == 0, predicted.stderr
    assert json.loads(predicted.stdout)[0]["label"] in [str(i) for i in range(10)]

    target = tmp_path / "model.onnx"
    exported = layerstack(trainer, "export", str(run_id), "--format", "onnx", "-o", str(target),
                          "--json")  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    report = json.loads(exported.stdout)
    assert report["agreement"] == 1.0 and report["size"] == target.stat().st_size > 1000

    (tmp_path / "tiny.csv").write_text("label,a,b,c,d\n" + "".join(
        f"{row % 2},{row},{row % 3},{row % 5},{row % 7}\n" for row in range(40)))  # fmt: skip
    uploaded = layerstack(trainer, "data", "upload", str(tmp_path / "tiny.csv"), "--name",
                          "tiny cli", "--json")  # fmt: skip
    assert uploaded.returncode == 0, uploaded.stderr
    dataset = json.loads(uploaded.stdout)
    assert dataset["num_train"] + dataset["num_test"] == 40 and dataset["input_shape"] == [4]
    listed = json.loads(layerstack(trainer, "data", "list", "--json").stdout)
    assert dataset["id"] in [d["id"] for d in listed]
    words = layerstack(trainer, "data", "upload", str(tmp_path / "tiny.csv"), "--name", "again")
    assert words.returncode == 0 and "40" not in words.stderr and "classes" in words.stdout

    # The same without --json: words and tables for a person.
    table = layerstack(trainer, "runs")
    assert table.returncode == 0 and "completed" in table.stdout
    words = layerstack(trainer, "export", str(run_id), "-f", "onnx", "-o", str(target))
    assert "agrees with the Keras model on 100.00%" in words.stdout


def test_exit_codes_say_how_the_run_ended_and_refusals_go_to_stderr(trainer):
    started = layerstack(trainer, "run", "987654", "1", "--epochs", "1")
    assert started.returncode == 1
    assert "No architecture with id 987654" in started.stderr and not started.stdout

    wrong = layerstack(trainer, "export", "1", "--format", "pdf")
    assert wrong.returncode == 2 and "use one of keras" in wrong.stderr

    bad = layerstack(trainer, "cancel", "987654")
    assert bad.returncode == 1 and "No run with id 987654" in bad.stderr


def test_ctrl_c_stops_following_and_leaves_the_run_going(trainer, tmp_path):
    (tmp_path / "model.py").write_text(CODE)
    arch = json.loads(layerstack(trainer, "arch", "import", str(tmp_path / "model.py"),
                                 "--name", "long", "--json").stdout)["architecture"]  # fmt: skip
    env = {**os.environ, "LAYERSTACK_URL": trainer.url}
    args = [COMMAND, "run", str(arch["id"]), "1", "--epochs", "300", "--batch-size", "2",
            "--follow", "--json"]  # fmt: skip
    with subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as follower:  # fmt: skip
        first = follower.stdout.readline()  # the first event: it is following
        run_id = None
        while run_id is None:
            event = json.loads(follower.stdout.readline())
            if event["event"] == "epoch":
                listed = json.loads(layerstack(trainer, "runs", "--json").stdout)
                run_id = next(r["id"] for r in listed if r["architecture_id"] == arch["id"])
        follower.send_signal(signal.SIGINT)  # not a terminal: stop following, do not cancel
        assert follower.wait(timeout=30) == 130 and first
    # Left going: an epoch ends after the follower has gone (a worker stops within a step of
    # a cancel), and our cancel is the first one asked (a second would be refused: "already
    # being cancelled").
    gone = httpx.get(f"{trainer.url}/api/runs/{run_id}").json()
    assert epochs_past(trainer, run_id, gone["epochs_done"])["status"] == "running"
    status = json.loads(layerstack(trainer, "runs", "--json").stdout)
    assert next(r for r in status if r["id"] == run_id)["status"] == "running"
    cancelled = layerstack(trainer, "cancel", str(run_id), "--json")
    assert cancelled.returncode == 0, cancelled.stderr
    assert json.loads(cancelled.stdout)["id"] == run_id  # still "running" till its worker sees it
    assert wait_for(trainer, run_id)["status"] == "cancelled"
    again = layerstack(trainer, "follow", str(run_id))
    assert again.returncode == 4 and "cancelled" in again.stdout
