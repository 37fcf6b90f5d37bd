"""The real server: a process on a loopback port, a SQLite file, a crash, a restart."""

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.helpers.live_server import LiveServer
from tests.helpers.paths import REPO
from tests.helpers.stacks import SEED_CNN


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
def test_server_keeps_architectures_across_a_crash_and_never_loads_tensorflow(tmp_path):
    server = LiveServer(tmp_path / "data").start()
    try:
        created = httpx.post(f"{server.url}/api/architectures", json=SEED_CNN)
        assert created.status_code == 201
        summary = httpx.post(f"{server.url}/api/summary", json=SEED_CNN).json()
        assert summary["total_params"] == 103562
        assert "tensorflow" not in server.loaded_libraries()
    finally:
        server.stop(signal.SIGKILL)  # a crash, not a clean shutdown
    assert (tmp_path / "data" / "layerstack.db").exists()

    server.start()
    try:
        arch = httpx.get(f"{server.url}/api/architectures/{created.json()['id']}")
        assert arch.json() == created.json()
    finally:
        server.stop()


def test_the_web_app_imports_no_machine_learning_package():
    code = (
        "import sys; from app.main import create_app; create_app(); "
        "import app.api.architectures, app.stacks.summary; "
        "bad = [m for m in ('tensorflow', 'keras', 'sklearn', 'scipy') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"DATA_DIR": "/tmp/layerstack-import-check"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
