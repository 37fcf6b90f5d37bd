"""The README's scripted training job runs as written, in accounts mode with an API token:
the httpx script and the curl lines, against a real server with a training worker."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

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
    live = LiveServer(data, AUTH="accounts", ADMIN_EMAIL=ADMIN_EMAIL,
                      ADMIN_PASSWORD=ADMIN_PASSWORD, WORKERS="1").start()  # fmt: skip
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


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_curl_lines_train_a_model_with_a_token(server, tmp_path):
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
