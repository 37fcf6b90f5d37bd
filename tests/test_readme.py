"""The README's scripted training job runs as written, in accounts mode with an API token:
the httpx script, the curl lines, the client script and the four `layerstack` commands,
against a real server with a training worker and the inference process."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.helpers.accounts import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.helpers.live_server import LiveServer
from tests.helpers.paths import REPO

pytestmark = pytest.mark.keras
README = (REPO / "README.md").read_text()
DEFAULT = "http://127.0.0.1:8000"


def block(after: str, language: str) -> str:
    """The first ```language block after the line `after`."""
    start = README.index(after)
    found = re.search(rf"```{language}\n(.*?)```", README[start:], re.S)
    assert found, f"no {language} block after {after!r}"
    return found.group(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    data = tmp_path_factory.mktemp("readme") / "data"
    live = LiveServer(data, AUTH="accounts", ADMIN_EMAIL=ADMIN_EMAIL, ADMIN_PASSWORD=ADMIN_PASSWORD,
                      WORKERS="1", PREDICTORS="1").start()  # fmt: skip
    with httpx.Client(base_url=live.url) as client:
        client.post("/api/session", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        token = client.post("/api/tokens", json={"name": "readme"}).json()["token"]
    yield live, token
    live.stop()


def test_the_httpx_script_trains_a_model_with_a_token(server, tmp_path):
    live, token = server
    script = tmp_path / "job.py"
    script.write_text(block("With Python and httpx:", "python").replace(DEFAULT, live.url))
    env = {**os.environ, "TOKEN": token}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == [str(e) for e in range(1, 11)]
    assert lines[-1].startswith("completed {")
    assert (tmp_path / "model.keras").stat().st_size > 10_000


@pytest.fixture
def curl() -> str:
    """The curl the README's lines call; without one the test is skipped, saying so, and in
    CI (CI=true) it fails instead: there the curl lines must run."""
    found = shutil.which("curl")
    if found is None:
        reason = "curl is not installed: the README's curl lines need it (apt-get install curl)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return found


def test_the_curl_lines_train_a_model_with_a_token(curl, server, tmp_path):
    live, token = server
    lines = block("With curl", "sh").replace(DEFAULT, live.url)
    lines = lines.replace("export TOKEN=lst_...", f"export TOKEN={token}")
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", lines], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "event: done" in done.stdout and '"status":"completed"' in done.stdout.replace(" ", "")
    assert (tmp_path / "history.csv").read_text().startswith("epoch,")
    assert (tmp_path / "model.keras").stat().st_size > 10_000


def test_without_a_token_the_script_is_refused_in_words(server):
    live, _ = server
    answer = httpx.get(f"{live.url}/api/runs")
    assert answer.status_code == 401 and "Authorization: Bearer" in answer.json()["detail"]


def digit_png(folder: Path) -> None:
    pixels = np.zeros((8, 8), np.uint8)
    pixels[1:7, 3:5] = 255  # a one
    Image.fromarray(pixels).save(folder / "digit.png")


def test_the_client_script_runs_the_tutorial_with_a_token(server, tmp_path):
    live, token = server
    script = block("The tutorial, as a script:", "python")
    assert len(script.strip().splitlines()) == 15
    (tmp_path / "tutorial.py").write_text(script.replace(DEFAULT, live.url))
    digit_png(tmp_path)
    env = {**os.environ, "LAYERSTACK_TOKEN": token, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "tutorial.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines[:10]] == [str(e) for e in range(1, 11)]
    assert lines[11] in [str(i) for i in range(10)]  # the label of digit.png
    assert "'agreement': 1.0" in lines[12]
    assert (tmp_path / "model.tflite").read_bytes()[4:8] == b"TFL3"


def test_the_four_commands_run_the_tutorial_with_a_token(server, tmp_path):
    live, token = server
    commands = block("The same in four commands:", "sh").strip().splitlines()
    assert len(commands) == 4
    code = re.search(r'import_architecture\("""(.*?)"""', block("The tutorial, as a script:",
                     "python"), re.S).group(1)  # fmt: skip
    (tmp_path / "model.py").write_text(code)
    digit_png(tmp_path)
    env = {**os.environ, "LAYERSTACK_URL": live.url, "LAYERSTACK_TOKEN": token,
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}  # fmt: skip
    run_id = None
    for line in commands:
        if run_id is not None:
            line = line.replace(" 7 ", f" {run_id} ")
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", line], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600)  # fmt: skip
        assert done.returncode == 0, (line, done.stderr)
        if " run " in line:
            run_id = int(re.search(r"Run (\d+) queued", done.stdout).group(1))
            assert "Epoch 10/10" in done.stdout and "completed" in done.stdout
    assert (tmp_path / "model.tflite").read_bytes()[4:8] == b"TFL3"
