"""An exported run script, run on its own in a fresh Python, retrains the run's history."""

import json
import math
import os
import subprocess
import sys

import httpx
import pytest

from tests.helpers.runs import submit, wait_for
from tests.helpers.stacks import mlp

pytestmark = pytest.mark.keras


def test_exported_script_reproduces_the_runs_history(trainer, tmp_path):
    run = wait_for(trainer, submit(trainer, mlp([8, 8]), epochs=4, seed=3)["id"])
    assert run["status"] == "completed", run["error"]
    script = httpx.get(f"{trainer.url}/api/runs/{run['id']}/export.py")
    assert script.status_code == 200 and "Sequential([" in script.text
    data = httpx.get(f"{trainer.url}/api/datasets/{run['dataset_id']}/export.npz")
    assert data.status_code == 200
    (tmp_path / f"dataset-{run['dataset_id']}.npz").write_bytes(data.content)
    (tmp_path / "run.py").write_text(script.text)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "run.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    history = json.loads((tmp_path / "history.json").read_text())
    assert len(history["loss"]) == 4
    for epoch, ours in enumerate(run["history"]):
        for key in ("loss", "val_loss"):
            assert math.isclose(history[key][epoch], ours[key], rel_tol=1e-4), (key, epoch)
