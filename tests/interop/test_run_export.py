"""An exported run (the bundle: script, data, README), run on its own in a fresh Python,
retrains the run's history."""

import io
import json
import math
import os
import subprocess
import sys
import zipfile

import httpx
import pytest

from tests.helpers.runs import submit, wait_for
from tests.helpers.stacks import mlp

ROWS = [[row % 10] + [(row * i) % 16 for i in range(64)] for row in range(40)]
CSV = (
    "label,"
    + ",".join(f"p{i}" for i in range(64))
    + "\n"
    + "".join(",".join(map(str, row)) + "\n" for row in ROWS)
)


@pytest.mark.keras
def test_exported_script_reproduces_the_runs_history(trainer, tmp_path):
    run = wait_for(trainer, submit(trainer, mlp([8, 8]), epochs=4, seed=3)["id"])
    assert run["status"] == "completed", run["error"]
    script = httpx.get(f"{trainer.url}/api/runs/{run['id']}/export.py")
    assert script.status_code == 200 and "Sequential([" in script.text
    # The bundle: the same script, the dataset's .npz and a README, in one download.
    bundle = httpx.get(f"{trainer.url}/api/runs/{run['id']}/bundle.zip")
    assert bundle.status_code == 200, bundle.text
    assert bundle.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as archive:
        npz = f"dataset-{run['dataset_id']}.npz"
        assert sorted(archive.namelist()) == sorted(["run.py", "README.md", npz])
        assert archive.read("run.py").decode() == script.text
        assert "python run.py" in archive.read("README.md").decode()
        archive.extractall(tmp_path)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "run.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    history = json.loads((tmp_path / "history.json").read_text())
    assert len(history["loss"]) == 4
    for epoch, ours in enumerate(run["history"]):
        for key in ("loss", "val_loss"):
            assert math.isclose(history[key][epoch], ours[key], rel_tol=1e-4), (key, epoch)


def test_a_bundle_needs_the_runs_dataset(client):
    """Its dataset deleted, a run's bundle cannot hold the data: 409 saying what still works."""
    from tests.helpers.web import queue_run

    dataset = client.post("/api/datasets", files={"files": ("d.csv", CSV, "text/csv")},
                          data={"name": "tiny"}).json()  # fmt: skip
    assert "id" in dataset, dataset
    run = queue_run(client, dataset_id=dataset["id"], shape=[64])
    client.post(f"/api/runs/{run['id']}/cancel")
    assert client.delete(f"/api/datasets/{dataset['id']}").status_code == 204
    answer = client.get(f"/api/runs/{run['id']}/bundle.zip")
    assert answer.status_code == 409
    assert (
        "dataset was deleted" in answer.json()["detail"] and "export.py" in answer.json()["detail"]
    )
