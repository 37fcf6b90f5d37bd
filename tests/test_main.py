"""The real server: a process on a loopback port, its database, a crash, a restart."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.helpers.live_server import LiveServer
from tests.helpers.paths import REPO
from tests.helpers.stacks import SEED_CNN


def needs_proc() -> None:
    """Skip without Linux /proc (it shows which libraries a process loaded); under CI=true a
    test must run or fail, never skip."""
    if Path("/proc/self/maps").exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("needs Linux /proc to see what the server loaded; CI must run on Linux")
    pytest.skip("needs Linux /proc")


@pytest.mark.both_databases
def test_server_keeps_architectures_across_a_crash_and_never_loads_tensorflow(tmp_path, backend):
    needs_proc()
    server = LiveServer(tmp_path / "data", backend=backend).start()
    try:
        created = httpx.post(f"{server.url}/api/architectures", json=SEED_CNN)
        assert created.status_code == 201
        summary = httpx.post(f"{server.url}/api/summary", json=SEED_CNN).json()
        assert summary["total_params"] == 103562
        assert "tensorflow" not in server.loaded_libraries()
    finally:
        server.stop(signal.SIGKILL)  # a crash, not a clean shutdown
    # On SQLite the data lives in DATA_DIR; on PostgreSQL nothing of it may be there.
    assert (tmp_path / "data" / "layerstack.db").exists() == (backend == "sqlite")

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
        "import app.executors.cluster; "  # the Ray executor: Ray only in its dispatcher
        "bad = [m for m in ('tensorflow', 'keras', 'sklearn', 'scipy', 'ray') "
        "if m in sys.modules]; "
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


def test_auth_none_is_refused_on_a_public_host_with_what_to_do(tmp_path):
    env = {"HOST": "0.0.0.0", "AUTH": "none", "DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "app"], cwd=REPO, capture_output=True,
                          text=True, timeout=60, env={**os.environ, **env})  # fmt: skip
    assert done.returncode == 2
    assert "AUTH=none serves everyone who can reach HOST=0.0.0.0" in done.stderr
    assert "AUTH=accounts" in done.stderr and "Traceback" not in done.stderr


def test_accounts_are_the_default_off_loopback():
    from app.config import Settings

    assert Settings(host="127.0.0.1").auth == "none"
    assert Settings(host="0.0.0.0").auth == "accounts"
    assert Settings(host="::1").auth == "none"


def test_users_create_makes_an_admin_from_stdin_and_refuses_a_taken_email(tmp_path):
    env = {**os.environ, "DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "app", "users", "create", "--email", "Ada@Example.org",
               "--admin"]  # fmt: skip
    made = subprocess.run(command, cwd=REPO, input="a long passphrase\n", capture_output=True,
                          text=True, timeout=60, env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "Created admin ada@example.org" in made.stdout
    again = subprocess.run(command, cwd=REPO, input="another passphrase\n", capture_output=True,
                           text=True, timeout=60, env=env)  # fmt: skip
    assert again.returncode == 1 and "already exists" in again.stderr
    short = subprocess.run([*command[:6], "bo@x.org"], cwd=REPO, input="short\n",
                           capture_output=True, text=True, timeout=60, env=env)  # fmt: skip
    assert short.returncode == 1 and "at least 8 characters" in short.stderr
